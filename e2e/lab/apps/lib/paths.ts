import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository (three levels above `e2e/lab/apps/lib`). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Reference material shared beside the repo: `$K8S_NAS_SHARED_DIR` or `<repo>/../shared`. */
export function sharedDir(): string {
  return process.env.K8S_NAS_SHARED_DIR ?? resolve(repoRoot, "..", "shared");
}

/** The GitOps repository the lab is seeded from: `$LAB_GITOPS_REPO` or the shared fixture. */
export function gitopsDir(): string {
  return process.env.LAB_GITOPS_REPO ?? resolve(sharedDir(), "fixtures", "k8s_nas");
}

/** Folder of the official API descriptions. */
export function specsDir(): string {
  return resolve(sharedDir(), "specs");
}

/** Lab state directory: `$LAB_DIR` or `<repo>/.lab`. */
export function defaultLabDir(): string {
  return process.env.LAB_DIR ?? resolve(repoRoot, ".lab");
}
