import { resolve } from "node:path";
import { REPO_ROOT, defaultGitopsRepo, labDir, sharedDir } from "../paths";

/** Root of the repository. */
export const repoRoot: string = REPO_ROOT;

export { sharedDir };

/** The GitOps repository the lab is seeded from: `$LAB_GITOPS_REPO` or the shared fixture. */
export const gitopsDir: () => string = defaultGitopsRepo;

/** Folder of the official API descriptions. */
export function specsDir(): string {
  return resolve(sharedDir(), "specs");
}

/** Lab state directory: `$LAB_DIR` or `<repo>/.lab`. */
export const defaultLabDir: () => string = labDir;
