import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { requireShared } from "../shared-fixture.test-helper";
import { memoryRepo, type RepoView } from "./repo-view";

/** The fixture of the user's GitOps repository (in the shared folder; one line naming it when missing). */
export const FIXTURE_DIR = requireShared("fixtures", "k8s_nas");

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
