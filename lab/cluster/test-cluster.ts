import { KubeConfig } from '@kubernetes/client-node';
import { beforeAll } from 'vitest';
import { resetLab } from '../controls';
import { readLabJson, type LabJson } from '../lab';
import { labDir } from '../paths';

/**
 * Test-side access to the lab. The integration project's globalSetup (lab/global-setup.ts)
 * brings the lab up once per run; each test file calls useLabCluster() to get the lab's data and an
 * admin KubeConfig, with the seeded state restored before its tests run.
 */

/** lab.json plus an admin KubeConfig for @kubernetes/client-node. */
export interface LabHandle extends LabJson {
  kc: KubeConfig;
}

/** Reads lab.json of the running lab and loads its admin kubeconfig. Throws when the lab is not up. */
export function getLab(): LabHandle {
  const data = readLabJson();
  if (!data) {
    throw new Error(`the lab is not up (no lab.json in ${labDir()}). Integration tests start it in globalSetup; by hand: npm run lab -- up`);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(data.kubeconfig);
  return { ...data, kc };
}

/** A KubeConfig for the lab's API server that authenticates with a bearer token (e.g. from TokenRequest). */
export function tokenKubeConfig(lab: LabJson, token: string, user = 'token-user'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'lab', server: lab.apiServer, caFile: lab.caFile, skipTLSVerify: false }],
    users: [{ name: user, token }],
    contexts: [{ name: 'lab', cluster: 'lab', user }],
    currentContext: 'lab',
  });
  return kc;
}

/**
 * Registers a beforeAll hook that restores the seeded state (resetLab) and returns a getter for the
 * lab. Call once at the top level of a test file.
 */
export function useLabCluster(opts: { reset?: boolean } = {}): () => LabHandle {
  let handle: LabHandle | undefined;
  beforeAll(async () => {
    if (opts.reset !== false) await resetLab();
    handle = getLab();
    return undefined;
  }, 180_000);
  return () => {
    if (!handle) throw new Error(`useLabCluster: the lab handle is not ready yet (used outside a test?)`);
    return handle;
  };
}

export { resetLab };
