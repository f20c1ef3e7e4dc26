/**
 * A read-only view of one commit of the GitOps repository: the planners read files through it, so
 * they stay pure and are tested with an in-memory tree.
 */
export interface RepoView {
  /** Every file path in the tree (POSIX, relative to the repository root). */
  readonly paths: ReadonlySet<string>;
  /** Text of a file, or undefined when it is absent or was not loaded (binary, too large). */
  read(path: string): string | undefined;
}

/** A view over an in-memory tree (`path -> text`). */
export function memoryRepo(files: Record<string, string>, extraPaths: readonly string[] = []): RepoView {
  const map = new Map(Object.entries(files));
  return { paths: new Set([...map.keys(), ...extraPaths]), read: (p) => map.get(p) };
}

/** The folder of a path (`a/b/c.yaml` -> `a/b`; a top-level file -> ``). */
export function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "" : path.slice(0, i);
}

/** Joins and normalises POSIX path parts (`.` and `..` resolved). Returns undefined when it leaves the root. */
export function joinPath(...parts: string[]): string | undefined {
  const out: string[] = [];
  for (const part of parts.join("/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

/** `child` relative to folder `dir` (both normalised, `child` inside `dir`). */
export function relativeTo(dir: string, child: string): string {
  return dir === "" ? child : child.slice(dir.length + 1);
}

/** True when `path` is `dir` itself or inside it. */
export function isUnder(path: string, dir: string): boolean {
  const d = joinPath(dir) ?? "";
  return d === "" || path === d || path.startsWith(`${d}/`);
}

/** Paths of YAML files under `dir` (recursively), sorted. */
export function yamlFilesUnder(repo: RepoView, dir: string): string[] {
  return [...repo.paths].filter((p) => isUnder(p, dir) && /\.ya?ml$/i.test(p)).sort();
}
