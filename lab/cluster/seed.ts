import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueServingCertificate } from './certs';
import {
  applicationDestinationNamespace,
  applicationSource,
  generateApplications,
  indexRepo,
  isDir,
  kustomizationRoots,
  kustomizationTree,
  kustomizeBuild,
  looseFiles,
  parseManifests,
  prepareWorkingCopy,
  renderAppSource,
  type AppSource,
} from './gitops';
import { KubeHttpError, LabKubeClient, splitApiVersion, type KubeObject } from './kube-http';
import { waitFor } from '../lib/wait';
import { binaryPath, crdModules, defaultExtrasDir, labFiles, volumeDir } from '../paths';
import { certificateStatus, certificateWindow, issuerStatus } from './status-writers';
import { appEntry } from '../../lib/apps/catalogue';
import { recognizeImage } from '../../lib/k8s/recognize';
import { APPSET_FIELD_MANAGER, ARGOCD_FIELD_MANAGER, TRACKING_ANNOTATION, trackingId } from '../argocd/tracking';

/** Field manager of everything the lab applies. */
export const LAB_FIELD_MANAGER = 'k8s-nas-lab';
/** Field manager of the status the lab writes in place of missing controllers. */
export const LAB_STATUS_MANAGER = 'k8s-nas-lab-status';
/** Label on objects the lab itself adds (stand-ins, generated Secrets...). */
export const LAB_SEEDED_LABEL = 'lab.k8s-nas-panel/seeded';

const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
const ARGO_GROUP = 'argoproj.io';
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** A status the lab wrote, kept so resetLab can restore it. */
export interface RecordedStatus {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** true when written through the status subresource, false when the CRD has none (merge patch of the object). */
  subresource: boolean;
  status: Record<string, unknown>;
}

/** What seeding leaves behind for resets and for lab.json. */
export interface SeedState {
  gitopsRepo: string;
  revision: string;
  namespaces: string[];
  secrets: Record<string, Record<string, string>>;
  statuses: RecordedStatus[];
  workloads: { apiVersion: string; kind: string; namespace: string; name: string; replicas: number }[];
  certificates: { namespace: string; name: string; notAfter: string; expiring: boolean }[];
  skipped: { object: string; reason: string }[];
}

interface Planned {
  obj: KubeObject;
  origin: string;
  app?: string;
  defaultNamespace?: string;
}

interface AppPlan {
  app: KubeObject;
  source?: AppSource;
  sourceType?: 'Kustomize' | 'Directory';
  error?: string;
  generatedBy?: string;
}

function keyOf(obj: KubeObject): string {
  const { group } = splitApiVersion(obj.apiVersion);
  return `${group}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

function label(obj: KubeObject): string {
  return `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) {
      const item = items[i++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listYaml(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Every folder of CRDs the lab installs: those build-binaries.sh copied from the projects' Go modules
 * (`lab/cluster/crd-modules.txt`: cert-manager, Argo CD, Velero, Traefik, the Gateway API).
 */
export function defaultCrdDirs(): string[] {
  return crdModules().map((m) => m.dir);
}

/** Applies the CRDs of `crdDirs` (recursively) and waits until all are Established. */
export async function applyCrds(client: LabKubeClient, crdDirs: string | readonly string[], log: (msg: string) => void): Promise<string[]> {
  const dirs = typeof crdDirs === 'string' ? [crdDirs] : crdDirs;
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new Error(`CRD directory not found: ${dir} (run lab/cluster/build-binaries.sh crds)`);
  }
  const crds = dirs
    .flatMap((d) => listYaml(d))
    .flatMap((f) => parseManifests(readFileSync(f, 'utf8')))
    .filter((o) => o.kind === 'CustomResourceDefinition');
  const t0 = Date.now();
  await mapLimit(crds, 4, async (crd) => {
    await client.apply(crd, LAB_FIELD_MANAGER);
  });
  const names = crds.map((c) => c.metadata.name);
  await waitFor(
    `${names.length} CRDs Established`,
    async () => {
      for (const n of names) {
        const c = await client.get<{ status?: { conditions?: { type: string; status: string }[] } }>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', n);
        if (c?.status?.conditions?.find((x) => x.type === 'Established')?.status !== 'True') return false;
      }
      return true;
    },
    { timeoutMs: 60_000, log },
  );
  await client.discover();
  const where = dirs.map((d) => path.relative(process.cwd(), d) || d).join(', ');
  log(`crds: ${names.length} applied and Established in ${Date.now() - t0} ms (${where})`);
  return names;
}

/** The revision the seeding read: git HEAD of the repository, or a content hash when it is not a git checkout. */
export function repoRevision(repo: string): string {
  try {
    return execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    const h = createHash('sha1');
    const visit = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.name === '.git') continue;
        const p = path.join(d, e.name);
        if (e.isDirectory()) visit(p);
        else if (e.isFile() && statSync(p).size < 4_000_000) {
          h.update(path.relative(repo, p));
          h.update(readFileSync(p));
        }
      }
    };
    visit(repo);
    return h.digest('hex');
  }
}

/** Removes null values (YAML keys with nothing after them), as kubectl does before sending a manifest. */
export function pruneNulls(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) pruneNulls(x);
  } else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const [k, x] of Object.entries(o)) {
      if (x === null) delete o[k];
      else pruneNulls(x);
    }
  }
}

/** Whether a Secret value in Git is a placeholder the lab fills (empty or `${VAR}`). */
export function isPlaceholder(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (typeof v === 'string' && /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(v.trim()));
}

/**
 * Fills Secret values that are empty (or `${VAR}` placeholders) in Git with random 32-hex keys.
 * Returns the Secret's full decoded content when something was filled, else undefined.
 */
export function fillSecret(secret: KubeObject): Record<string, string> | undefined {
  let filled = false;
  const out: Record<string, string> = {};
  const data = (secret.data ?? undefined) as Record<string, unknown> | undefined;
  const stringData = (secret.stringData ?? undefined) as Record<string, unknown> | undefined;
  if (data) {
    for (const [k, v] of Object.entries(data)) {
      if (isPlaceholder(v)) {
        const value = randomBytes(16).toString('hex');
        data[k] = Buffer.from(value).toString('base64');
        out[k] = value;
        filled = true;
      } else out[k] = Buffer.from(String(v), 'base64').toString('utf8');
    }
  }
  if (stringData) {
    for (const [k, v] of Object.entries(stringData)) {
      if (isPlaceholder(v)) {
        const value = randomBytes(16).toString('hex');
        stringData[k] = value;
        out[k] = value;
        filled = true;
      } else out[k] = String(v);
    }
  }
  return filled ? out : undefined;
}

function podSpecs(obj: KubeObject): Record<string, unknown>[] {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  if (obj.kind === 'Pod') return [spec];
  if (obj.kind === 'CronJob') {
    const jt = (spec.jobTemplate ?? {}) as Record<string, unknown>;
    const t = ((jt.spec ?? {}) as Record<string, unknown>).template as Record<string, unknown> | undefined;
    return t?.spec ? [t.spec as Record<string, unknown>] : [];
  }
  const t = spec.template as Record<string, unknown> | undefined;
  return t?.spec ? [t.spec as Record<string, unknown>] : [];
}

/** A Secret a workload's pods reference, with the keys they read (none known for a whole-Secret `envFrom` or volume). */
export interface SecretReference {
  namespace: string;
  name: string;
  keys: string[];
  /** What references it: `Deployment media/sonarr (env SONARR__AUTH__APIKEY)`. */
  by: string[];
}

/**
 * Every Secret the workloads of `objects` reference by `secretKeyRef`, `envFrom` or a (projected)
 * volume, with the keys they read. A whole-Secret `envFrom` of a container the app catalogue
 * recognises is read for the variable the app takes its key from (`SONARR__AUTH__APIKEY`, less the
 * `prefix`), since that is the key the Secret must hold for the app.
 */
export function secretReferences(objects: readonly KubeObject[]): SecretReference[] {
  const refs = new Map<string, SecretReference>();
  const note = (namespace: string, name: string | undefined, key: string | undefined, by: string) => {
    if (!name) return;
    const id = `${namespace}/${name}`;
    const r = refs.get(id) ?? { namespace, name, keys: [], by: [] };
    if (key && !r.keys.includes(key)) r.keys.push(key);
    if (!r.by.includes(by)) r.by.push(by);
    refs.set(id, r);
  };
  for (const obj of objects) {
    if (!WORKLOAD_KINDS.has(obj.kind) && !['Pod', 'Job', 'CronJob'].includes(obj.kind)) continue;
    const ns = obj.metadata.namespace ?? 'default';
    const who = `${obj.kind} ${ns}/${obj.metadata.name}`;
    for (const ps of podSpecs(obj)) {
      const containers = [...((ps.initContainers ?? []) as Record<string, unknown>[]), ...((ps.containers ?? []) as Record<string, unknown>[])];
      for (const c of containers) {
        for (const e of (c.env ?? []) as Record<string, unknown>[]) {
          const ref = ((e.valueFrom ?? {}) as Record<string, unknown>).secretKeyRef as { name?: string; key?: string } | undefined;
          if (ref) note(ns, ref.name, ref.key, `${who} (env ${String(e.name)})`);
        }
        const kind = recognizeImage(typeof c.image === 'string' ? c.image : undefined);
        const credential = kind === 'other' ? undefined : appEntry(kind).credential;
        const appEnv = credential?.type === 'api-key' ? credential.workloadEnv : null;
        for (const ef of (c.envFrom ?? []) as Record<string, unknown>[]) {
          const ref = ef.secretRef as { name?: string } | undefined;
          if (!ref) continue;
          const prefix = typeof ef.prefix === 'string' ? ef.prefix : '';
          const key = appEnv && appEnv.startsWith(prefix) ? appEnv.slice(prefix.length) : undefined;
          note(ns, ref.name, key, `${who} (envFrom${prefix ? ` prefix ${prefix}` : ''})`);
        }
      }
      for (const v of (ps.volumes ?? []) as Record<string, unknown>[]) {
        const secret = v.secret as { secretName?: string; items?: { key?: string }[] } | undefined;
        if (secret) {
          note(ns, secret.secretName, undefined, `${who} (volume ${String(v.name)})`);
          for (const i of secret.items ?? []) note(ns, secret.secretName, i.key, `${who} (volume ${String(v.name)})`);
        }
        const sources = (((v.projected ?? {}) as Record<string, unknown>).sources ?? []) as Record<string, unknown>[];
        for (const src of sources) {
          const ps2 = src.secret as { name?: string; items?: { key?: string }[] } | undefined;
          if (!ps2) continue;
          note(ns, ps2.name, undefined, `${who} (projected volume ${String(v.name)})`);
          for (const i of ps2.items ?? []) note(ns, ps2.name, i.key, `${who} (projected volume ${String(v.name)})`);
        }
      }
    }
  }
  return [...refs.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** The decoded content of a Secret manifest (`data` base64, `stringData` in clear). */
function secretContent(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data ?? {}) as Record<string, unknown>)) out[k] = Buffer.from(String(v ?? ''), 'base64').toString('utf8');
  for (const [k, v] of Object.entries((secret.stringData ?? {}) as Record<string, unknown>)) out[k] = String(v ?? '');
  return out;
}

/** Options of seedLab. */
export interface SeedOptions {
  labDir: string;
  client: LabKubeClient;
  repo: string;
  nodes: string[];
  log: (msg: string) => void;
  crdDir?: string;
  /** True when the CRDs were applied already (applyCrds); otherwise seedLab applies them. */
  crdsApplied?: boolean;
  /** Seconds to wait for all workloads to become available. */
  workloadTimeoutSeconds?: number;
  /** Directory of the lab's own extra manifests (default {@link defaultExtrasDir}); null for none. */
  extrasDir?: string | null;
}

/**
 * Seeds the lab from a k8s_nas-like GitOps repository: CRDs, then what Argo CD would deploy
 * (bootstrap Applications, Applications generated by ApplicationSets, their kustomize/directory
 * sources), kustomization roots no Application manages, and manifests lying next to a
 * kustomization without being listed in it. Then it writes the status no controller writes in the
 * lab (Certificates, Issuers) and waits for every workload. What an Application renders is applied the
 * way Argo CD's sync applies it (field manager and tracking annotation); the lab's Argo CD
 * (lab/argocd) then follows the repository and writes the Applications' status.
 */
export async function seedLab(opts: SeedOptions): Promise<SeedState> {
  const { client, log } = opts;
  const warn = (msg: string) => log(`  warning: ${msg}`);
  const t0 = Date.now();
  const repo = path.resolve(opts.repo);
  if (!existsSync(repo)) throw new Error(`GitOps repository not found: ${repo} (set LAB_GITOPS_REPO or pass --repo)`);
  log(`seed: source repository ${repo}`);

  if (!opts.crdsApplied) await applyCrds(client, opts.crdDir ?? defaultCrdDirs(), log);

  const work = mkdtempSync(path.join(os.tmpdir(), 'k8s-nas-lab-repo-'));
  try {
    for (const note of prepareWorkingCopy(repo, work)) log(`  working copy: ${note}`);
    const index = indexRepo(work);
    const kustomize = binaryPath('kustomize');
    const planned = new Map<string, Planned>();
    const apps = new Map<string, AppPlan>();
    const renderedDirs = new Set<string>();
    const skipped: SeedState['skipped'] = [];
    const add = (p: Planned) => {
      pruneNulls(p.obj);
      const k = keyOf(p.obj);
      if (!planned.has(k)) planned.set(k, p);
    };

    // 1. Applications: bootstrap files (not part of any kustomization), then what they render.
    const included = new Set<string>();
    for (const k of index.kustomizations.values()) for (const i of k.includes) included.add(i);
    const queue: { app: KubeObject; origin: string; generatedBy?: string }[] = index.docs
      .filter((d) => d.obj.kind === 'Application' && d.obj.apiVersion.startsWith(`${ARGO_GROUP}/`) && !included.has(d.file))
      .map((d) => ({ app: d.obj, origin: `bootstrap file ${d.file}` }));

    const renderInto = async (objects: KubeObject[], origin: string, app: string | undefined, defaultNamespace: string | undefined) => {
      for (const obj of objects) {
        add({ obj, origin, app, defaultNamespace });
        if (obj.apiVersion.startsWith(`${ARGO_GROUP}/`) && obj.kind === 'Application') queue.push({ app: obj, origin });
        if (obj.apiVersion.startsWith(`${ARGO_GROUP}/`) && obj.kind === 'ApplicationSet') {
          if (!obj.metadata.namespace) obj.metadata.namespace = defaultNamespace ?? 'argocd';
          const generated = generateApplications(obj, work, warn);
          log(`  ApplicationSet ${obj.metadata.name}: ${generated.length} Application(s)${generated.length ? `: ${generated.map((a) => a.metadata.name).join(', ')}` : ''}`);
          for (const g of generated) queue.push({ app: g, origin: `ApplicationSet ${obj.metadata.name}`, generatedBy: obj.metadata.name });
        }
      }
    };

    const processQueue = async () => {
      while (queue.length > 0) {
        const { app, origin, generatedBy } = queue.shift() as (typeof queue)[number];
        if (!app.metadata.namespace) app.metadata.namespace = 'argocd';
        const id = `${app.metadata.namespace}/${app.metadata.name}`;
        if (apps.has(id)) continue;
        add({ obj: app, origin });
        const plan: AppPlan = { app, generatedBy };
        apps.set(id, plan);
        const src = applicationSource(app);
        plan.source = src;
        const destNs = applicationDestinationNamespace(app) || undefined;
        if (!src) {
          plan.error = 'application has no source path';
          warn(`Application ${id}: no source path; nothing rendered`);
          continue;
        }
        if (!isDir(work, src.path)) {
          plan.error = `${src.path}: app path does not exist`;
          warn(`Application ${id}: path ${src.path} does not exist in the repository; nothing rendered`);
          continue;
        }
        try {
          const rendered = await renderAppSource(work, index, src, kustomize);
          plan.sourceType = rendered.sourceType;
          for (const d of rendered.dirs) renderedDirs.add(d);
          const how = rendered.sourceType === 'Kustomize' ? `kustomize ${src.path}` : `directory ${src.path}${src.recurse ? ' (recursive)' : ''}`;
          log(`  Application ${id}: ${how} -> ${rendered.objects.length} objects (namespace ${destNs ?? '-'})`);
          await renderInto(rendered.objects, `Application ${id}`, app.metadata.name, destNs);
        } catch (err) {
          plan.error = (err as Error).message;
          warn(`Application ${id}: ${(err as Error).message}`);
        }
      }
    };
    await processQueue();

    // 2. Kustomization roots no Application renders.
    for (const root of kustomizationRoots(index)) {
      if (renderedDirs.has(root)) continue;
      const objs = await kustomizeBuild(kustomize, path.join(work, root)).catch((err: Error) => {
        warn(err.message);
        return [] as KubeObject[];
      });
      for (const d of kustomizationTree(index, root)) renderedDirs.add(d);
      log(`  kustomization ${root || '.'} (not managed by any Argo CD Application) -> ${objs.length} objects`);
      await renderInto(objs, `kustomization ${root}`, undefined, undefined);
    }
    await processQueue();

    // 3. Loose manifests next to rendered kustomizations.
    for (const dir of [...renderedDirs].sort()) {
      const { loose, disabled } = looseFiles(index, dir);
      for (const f of disabled) log(`  skipped ${f}: commented out in ${dir || '.'}/kustomization.yaml`);
      for (const f of loose) {
        const docs = index.docs.filter((d) => d.file === f);
        const fresh = docs.filter((d) => !planned.has(keyOf(d.obj)));
        if (fresh.length === 0) continue;
        const ownerApp = [...apps.values()].find((a) => a.source && (dir === a.source.path || dir.startsWith(`${a.source.path}/`)));
        const ns = ownerApp ? applicationDestinationNamespace(ownerApp.app) || undefined : undefined;
        log(`  loose file ${f} (not listed in its kustomization): ${fresh.map((d) => label(d.obj)).join(', ')}`);
        await renderInto(fresh.map((d) => d.obj), `loose file ${f}`, undefined, ns);
      }
    }
    await processQueue();

    // 3b. The lab's own extra manifests, applied like loose manifests (not managed by Argo CD).
    const extrasDir = opts.extrasDir === undefined ? defaultExtrasDir() : (opts.extrasDir ?? undefined);
    if (extrasDir !== undefined && existsSync(extrasDir)) {
      for (const f of listYaml(extrasDir)) {
        const docs = parseManifests(readFileSync(f, 'utf8'));
        log(`  lab extra ${path.basename(f)} (beside the repository): ${docs.map(label).join(', ')}`);
        await renderInto(docs, `lab extra ${path.basename(f)}`, undefined, undefined);
      }
      await processQueue();
    }

    // 4. AppProjects the Applications use.
    for (const plan of apps.values()) {
      const project = String(((plan.app.spec ?? {}) as Record<string, unknown>).project ?? 'default');
      const have = [...planned.values()].some((p) => p.obj.kind === 'AppProject' && p.obj.metadata.name === project);
      if (have) continue;
      const found = index.docs.find((d) => d.obj.kind === 'AppProject' && d.obj.metadata.name === project);
      if (found) {
        log(`  AppProject ${project}: from ${found.file} (used by Application ${plan.app.metadata.name})`);
        add({ obj: found.obj, origin: `file ${found.file}`, defaultNamespace: plan.app.metadata.namespace });
      } else if (project === 'default') {
        add({
          obj: {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'AppProject',
            metadata: { name: 'default', namespace: plan.app.metadata.namespace ?? 'argocd' },
            spec: { sourceRepos: ['*'], destinations: [{ namespace: '*', server: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
          },
          origin: 'Argo CD default project',
        });
      } else warn(`AppProject ${project} used by ${plan.app.metadata.name} is not in the repository`);
    }

    // 5. Resolve kinds and namespaces; skip what the lab cannot serve.
    await client.discover();
    const objects: Planned[] = [];
    for (const p of planned.values()) {
      const m = await client.mappingFor(p.obj.apiVersion, p.obj.kind);
      if (!m) {
        const reason = `kind ${p.obj.apiVersion} ${p.obj.kind} is not served by the lab (no CRD)`;
        skipped.push({ object: label(p.obj), reason });
        warn(`skipped ${label(p.obj)} from ${p.origin}: ${reason}`);
        continue;
      }
      if (m.namespaced && !p.obj.metadata.namespace) p.obj.metadata.namespace = p.defaultNamespace ?? 'default';
      if (!m.namespaced) delete p.obj.metadata.namespace;
      objects.push(p);
    }

    // 6. Secrets: fill values that are empty in Git.
    const secrets: Record<string, Record<string, string>> = {};
    for (const p of objects) {
      if (p.obj.kind !== 'Secret' || p.obj.apiVersion !== 'v1') continue;
      const filled = fillSecret(p.obj);
      if (filled) {
        secrets[`${p.obj.metadata.namespace}/${p.obj.metadata.name}`] = filled;
        log(`  Secret ${p.obj.metadata.namespace}/${p.obj.metadata.name}: generated values for ${Object.keys(filled).length} empty key(s)`);
      }
    }

    // 6b. Secrets the workloads reference that Git does not define (kept out of the repository, as
    // they should be): created with generated values, so the pods start and the simulators and the
    // panel share one key. A Certificate's Secret is left to the certificates step.
    const certificateSecrets = new Set(
      objects
        .filter((p) => p.obj.kind === 'Certificate')
        .map((p) => `${p.obj.metadata.namespace}/${String(((p.obj.spec ?? {}) as Record<string, unknown>).secretName ?? '')}`),
    );
    const gitSecrets = new Map(objects.filter((p) => p.obj.kind === 'Secret' && p.obj.apiVersion === 'v1').map((p) => [`${p.obj.metadata.namespace}/${p.obj.metadata.name}`, p.obj]));
    for (const ref of secretReferences(objects.map((p) => p.obj))) {
      const id = `${ref.namespace}/${ref.name}`;
      if (certificateSecrets.has(id)) continue;
      const inGit = gitSecrets.get(id);
      if (inGit) {
        const content = secrets[id] ?? secretContent(inGit);
        secrets[id] = content;
        const absent = ref.keys.filter((k) => !(k in content));
        if (absent.length) warn(`Secret ${id} (in Git) has no ${absent.join(', ')}, read by ${ref.by.join('; ')}`);
        continue;
      }
      const generated = Object.fromEntries(ref.keys.map((k) => [k, randomBytes(16).toString('hex')]));
      secrets[id] = generated;
      objects.push({
        obj: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: ref.name, namespace: ref.namespace, labels: { [LAB_SEEDED_LABEL]: 'true' } },
          type: 'Opaque',
          stringData: generated,
        },
        origin: `Secret referenced by ${ref.by.join('; ')} (not in the repository)`,
      });
      log(
        `  Secret ${id}: not in the repository, created by the lab with generated values for ${ref.keys.length ? ref.keys.join(', ') : 'no key (none named)'}; referenced by ${ref.by.join('; ')}`,
      );
    }

    // 7. Namespaces, storage classes and pre-bound volumes the manifests need.
    const existingNs = new Set((await client.list('v1', 'Namespace')).map((n) => n.metadata.name));
    const nsNeeded = new Set<string>();
    for (const p of objects) {
      if (p.obj.metadata.namespace) nsNeeded.add(p.obj.metadata.namespace);
      if (p.obj.kind === 'Namespace') nsNeeded.add(p.obj.metadata.name);
    }
    for (const plan of apps.values()) {
      const d = applicationDestinationNamespace(plan.app);
      if (d && !plan.error) nsNeeded.add(d);
    }
    for (const ns of nsNeeded) {
      if (!objects.some((p) => p.obj.kind === 'Namespace' && p.obj.metadata.name === ns)) {
        objects.push({ obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, origin: 'namespace used by the manifests' });
      }
    }
    const classes = new Set<string>();
    const pvs = new Set(objects.filter((p) => p.obj.kind === 'PersistentVolume').map((p) => p.obj.metadata.name));
    for (const p of objects) {
      const spec = (p.obj.spec ?? {}) as Record<string, unknown>;
      if ((p.obj.kind === 'PersistentVolumeClaim' || p.obj.kind === 'PersistentVolume') && typeof spec.storageClassName === 'string' && spec.storageClassName) {
        classes.add(spec.storageClassName);
      }
      if (p.obj.kind === 'StatefulSet' && Array.isArray(spec.volumeClaimTemplates)) {
        for (const t of spec.volumeClaimTemplates) {
          const sc = ((t as Record<string, unknown>).spec as Record<string, unknown> | undefined)?.storageClassName;
          if (typeof sc === 'string' && sc) classes.add(sc);
        }
      }
      if (p.obj.kind === 'PersistentVolumeClaim' && typeof spec.volumeName === 'string' && spec.volumeName && !pvs.has(spec.volumeName)) {
        pvs.add(spec.volumeName);
        const requests = ((spec.resources ?? {}) as Record<string, Record<string, string>>).requests ?? {};
        objects.push({
          obj: {
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: spec.volumeName, labels: { [LAB_SEEDED_LABEL]: 'true' } },
            spec: {
              capacity: { storage: requests.storage ?? '1Gi' },
              accessModes: spec.accessModes ?? ['ReadWriteOnce'],
              persistentVolumeReclaimPolicy: 'Retain',
              storageClassName: spec.storageClassName ?? '',
              hostPath: { path: volumeDir(p.obj.metadata.namespace ?? 'default', p.obj.metadata.name, opts.labDir), type: 'DirectoryOrCreate' },
              claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: p.obj.metadata.namespace, name: p.obj.metadata.name },
            },
          },
          origin: `volume ${spec.volumeName} named by PVC ${p.obj.metadata.namespace}/${p.obj.metadata.name} (not in the repository)`,
        });
        log(`  PersistentVolume ${spec.volumeName}: stand-in for PVC ${p.obj.metadata.namespace}/${p.obj.metadata.name} (volume not in the repository)`);
      }
    }
    const existingClasses = new Set((await client.list('storage.k8s.io/v1', 'StorageClass')).map((s) => s.metadata.name));
    for (const sc of classes) {
      if (existingClasses.has(sc) || objects.some((p) => p.obj.kind === 'StorageClass' && p.obj.metadata.name === sc)) continue;
      objects.push({
        obj: {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: { name: sc, labels: { [LAB_SEEDED_LABEL]: 'true' } },
          provisioner: 'lab.k8s-nas-panel/provisioner',
          reclaimPolicy: 'Delete',
          volumeBindingMode: 'Immediate',
        },
        origin: 'storage class named by volumes (provided by the cluster, not the repository)',
      });
      log(`  StorageClass ${sc}: provided by the lab (the real cluster provides it outside Git)`);
    }

    // 8. Node labels the workloads select on.
    const nodeLabels: Record<string, string> = {};
    for (const p of objects) {
      for (const ps of podSpecs(p.obj)) {
        const sel = ps.nodeSelector as Record<string, string> | undefined;
        for (const [k, v] of Object.entries(sel ?? {})) {
          if (nodeLabels[k] !== undefined && nodeLabels[k] !== v) warn(`nodeSelector ${k}=${v} of ${label(p.obj)} conflicts with ${k}=${nodeLabels[k]}`);
          else nodeLabels[k] = String(v);
        }
      }
    }
    if (Object.keys(nodeLabels).length > 0) {
      for (const n of opts.nodes) await client.mergePatch({ apiVersion: 'v1', kind: 'Node', name: n }, { metadata: { labels: nodeLabels } });
      log(`  nodes labelled for nodeSelectors: ${Object.entries(nodeLabels).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    }

    // 9. Argo CD tracking annotation on what each Application manages.
    for (const p of objects) {
      if (!p.app) continue;
      p.obj.metadata.annotations = { ...(p.obj.metadata.annotations ?? {}), [TRACKING_ANNOTATION]: trackingId(p.app, p.obj) };
    }

    // 10. Apply in dependency order.
    const bucket = (o: KubeObject): number => {
      const { group } = splitApiVersion(o.apiVersion);
      if (o.kind === 'CustomResourceDefinition') return 0;
      if (o.kind === 'Namespace') return 1;
      if (group === ARGO_GROUP) return o.kind === 'Application' ? 7 : 6;
      if (!o.metadata.namespace) return 2;
      if (['ServiceAccount', 'ConfigMap', 'Secret', 'Role', 'RoleBinding', 'LimitRange', 'ResourceQuota'].includes(o.kind)) return 3;
      if (['PersistentVolumeClaim', 'Service', 'Issuer'].includes(o.kind)) return 4;
      return 5;
    };
    const byBucket = new Map<number, Planned[]>();
    for (const p of objects) byBucket.set(bucket(p.obj), [...(byBucket.get(bucket(p.obj)) ?? []), p]);
    const applied: Planned[] = [];
    const appsetUids = new Map<string, string>();
    let failures = 0;
    for (const b of [...byBucket.keys()].sort((x, y) => x - y)) {
      const items = byBucket.get(b) ?? [];
      if (b === 7) {
        for (const p of items) {
          const plan = apps.get(`${p.obj.metadata.namespace}/${p.obj.metadata.name}`);
          const uid = plan?.generatedBy ? appsetUids.get(`${p.obj.metadata.namespace}/${plan.generatedBy}`) : undefined;
          if (plan?.generatedBy && uid) {
            p.obj.metadata.ownerReferences = [
              { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: plan.generatedBy, uid, controller: true, blockOwnerDeletion: true },
            ];
          }
        }
      }
      await mapLimit(items, 6, async (p) => {
        // What an Application renders is applied as Argo CD's sync applies it, and the Applications an
        // ApplicationSet generates as its controller writes them, so that the lab's Argo CD later owns
        // (and can remove) exactly those fields.
        const generated = p.obj.kind === 'Application' && !!apps.get(`${p.obj.metadata.namespace}/${p.obj.metadata.name}`)?.generatedBy;
        const manager = p.app ? ARGOCD_FIELD_MANAGER : generated ? APPSET_FIELD_MANAGER : LAB_FIELD_MANAGER;
        try {
          const res = await client.apply(p.obj, manager);
          if (p.obj.kind === 'ApplicationSet') appsetUids.set(`${p.obj.metadata.namespace}/${p.obj.metadata.name}`, String(res.metadata.uid));
          applied.push(p);
        } catch (err) {
          failures++;
          const msg = err instanceof KubeHttpError ? err.body.slice(0, 300) : (err as Error).message;
          skipped.push({ object: label(p.obj), reason: msg });
          warn(`could not apply ${label(p.obj)} (${p.origin}): ${msg}`);
        }
      });
      if (b === 0 && items.length > 0) await client.discover();
    }
    log(`seed: applied ${applied.length} objects${failures ? `, ${failures} failed` : ''} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);

    const createdNamespaces = [...nsNeeded].filter((n) => !existingNs.has(n) && !SYSTEM_NAMESPACES.has(n)).sort();
    const revision = repoRevision(repo);
    const statuses: RecordedStatus[] = [];
    const writeStatus = async (s: RecordedStatus) => {
      const ref = { apiVersion: s.apiVersion, kind: s.kind, name: s.name, namespace: s.namespace };
      await client.mergePatch(ref, { status: s.status }, { subresource: s.subresource ? 'status' : undefined, fieldManager: LAB_STATUS_MANAGER });
      statuses.push(s);
    };
    const hasStatusSub = async (o: KubeObject) => (await client.mappingFor(o.apiVersion, o.kind))?.subresources.includes('status') ?? false;

    // 11. cert-manager: issuers Ready, Certificates issued (Secret + status), one close to expiry.
    for (const p of applied.filter((x) => (x.obj.kind === 'ClusterIssuer' || x.obj.kind === 'Issuer') && x.obj.apiVersion.startsWith('cert-manager.io/'))) {
      await writeStatus({ apiVersion: p.obj.apiVersion, kind: p.obj.kind, name: p.obj.metadata.name, namespace: p.obj.metadata.namespace, subresource: await hasStatusSub(p.obj), status: issuerStatus(p.obj) });
    }
    const certs = applied
      .filter((x) => x.obj.kind === 'Certificate' && x.obj.apiVersion.startsWith('cert-manager.io/'))
      .sort((a, b) => keyOf(a.obj).localeCompare(keyOf(b.obj)));
    const expiringCount = Math.min(certs.length, Math.max(0, Number(process.env.LAB_EXPIRING_CERTIFICATES ?? 1)));
    const certificates: SeedState['certificates'] = [];
    const certDir = labFiles(opts.labDir).certs;
    for (const [i, p] of certs.entries()) {
      const expiring = i >= certs.length - expiringCount;
      const window = certificateWindow(p.obj, expiring);
      const spec = (p.obj.spec ?? {}) as Record<string, unknown>;
      const dnsNames = Array.isArray(spec.dnsNames) ? spec.dnsNames.map(String) : [];
      const secretName = typeof spec.secretName === 'string' ? spec.secretName : `${p.obj.metadata.name}-tls`;
      const ns = p.obj.metadata.namespace ?? 'default';
      const issuer = (spec.issuerRef ?? {}) as Record<string, string>;
      if (!applied.some((x) => x.obj.kind === 'Secret' && x.obj.metadata.name === secretName && x.obj.metadata.namespace === ns)) {
        const issued = await issueServingCertificate(certDir, typeof spec.commonName === 'string' ? spec.commonName : (dnsNames[0] ?? p.obj.metadata.name), dnsNames, window.notBefore, window.notAfter);
        await client.apply(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            type: 'kubernetes.io/tls',
            metadata: {
              name: secretName,
              namespace: ns,
              labels: { 'controller.cert-manager.io/fao': 'true', [LAB_SEEDED_LABEL]: 'true' },
              annotations: {
                'cert-manager.io/certificate-name': p.obj.metadata.name,
                'cert-manager.io/issuer-name': issuer.name ?? '',
                'cert-manager.io/issuer-kind': issuer.kind ?? 'Issuer',
                'cert-manager.io/issuer-group': issuer.group ?? 'cert-manager.io',
                'cert-manager.io/common-name': dnsNames[0] ?? '',
                'cert-manager.io/alt-names': dnsNames.join(','),
              },
            },
            data: {
              'tls.crt': Buffer.from(issued.certPem).toString('base64'),
              'tls.key': Buffer.from(issued.keyPem).toString('base64'),
              'ca.crt': readFileSync(path.join(certDir, 'ca.crt')).toString('base64'),
            },
          },
          LAB_FIELD_MANAGER,
        );
      }
      await writeStatus({ apiVersion: p.obj.apiVersion, kind: 'Certificate', name: p.obj.metadata.name, namespace: ns, subresource: await hasStatusSub(p.obj), status: certificateStatus(window) });
      certificates.push({ namespace: ns, name: p.obj.metadata.name, notAfter: window.notAfter.toISOString(), expiring });
      log(`  Certificate ${ns}/${p.obj.metadata.name}: Ready, notAfter ${window.notAfter.toISOString()}${expiring ? ' (close to expiry)' : ''}`);
    }

    // 12. Wait for workloads and volumes.
    const workloadObjs = applied.filter((p) => WORKLOAD_KINDS.has(p.obj.kind) && p.obj.apiVersion === 'apps/v1');
    const workloads = workloadObjs.map((p) => ({
      apiVersion: p.obj.apiVersion,
      kind: p.obj.kind,
      namespace: p.obj.metadata.namespace ?? 'default',
      name: p.obj.metadata.name,
      replicas: Number(((p.obj.spec ?? {}) as Record<string, unknown>).replicas ?? 1),
    }));
    await waitForWorkloads(client, workloads, log, (opts.workloadTimeoutSeconds ?? 180) * 1000);
    const pvcs = applied.filter((p) => p.obj.kind === 'PersistentVolumeClaim');
    await waitFor(
      `${pvcs.length} PVCs Bound`,
      async () => {
        const list = await client.list<{ metadata: { namespace: string; name: string }; status?: { phase?: string } }>('v1', 'PersistentVolumeClaim');
        const bound = new Set(list.filter((c) => c.status?.phase === 'Bound').map((c) => `${c.metadata.namespace}/${c.metadata.name}`));
        return pvcs.every((p) => bound.has(`${p.obj.metadata.namespace}/${p.obj.metadata.name}`));
      },
      { timeoutMs: 60_000, log },
    );
    if (pvcs.length) log(`seed: ${pvcs.length} PVCs Bound`);

    const state: SeedState = {
      gitopsRepo: repo,
      revision,
      namespaces: createdNamespaces,
      secrets,
      statuses,
      workloads,
      certificates,
      skipped,
    };
    writeFileSync(labFiles(opts.labDir).seedState, JSON.stringify(state, null, 2) + '\n');
    log(
      `seed: done in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${createdNamespaces.length} namespaces, ${workloads.length} workloads ready, ` +
        `${apps.size} Applications, ${certificates.length} Certificates, ${skipped.length} skipped`,
    );
    return state;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface WorkloadStatus {
  metadata: { namespace: string; name: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
  };
}

/** True when a Deployment/StatefulSet/DaemonSet has all desired replicas ready (and observed its generation). */
export function workloadReady(kind: string, w: WorkloadStatus): boolean {
  const s = w.status ?? {};
  if ((s.observedGeneration ?? 0) < (w.metadata.generation ?? 0)) return false;
  if (kind === 'DaemonSet') return (s.desiredNumberScheduled ?? 0) > 0 && s.numberReady === s.desiredNumberScheduled;
  const want = w.spec?.replicas ?? 1;
  if (kind === 'Deployment') return (s.availableReplicas ?? 0) >= want && (s.updatedReplicas ?? 0) >= want && (s.replicas ?? 0) === want;
  return (s.readyReplicas ?? 0) >= want && (s.replicas ?? 0) === want;
}

/** Waits until the listed workloads are ready, printing which ones are still waiting. */
export async function waitForWorkloads(
  client: LabKubeClient,
  workloads: { apiVersion: string; kind: string; namespace: string; name: string }[],
  log: (msg: string) => void,
  timeoutMs = 180_000,
): Promise<void> {
  if (workloads.length === 0) return;
  const t0 = Date.now();
  let waiting: string[] = [];
  const check = async () => {
    const kinds = [...new Set(workloads.map((w) => w.kind))];
    const lists = await Promise.all(kinds.map(async (k) => ({ k, items: await client.list<WorkloadStatus>('apps/v1', k) })));
    waiting = [];
    for (const w of workloads) {
      const item = lists.find((l) => l.k === w.kind)?.items.find((i) => i.metadata.namespace === w.namespace && i.metadata.name === w.name);
      if (!item || !workloadReady(w.kind, item)) waiting.push(`${w.namespace}/${w.name}`);
    }
    return waiting.length === 0;
  };
  try {
    await waitFor(`${workloads.length} workloads available`, check, {
      timeoutMs,
      log,
      intervalMs: 500,
      describe: () => `${workloads.length - waiting.length}/${workloads.length} ready; waiting for ${waiting.slice(0, 8).join(', ')}${waiting.length > 8 ? ', ...' : ''}`,
    });
  } catch (err) {
    // Say why: the first condition that is not True on the pods of the waiting workloads.
    const pods = await client.list<PodStatus>('v1', 'Pod').catch(() => [] as PodStatus[]);
    const why = pods
      .filter((p) => waiting.some((w) => w === `${p.metadata.namespace}/${p.metadata.name.replace(/-[a-z0-9]+(-[a-z0-9]+)?$/, '')}`))
      .map((p) => {
        const bad = p.status?.conditions?.find((c) => c.status !== 'True');
        return `${p.metadata.namespace}/${p.metadata.name}: ${p.status?.phase ?? '?'}${bad ? ` (${bad.type}: ${bad.reason ?? ''} ${bad.message ?? ''})` : ''}`;
      });
    throw new Error(`${(err as Error).message}${why.length ? `\n  ${why.join('\n  ')}` : '\n  (see logs/kube-controller-manager.log and logs/kube-scheduler.log)'}`);
  }
  log(`workloads: ${workloads.length} available in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

interface PodStatus {
  metadata: { namespace: string; name: string };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}
