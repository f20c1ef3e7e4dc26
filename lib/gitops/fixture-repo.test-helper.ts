import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { memoryRepo, type RepoView } from "./repo-view";

/** The shared reference material (`K8S_NAS_SHARED_DIR`, default `<repo>/../shared`). */
export const SHARED_DIR = process.env.K8S_NAS_SHARED_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared");
/** The fixture of the user's GitOps repository. */
export const FIXTURE_DIR = path.join(SHARED_DIR, "fixtures", "k8s_nas");

/** Every file under `dir`, relative, POSIX separators, sorted. */
export function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full).split(path.sep).join("/")];
    })
    .sort();
}

/** The fixture as an in-memory repository view (text files read, every path listed). */
export function fixtureRepo(): RepoView {
  const files: Record<string, string> = {};
  for (const f of listFiles(FIXTURE_DIR)) files[f] = readFileSync(path.join(FIXTURE_DIR, f), "utf8");
  return memoryRepo(files);
}
