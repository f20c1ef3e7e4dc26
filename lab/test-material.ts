import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * What the tests' lab needs beside the repository: the owner's fixture it is seeded from (unless
 * `LAB_GITOPS_REPO` names a repository) and the API descriptions its simulators and forge are checked
 * against (the tests never run them unchecked). Throws one line naming the first missing folder, as in
 * a clone without `../shared`; the README lists the tests that need it. Plain Node (no `import.meta`),
 * so the e2e setup can load it too.
 */
export function requireTestLabMaterial(repoRoot: string, env: NodeJS.ProcessEnv = process.env): void {
  const shared = sharedDirAt(repoRoot, env);
  const fixture = path.join(shared, 'fixtures', 'k8s_nas');
  const specs = path.join(shared, 'specs');
  const repo = env.LAB_GITOPS_REPO;
  if ((repo === undefined || repo.trim() === '') && !existsSync(fixture)) {
    throw new Error(`needs the owner's fixture: ${fixture} is missing, and the tests' lab is seeded from it (set K8S_NAS_SHARED_DIR to the folder holding fixtures/k8s_nas)`);
  }
  if (!existsSync(specs)) {
    throw new Error(`needs the owner's fixture: ${specs} is missing, and the tests' lab checks its simulators and forge against it (set K8S_NAS_SHARED_DIR to the folder holding specs/)`);
  }
}

/** The shared folder beside a checkout: `K8S_NAS_SHARED_DIR`, or `<repo>/../shared`. */
export function sharedDirAt(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.K8S_NAS_SHARED_DIR ?? path.join(repoRoot, '..', 'shared'));
}
