import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import type { KubeObject } from './kube-http';

const exec = promisify(execFile);

/**
 * Reading a k8s_nas-like GitOps repository the way Argo CD would: which Applications exist
 * (bootstrap files and what ApplicationSets generate), what each one renders (kustomize or a plain
 * directory), and which manifests are not reached by any Application. Nothing here knows the
 * names of the services in the repository.
 */

/** A Kubernetes object parsed from a file of the repository. */
export interface RepoDoc {
  /** Path relative to the repository root. */
  file: string;
  obj: KubeObject;
}

/** What a kustomization.yaml references. */
export interface KustomizationInfo {
  /** Directory relative to the repository root ('' = root). */
  dir: string;
  file: string;
  /** Local files and directories it includes (resources, bases, components, patches, crds), relative to the root. */
  includes: string[];
  /** Entries that appear commented out in the file, e.g. "# - certificate-http.yaml". */
  commentedOut: string[];
}

const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** True for YAML/JSON manifest file names. */
export function isManifestFile(name: string): boolean {
  return /\.(ya?ml|json)$/i.test(name) && !KUSTOMIZATION_NAMES.includes(name);
}

/**
 * Parses YAML text into Kubernetes objects, refusing what Argo CD refuses: a document that is not
 * YAML, or a mapping without apiVersion, kind or metadata.name. `file` names the source in messages.
 */
export function parseManifestsStrict(text: string, file: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`failed to unmarshal ${file}: ${doc.errors[0]?.message.split('\n')[0] ?? 'invalid YAML'}`);
    const v: unknown = doc.toJS();
    if (v === null || v === undefined) continue;
    for (const item of flattenList(v)) {
      if (!isKubeObject(item)) {
        const o = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
        const missing = typeof o.apiVersion !== 'string' ? 'apiVersion' : typeof o.kind !== 'string' ? 'kind' : 'metadata.name';
        throw new Error(`${file}: Object '${missing}' is missing in '${JSON.stringify(item).slice(0, 120)}'`);
      }
      out.push(item);
    }
  }
  return out;
}

/** Parses YAML text into Kubernetes objects (documents with apiVersion, kind and metadata.name). */
export function parseManifests(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    if (doc.errors.length > 0) continue;
    const v: unknown = doc.toJS();
    for (const item of flattenList(v)) if (isKubeObject(item)) out.push(item);
  }
  return out;
}

function flattenList(v: unknown): unknown[] {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) return o.items;
  }
  return [v];
}

/** Whether a value looks like a Kubernetes object. */
export function isKubeObject(v: unknown): v is KubeObject {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const md = o.metadata as Record<string, unknown> | undefined;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && !!md && typeof md.name === 'string' && md.name !== '';
}

function walkFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walkFiles(root, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

function isRemote(entry: string): boolean {
  return /^(https?:|git@|ssh:|github\.com\/)/.test(entry) || entry.includes('?ref=') || entry.includes('//');
}

/** Reads one kustomization file and lists what it includes. */
export function readKustomization(root: string, file: string): KustomizationInfo {
  const dir = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file);
  const text = readFileSync(path.join(root, file), 'utf8');
  const k = (YAML.parse(text) ?? {}) as Record<string, unknown>;
  const entries: string[] = [];
  const str = (v: unknown) => (typeof v === 'string' ? [v] : []);
  for (const key of ['resources', 'bases', 'components', 'crds', 'patchesStrategicMerge']) {
    const list = k[key];
    if (Array.isArray(list)) for (const e of list) entries.push(...str(e));
  }
  for (const key of ['patches', 'patchesJson6902']) {
    const list = k[key];
    if (Array.isArray(list)) for (const p of list) if (p && typeof p === 'object') entries.push(...str((p as Record<string, unknown>).path));
  }
  const norm = (e: string) => path.posix.normalize(dir ? `${dir}/${e}` : e).replace(/\/+$/, '');
  const includes = entries.filter((e) => !isRemote(e)).map(norm);
  const commentedOut: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*#\s*-\s*([^\s#]+)/.exec(line);
    if (m?.[1]) commentedOut.push(norm(m[1]));
  }
  return { dir, file, includes, commentedOut };
}

/** Index of a repository: its manifests and kustomizations. */
export interface RepoIndex {
  root: string;
  docs: RepoDoc[];
  kustomizations: Map<string, KustomizationInfo>;
}

/** Scans every manifest and kustomization of a repository checkout. */
export function indexRepo(root: string): RepoIndex {
  const docs: RepoDoc[] = [];
  const kustomizations = new Map<string, KustomizationInfo>();
  for (const file of walkFiles(root)) {
    const base = path.posix.basename(file);
    if (KUSTOMIZATION_NAMES.includes(base)) {
      try {
        const info = readKustomization(root, file);
        kustomizations.set(info.dir, info);
      } catch {
        /* unreadable kustomization: treated as absent */
      }
      continue;
    }
    if (!isManifestFile(base)) continue;
    try {
      for (const obj of parseManifests(readFileSync(path.join(root, file), 'utf8'))) docs.push({ file, obj });
    } catch {
      /* not YAML */
    }
  }
  return { root, docs, kustomizations };
}

/** Files and directories included by some kustomization. */
export function includedPaths(index: RepoIndex): Set<string> {
  const s = new Set<string>();
  for (const k of index.kustomizations.values()) for (const i of k.includes) s.add(i);
  return s;
}

/** Kustomization directories that no other kustomization includes. */
export function kustomizationRoots(index: RepoIndex): string[] {
  const included = includedPaths(index);
  return [...index.kustomizations.keys()].filter((d) => !included.has(d)).sort();
}

/** Every kustomization directory reachable from `dir` (itself included). */
export function kustomizationTree(index: RepoIndex, dir: string): string[] {
  const seen = new Set<string>();
  const visit = (d: string) => {
    if (seen.has(d) || !index.kustomizations.has(d)) return;
    seen.add(d);
    for (const inc of index.kustomizations.get(d)?.includes ?? []) visit(inc);
  };
  visit(dir);
  return [...seen];
}

/**
 * Manifests sitting in a kustomization's directory that the kustomization does not list
 * ("loose" files, typically applied by hand). Entries that are commented out in the
 * kustomization are reported separately: they were disabled on purpose.
 */
export function looseFiles(index: RepoIndex, dir: string): { loose: string[]; disabled: string[] } {
  const k = index.kustomizations.get(dir);
  if (!k) return { loose: [], disabled: [] };
  const included = new Set(k.includes);
  const disabled = new Set(k.commentedOut);
  const files = [...new Set(index.docs.map((d) => d.file))].filter((f) => (path.posix.dirname(f) === '.' ? '' : path.posix.dirname(f)) === dir);
  return {
    loose: files.filter((f) => !included.has(f) && !disabled.has(f)).sort(),
    disabled: files.filter((f) => !included.has(f) && disabled.has(f)).sort(),
  };
}

/**
 * Copies a repository to `dest` (without .git) and makes it buildable offline (see
 * {@link fixWorkingCopy}). Returns one line per change.
 */
export function prepareWorkingCopy(src: string, dest: string): string[] {
  cpSync(src, dest, { recursive: true, filter: (p) => path.basename(p) !== '.git' });
  return fixWorkingCopy(dest);
}

/**
 * Makes a checkout buildable offline, in place: resources that point at missing local paths are
 * dropped from their kustomization, and files a configMapGenerator or secretGenerator names but that
 * are missing are created empty. Returns one line per change.
 */
export function fixWorkingCopy(dest: string): string[] {
  const notes: string[] = [];
  for (const file of walkFiles(dest)) {
    if (!KUSTOMIZATION_NAMES.includes(path.posix.basename(file))) continue;
    const abs = path.join(dest, file);
    const dir = path.dirname(abs);
    const doc = YAML.parseDocument(readFileSync(abs, 'utf8'));
    const k = (doc.toJS() ?? {}) as Record<string, unknown>;
    let changed = false;
    for (const key of ['resources', 'bases', 'components']) {
      const list = k[key];
      if (!Array.isArray(list)) continue;
      const kept = list.filter((e) => {
        if (typeof e !== 'string' || isRemote(e)) return true;
        if (existsSync(path.join(dir, e))) return true;
        notes.push(`${file}: ${key} entry "${e}" does not exist in the repository; left out`);
        return false;
      });
      if (kept.length !== list.length) {
        doc.set(key, kept);
        changed = true;
      }
    }
    for (const key of ['configMapGenerator', 'secretGenerator']) {
      const gens = k[key];
      if (!Array.isArray(gens)) continue;
      for (const g of gens) {
        if (!g || typeof g !== 'object') continue;
        const gen = g as Record<string, unknown>;
        const files = [...(Array.isArray(gen.files) ? gen.files : []), ...(Array.isArray(gen.envs) ? gen.envs : []), ...(typeof gen.env === 'string' ? [gen.env] : [])];
        for (const entry of files) {
          if (typeof entry !== 'string') continue;
          const rel = entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : entry;
          const target = path.join(dir, rel);
          if (existsSync(target)) continue;
          mkdirSync(path.dirname(target), { recursive: true });
          writeFileSync(target, '');
          notes.push(`${file}: ${key} file "${rel}" is not in the repository; using an empty stand-in`);
        }
      }
    }
    if (changed) writeFileSync(abs, doc.toString());
  }
  return notes;
}

/** Runs `kustomize build` on a directory and parses the output. */
export async function kustomizeBuild(kustomize: string, dir: string): Promise<KubeObject[]> {
  try {
    const { stdout } = await exec(kustomize, ['build', dir], { maxBuffer: 64 * 1024 * 1024 });
    return parseManifests(stdout);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kustomize build ${dir} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Reads a plain directory of manifests (Argo CD "directory" source). `strict` refuses what Argo CD cannot parse. */
export function readDirectory(root: string, dir: string, recurse: boolean, strict = false): RepoDoc[] {
  const abs = path.join(root, dir);
  const files = recurse
    ? walkFiles(abs)
    : readdirSync(abs, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name);
  const out: RepoDoc[] = [];
  for (const f of files.filter((x) => isManifestFile(path.posix.basename(x))).sort()) {
    const rel = dir ? `${dir}/${f}` : f;
    const text = readFileSync(path.join(root, rel), 'utf8');
    for (const obj of strict ? parseManifestsStrict(text, rel) : parseManifests(text)) out.push({ file: rel, obj });
  }
  return out;
}

/** What an Application's source renders to. */
export interface RenderedSource {
  sourceType: 'Kustomize' | 'Directory';
  objects: KubeObject[];
  /** Kustomization directories the rendering read (the source's tree). */
  dirs: string[];
}

/**
 * Renders an Application source from a working copy the way Argo CD's repo server does: `kustomize
 * build` when the path holds a kustomization, otherwise the directory's manifests (recursively with
 * `directory.recurse`). Throws with Argo CD's wording when the path is missing or rendering fails;
 * messages name paths relative to the repository.
 */
export async function renderAppSource(work: string, index: RepoIndex, src: AppSource, kustomize: string): Promise<RenderedSource> {
  if (!isDir(work, src.path)) throw new Error(`${src.path}: app path does not exist`);
  const relative = (msg: string) => msg.split(`${work}/`).join('').split(work).join('.');
  try {
    if (index.kustomizations.has(src.path)) {
      const objects = await kustomizeBuild(kustomize, path.join(work, src.path));
      return { sourceType: 'Kustomize', objects, dirs: kustomizationTree(index, src.path) };
    }
    const objects = readDirectory(work, src.path, src.recurse, true).map((d) => d.obj);
    return { sourceType: 'Directory', objects, dirs: [] };
  } catch (err) {
    throw new Error(relative((err as Error).message));
  }
}

// ---------------------------------------------------------------- Argo CD

/** The parts of an Argo CD Application the lab uses. */
export interface AppSource {
  repoURL: string;
  path: string;
  targetRevision: string;
  recurse: boolean;
}

/** Reads spec.source (or the first of spec.sources with a path). */
export function applicationSource(app: KubeObject): AppSource | undefined {
  const spec = (app.spec ?? {}) as Record<string, unknown>;
  const sources = [spec.source, ...(Array.isArray(spec.sources) ? spec.sources : [])].filter(
    (s): s is Record<string, unknown> => !!s && typeof s === 'object' && typeof (s as Record<string, unknown>).path === 'string',
  );
  const s = sources[0];
  if (!s) return undefined;
  const dir = (s.directory ?? {}) as Record<string, unknown>;
  return {
    repoURL: String(s.repoURL ?? ''),
    path: String(s.path).replace(/^\.\/?/, '').replace(/\/$/, ''),
    targetRevision: String(s.targetRevision ?? 'HEAD'),
    recurse: dir.recurse === true,
  };
}

/** destination.namespace of an Application ('' when unset). */
export function applicationDestinationNamespace(app: KubeObject): string {
  const dest = ((app.spec ?? {}) as Record<string, unknown>).destination as Record<string, unknown> | undefined;
  return typeof dest?.namespace === 'string' ? dest.namespace : '';
}

/** Parameters of one ApplicationSet generator element. */
export type GeneratorParams = Record<string, unknown>;

function pathParams(p: string, goTemplate: boolean): GeneratorParams {
  const segments = p.split('/');
  const basename = segments[segments.length - 1] ?? '';
  const normalized = basename.replace(/[^a-zA-Z0-9-]/g, '-').toLowerCase();
  if (goTemplate) return { path: { path: p, basename, basenameNormalized: normalized, segments } };
  const flat: GeneratorParams = { path: p, 'path.basename': basename, 'path.basenameNormalized': normalized };
  segments.forEach((s, i) => (flat[`path[${i}]`] = s));
  return flat;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function allDirs(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r, ...allDirs(root, r));
  }
  return out;
}

function flattenParams(prefix: string, v: unknown, out: GeneratorParams): void {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) flattenParams(prefix ? `${prefix}.${k}` : k, val, out);
  } else out[prefix] = v;
}

/**
 * Evaluates the generators of an ApplicationSet that can be evaluated against a checkout:
 * list, git directories, git files and clusters (the in-cluster destination). Others are reported.
 */
export function evaluateGenerators(
  appset: KubeObject,
  repoRoot: string,
  warn: (msg: string) => void,
): GeneratorParams[] {
  const spec = (appset.spec ?? {}) as Record<string, unknown>;
  const goTemplate = spec.goTemplate === true;
  const out: GeneratorParams[] = [];
  for (const g of Array.isArray(spec.generators) ? spec.generators : []) {
    if (!g || typeof g !== 'object') continue;
    const gen = g as Record<string, unknown>;
    if (gen.list && typeof gen.list === 'object') {
      const list = gen.list as Record<string, unknown>;
      for (const el of Array.isArray(list.elements) ? list.elements : []) if (el && typeof el === 'object') out.push(el as GeneratorParams);
    } else if (gen.git && typeof gen.git === 'object') {
      const git = gen.git as Record<string, unknown>;
      if (Array.isArray(git.directories)) {
        const dirs = allDirs(repoRoot);
        const incl = git.directories.filter((d) => d && typeof d === 'object' && (d as Record<string, unknown>).exclude !== true);
        const excl = git.directories.filter((d) => d && typeof d === 'object' && (d as Record<string, unknown>).exclude === true);
        const match = (list: unknown[], d: string) => list.some((x) => globToRegExp(String((x as Record<string, unknown>).path)).test(d));
        for (const d of dirs.filter((x) => match(incl, x) && !match(excl, x)).sort()) out.push(pathParams(d, goTemplate));
      } else if (Array.isArray(git.files)) {
        const files = [...new Set(allDirs(repoRoot).concat(''))].flatMap((d) =>
          readdirSync(path.join(repoRoot, d), { withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => (d ? `${d}/${e.name}` : e.name)),
        );
        for (const spec of git.files) {
          const re = globToRegExp(String((spec as Record<string, unknown>)?.path ?? ''));
          for (const f of files.filter((x) => re.test(x)).sort()) {
            try {
              const data: unknown = YAML.parse(readFileSync(path.join(repoRoot, f), 'utf8'));
              const params: GeneratorParams = {};
              if (goTemplate && data && typeof data === 'object') Object.assign(params, data);
              else flattenParams('', data, params);
              Object.assign(params, pathParams(path.posix.dirname(f), goTemplate));
              out.push(params);
            } catch {
              warn(`ApplicationSet ${appset.metadata.name}: git file ${f} is not YAML/JSON; skipped`);
            }
          }
        }
      }
    } else if ('clusters' in gen) {
      out.push({ name: 'in-cluster', server: 'https://kubernetes.default.svc', nameNormalized: 'in-cluster' });
    } else {
      warn(`ApplicationSet ${appset.metadata.name}: generator ${Object.keys(gen).join(',')} is not evaluated by the lab`);
    }
  }
  return out;
}

function lookup(params: GeneratorParams, key: string, goTemplate: boolean): unknown {
  if (!goTemplate) return params[key];
  let cur: unknown = params;
  for (const part of key.replace(/^\./, '').split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Substitutes {{param}} (fasttemplate) or {{ .param }} (goTemplate) placeholders in a string. */
export function renderTemplateString(s: string, params: GeneratorParams, goTemplate: boolean): string {
  const re = goTemplate ? /\{\{\s*(\.[A-Za-z0-9_.[\]-]+)\s*\}\}/g : /\{\{\s*([A-Za-z0-9_.[\]-]+)\s*\}\}/g;
  return s.replace(re, (whole, key: string) => {
    const v = lookup(params, key, goTemplate);
    return v === undefined || v === null ? whole : String(v);
  });
}

function renderDeep(v: unknown, params: GeneratorParams, goTemplate: boolean): unknown {
  if (typeof v === 'string') return renderTemplateString(v, params, goTemplate);
  if (Array.isArray(v)) return v.map((x) => renderDeep(x, params, goTemplate));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[renderTemplateString(k, params, goTemplate)] = renderDeep(x, params, goTemplate);
    return out;
  }
  return v;
}

/** The Applications an ApplicationSet generates from its evaluated generators. */
export function generateApplications(appset: KubeObject, repoRoot: string, warn: (msg: string) => void): KubeObject[] {
  const spec = (appset.spec ?? {}) as Record<string, unknown>;
  const goTemplate = spec.goTemplate === true;
  const template = (spec.template ?? {}) as Record<string, unknown>;
  const apps: KubeObject[] = [];
  for (const params of evaluateGenerators(appset, repoRoot, warn)) {
    const t = renderDeep(template, params, goTemplate) as Record<string, unknown>;
    const md = (t.metadata ?? {}) as Record<string, unknown>;
    const name = String(md.name ?? '');
    if (!name || name.includes('{{')) {
      warn(`ApplicationSet ${appset.metadata.name}: template name "${name}" could not be rendered; skipped`);
      continue;
    }
    const metadata: KubeObject['metadata'] = { name, namespace: appset.metadata.namespace ?? 'argocd' };
    if (md.labels) metadata.labels = md.labels as Record<string, string>;
    if (md.annotations) metadata.annotations = md.annotations as Record<string, string>;
    if (Array.isArray(md.finalizers)) metadata.finalizers = md.finalizers;
    apps.push({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata, spec: t.spec ?? {} });
  }
  return apps;
}

/** Whether a path in the checkout is a directory. */
export function isDir(root: string, rel: string): boolean {
  const p = path.join(root, rel);
  return existsSync(p) && statSync(p).isDirectory();
}
