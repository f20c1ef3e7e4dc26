/**
 * The lab executor: plays the kubelet for pods whose images are on the allowlist (and for new
 * pods of the workloads the lab's apps serve), running their commands for real in a sandbox.
 * `lab up` installs its admission policy ({@link installExecutorPolicy}) and starts it
 * ({@link startExecutor}); `lab down` stops it with the other processes (pidfile `lab-executor`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LAB_SRC_DIR, REPO_ROOT, labFiles } from '../paths';
import { hasProgram, listProcesses, spawnDaemon, stopPid, tailFile } from '../lib/process';
import { waitFor } from '../lib/wait';
import type { ExecutorConfig, ExecutorStatusFile } from './daemon';

export { installExecutorPolicy, setExecutorApps, setExecutorImages, RUNNER_ANNOTATION } from './policy';
export { executorImages } from './allowlist';

/** Name of the executor's pidfile and log. */
export const EXECUTOR_PROCESS = 'lab-executor';

function statusFile(dir: string): string {
  return path.join(labFiles(dir).executor, 'status.json');
}

/** The executor's last status report, when it runs. */
export function executorStatus(dir: string): ExecutorStatusFile | undefined {
  const f = statusFile(dir);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as ExecutorStatusFile;
  } catch {
    return undefined;
  }
}

/** Whether the executor's supervisor is alive. */
export function executorRunning(dir: string): boolean {
  return listProcesses(dir).some((p) => p.name === EXECUTOR_PROCESS && p.alive);
}

/** Installs bubblewrap (and the other lab programs) with lab/apps/install.sh when it is missing. */
function ensureSandboxTool(log: (m: string) => void): void {
  if (hasProgram('bwrap')) return;
  log('executor: bubblewrap (bwrap) is missing; installing the lab programs with lab/apps/install.sh');
  const r = spawnSync('bash', [path.join(LAB_SRC_DIR, 'apps', 'install.sh')], { stdio: 'inherit' });
  if (r.status !== 0) log('executor: installing bubblewrap failed; the executor falls back to unshare');
}

/**
 * Starts the executor under its supervisor (restarts with back-off) unless it runs already, and
 * waits until it watches the cluster (its status file appears).
 */
export async function startExecutor(config: ExecutorConfig, log: (m: string) => void): Promise<void> {
  ensureSandboxTool(log);
  const f = labFiles(config.labDir);
  mkdirSync(f.executor, { recursive: true });
  const configFile = path.join(f.executor, 'config.json');
  const previous = existsSync(configFile) ? readFileSync(configFile, 'utf8') : '';
  const next = JSON.stringify(config, null, 2) + '\n';
  if (executorRunning(config.labDir) && previous === next && executorStatus(config.labDir)) {
    log('executor: running');
    return;
  }
  if (executorRunning(config.labDir)) {
    const p = listProcesses(config.labDir).find((x) => x.name === EXECUTOR_PROCESS);
    if (p) await stopPid(p.pid, 8000);
  }
  writeFileSync(configFile, next);
  const t0 = Date.now();
  const pid = spawnDaemon({
    name: EXECUTOR_PROCESS,
    labDir: config.labDir,
    command: process.execPath,
    args: [
      path.join(LAB_SRC_DIR, 'lib', 'supervise.mjs'),
      EXECUTOR_PROCESS,
      '--',
      process.execPath,
      '--import',
      'tsx',
      path.join(LAB_SRC_DIR, 'executor', 'daemon.ts'),
      configFile,
    ],
    cwd: REPO_ROOT,
    // Loader flags of a parent (a test runner) must not leak into the process.
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const logFile = path.join(f.logs, `${EXECUTOR_PROCESS}.log`);
  try {
    await waitFor('the lab executor to watch the cluster', async () => {
      try {
        process.kill(pid, 0);
      } catch {
        throw new Error('its supervisor exited');
      }
      const s = executorStatus(config.labDir);
      return s !== undefined && s.startedAt >= new Date(t0 - 1000).toISOString();
    }, { timeoutMs: 60_000, intervalMs: 200 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ${logFile} (tail) ---\n${tailFile(logFile, 25)}`);
  }
  const s = executorStatus(config.labDir);
  log(`executor: ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (pid ${pid}, sandbox ${s?.sandbox ?? '?'}, kubelet API ${s?.kubeletEndpoint ?? '?'}, log ${logFile})`);
}
