import { existsSync } from "node:fs";
import path from "node:path";

/**
 * Tests that read the owner's material beside the repository (`../shared`, or `K8S_NAS_SHARED_DIR`):
 * the fixture of the user's GitOps repository (`fixtures/k8s_nas`) and the official API descriptions
 * (`specs/`). In a clone without it such a test fails, never skips, with one line naming the folder;
 * CI always has it. The README lists these tests.
 */

/** The shared folder, `K8S_NAS_SHARED_DIR` or `<repo>/../shared`. */
export function sharedDirForTests(): string {
  return path.resolve(process.env.K8S_NAS_SHARED_DIR ?? path.join(import.meta.dirname, "..", "..", "shared"));
}

/** A folder (or file) inside the shared folder; throws one line naming it when it is missing. */
export function requireShared(...parts: string[]): string {
  const target = path.join(sharedDirForTests(), ...parts);
  if (!existsSync(target)) {
    throw new Error(`needs the owner's fixture: ${target} is missing (set K8S_NAS_SHARED_DIR to the folder holding ${parts.join("/")})`);
  }
  return target;
}
