import { parse } from "yaml";
import { dirOf, isUnder, joinPath, relativeTo, type RepoView } from "./repo-view";
import { YamlFileEditor } from "./yaml-file";
import type { FileChange } from "./diff";

/**
 * Kustomize layout of the repository: which files a kustomization (and so an Argo CD Application)
 * renders, and where a new resource file has to be listed.
 */

/** File names kustomize accepts, in its order of preference. */
export const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

/** The kustomization file of folder `dir`, if there is one. */
export function kustomizationIn(repo: RepoView, dir: string): string | undefined {
  for (const name of KUSTOMIZATION_NAMES) {
    const p = dir === "" ? name : `${dir}/${name}`;
    if (repo.paths.has(p)) return p;
  }
  return undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function objects(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null) : [];
}

const isRemote = (ref: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || ref.startsWith("git@") || ref.includes("?ref=");

/** Local paths a kustomization references (resources, components, patches, generator files...). */
export function kustomizationRefs(text: string): string[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return [];
  }
  if (typeof doc !== "object" || doc === null) return [];
  const k = doc as Record<string, unknown>;
  const refs = [
    ...strings(k.resources),
    ...strings(k.bases),
    ...strings(k.components),
    ...strings(k.crds),
    ...strings(k.patchesStrategicMerge),
    ...strings(k.transformers),
    ...strings(k.generators),
    ...objects(k.patches).flatMap((p) => strings([p.path])),
    ...objects(k.patchesJson6902).flatMap((p) => strings([p.path])),
    ...objects(k.replacements).flatMap((p) => strings([p.path])),
  ];
  for (const gen of [...objects(k.configMapGenerator), ...objects(k.secretGenerator)]) {
    for (const f of strings(gen.files)) refs.push(f.includes("=") ? f.slice(f.indexOf("=") + 1) : f);
    refs.push(...strings(gen.envs), ...strings([gen.env]));
  }
  return refs.filter((r) => !isRemote(r) && !r.includes("\n"));
}

/**
 * Every file an Argo CD source at `root` renders: with a kustomization, the files it reaches
 * (following folders into their kustomizations); without one, the YAML/JSON files of the folder
 * (and its sub-folders with `recurse`), as Argo CD's directory source does.
 */
export function renderedFiles(repo: RepoView, root: string, opts: { recurse?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const visitDir = (dir: string, recurse: boolean): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const k = kustomizationIn(repo, dir);
    if (k) {
      out.add(k);
      for (const ref of kustomizationRefs(repo.read(k) ?? "")) {
        const target = joinPath(dir, ref);
        if (target === undefined) continue;
        if (repo.paths.has(target)) out.add(target);
        else visitDir(target, false);
      }
      return;
    }
    for (const p of repo.paths) {
      if (!isUnder(p, dir) || !/\.(ya?ml|json)$/i.test(p)) continue;
      if (recurse || dirOf(p) === dir) out.add(p);
    }
  };
  visitDir(joinPath(root) ?? "", opts.recurse ?? false);
  return out;
}

/** The kustomization that should list a file: the one in its folder, else the nearest above it. */
export function owningKustomization(repo: RepoView, file: string): string | undefined {
  let dir: string | undefined = dirOf(file);
  while (dir !== undefined) {
    const k = kustomizationIn(repo, dir);
    if (k) return k;
    dir = dir === "" ? undefined : dirOf(dir);
  }
  return undefined;
}

/**
 * The edit that lists `file` in its kustomization's `resources`, or undefined when it is already
 * listed (directly or through a folder) or no kustomization owns it.
 */
export function planAddResource(repo: RepoView, file: string): FileChange | undefined {
  const k = owningKustomization(repo, file);
  if (!k) return undefined;
  if (renderedFiles(repo, dirOf(k)).has(file)) return undefined;
  const text = repo.read(k);
  if (text === undefined) return undefined;
  const editor = new YamlFileEditor(k, text);
  const entry = relativeTo(dirOf(k), file);
  const resources = editor.node(0, ["resources"]);
  if (resources === undefined) editor.addPairs(0, [], { resources: [entry] });
  else editor.appendItem(0, ["resources"], entry);
  return { path: k, before: text, after: editor.result() };
}
