import path from 'node:path';
import { clusterStatus } from './cluster/cluster';
import { labDown, labUp, readLabJson } from './lab';
import { labDir, requireTestLabMaterial } from './paths';
import { tailFile } from './lib/process';

/**
 * Vitest globalSetup of the integration project: brings the lab up once per run unless it is
 * already up (then it is reused, with whatever stopped started again, and left running), and tears
 * down only what it started.
 * LAB_KEEP=1 keeps a lab this run started; LAB_CLUSTER_ONLY=1 skips the app simulators.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const log = (m: string) => console.log(`[lab] ${m}`);
  requireTestLabMaterial();
  const dir = labDir();
  const before = await clusterStatus(dir);
  const reuse = before.allAlive && before.ready && readLabJson(dir) !== undefined;
  if (reuse) log(`reusing the running lab in ${dir}`);
  try {
    // On a running lab this only starts what is missing (a stopped app, the lab's Argo CD).
    await labUp({ clusterOnly: process.env.LAB_CLUSTER_ONLY === '1', log });
  } catch (err) {
    const logs = path.join(dir, 'logs');
    log(`lab up failed: ${(err as Error).message}`);
    for (const n of ['kube-apiserver', 'kube-controller-manager', 'kwok', 'argocd']) log(`--- ${n}.log ---\n${tailFile(path.join(logs, `${n}.log`), 15)}`);
    if (!reuse) await labDown(log);
    throw err;
  }
  process.env.LAB_DIR = dir;
  return async () => {
    if (reuse || process.env.LAB_KEEP === '1') return;
    await labDown(log);
  };
}
