import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sleep } from '../lib/wait';
import { binaryPath, labFiles, LAB_SRC_DIR } from '../paths';
import { listProcesses, spawnDaemon, tailFile } from '../lib/process';
import { argocdDir, type ArgocdConfig, type ArgocdReady } from './worker';

/**
 * The lab's Argo CD as `lab up` runs it: one supervised process (`argocd` in `lab status`, log
 * `<labDir>/logs/argocd.log`) that follows the GitOps repository and syncs the Applications.
 */

/** Name of the process (pidfile, log). */
export const ARGOCD_PROCESS = 'argocd';

/** Whether the lab's Argo CD process is running. */
export function argocdRunning(labDir: string): boolean {
  return listProcesses(labDir).some((p) => p.name === ARGOCD_PROCESS && p.alive);
}

function readReady(labDir: string): ArgocdReady | undefined {
  try {
    return JSON.parse(readFileSync(path.join(argocdDir(labDir), 'ready.json'), 'utf8')) as ArgocdReady;
  } catch {
    return undefined;
  }
}

/**
 * Starts the lab's Argo CD unless it runs already, and waits until it has compared every
 * Application once (so `lab up` returns with every Application's status written).
 */
export async function ensureArgocd(opts: { labDir: string; apiServer: string; log: (m: string) => void; timeoutMs?: number }): Promise<void> {
  const { labDir, log } = opts;
  if (argocdRunning(labDir)) return;
  const f = labFiles(labDir);
  const dir = argocdDir(labDir);
  mkdirSync(dir, { recursive: true });
  const config: ArgocdConfig = { labDir, apiServer: opts.apiServer, certDir: f.certs, kustomize: binaryPath('kustomize') };
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  rmSync(path.join(dir, 'ready.json'), { force: true });
  const t0 = Date.now();
  const supervise = path.join(LAB_SRC_DIR, 'lib', 'supervise.mjs');
  const worker = ['--import', 'tsx', path.join(LAB_SRC_DIR, 'argocd', 'main.ts'), configFile];
  const pid = spawnDaemon({
    name: ARGOCD_PROCESS,
    labDir,
    command: process.execPath,
    args: [supervise, ARGOCD_PROCESS, '--', process.execPath, ...worker],
    // Loader flags of a parent (a test runner) must not leak into the process.
    env: { ...process.env, NODE_OPTIONS: '' },
    cwd: path.dirname(LAB_SRC_DIR),
  });
  log(`argocd: starting (pid ${pid}, log ${path.join(f.logs, `${ARGOCD_PROCESS}.log`)})`);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let lastLog = Date.now();
  for (;;) {
    const ready = readReady(labDir);
    if (ready && Date.parse(ready.startedAt) >= t0 - 1000) {
      const counts = Object.entries(ready.applications).map(([k, v]) => `${v} ${k}`).join(', ');
      log(`argocd: every Application compared in ${((Date.now() - t0) / 1000).toFixed(1)}s (${counts || 'no Applications'})`);
      return;
    }
    if (!argocdRunning(labDir) || Date.now() > deadline) {
      throw new Error(`the lab's Argo CD did not compare the Applications${Date.now() > deadline ? ' in time' : ' (it exited)'}\n--- argocd.log (tail) ---\n${tailFile(path.join(f.logs, `${ARGOCD_PROCESS}.log`), 25)}`);
    }
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      log(`  waiting for argocd to compare the Applications (${Math.round((Date.now() - t0) / 1000)}s)`);
    }
    await sleep(200);
  }
}

/** Whether a ready marker exists (for status output). */
export function argocdReadyInfo(labDir: string): ArgocdReady | undefined {
  return existsSync(path.join(argocdDir(labDir), 'ready.json')) ? readReady(labDir) : undefined;
}
