import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sleep } from './cluster/kube-http';

/**
 * Process bookkeeping of the lab. Convention shared with the app simulators:
 * every long-running process has `<labDir>/pids/<name>.pid` containing its PID; `lab down`
 * stops them newest first (SIGTERM, then SIGKILL after a grace period). Logs go to
 * `<labDir>/logs/<name>.log`.
 */
export interface LabProcessInfo {
  name: string;
  pid: number;
  pidFile: string;
  alive: boolean;
  startedAt: Date;
}

/** Starts a detached process whose stdout/stderr go to logs/<name>.log and records its pidfile. */
export function startProcess(
  dirs: { logs: string; pids: string },
  name: string,
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): number {
  mkdirSync(dirs.logs, { recursive: true });
  mkdirSync(dirs.pids, { recursive: true });
  const logFile = path.join(dirs.logs, `${name}.log`);
  const fd = openSync(logFile, 'a');
  writeFileSync(fd, `\n==== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  child.unref();
  writeFileSync(path.join(dirs.pids, `${name}.pid`), `${child.pid}\n`);
  return child.pid;
}

function bootTimeMs(): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m?.[1] ? Number(m[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Start time of a process from /proc (Linux), undefined elsewhere. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return undefined;
    const ticks = Number(fields[19]);
    const boot = bootTimeMs();
    return boot === undefined ? undefined : boot + (ticks * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Whether the PID is alive and is the process the pidfile was written for: a process that started
 * well after the pidfile was written is a reused PID, not ours.
 */
export function isOurProcess(pid: number, pidFileMtimeMs: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (existsSync('/proc/self/stat')) {
    const started = processStartMs(pid);
    if (started === undefined) return false;
    if (started > pidFileMtimeMs + 10_000) return false;
  }
  return true;
}

/** All pidfiles, newest first. */
export function listProcesses(pidsDir: string): LabProcessInfo[] {
  if (!existsSync(pidsDir)) return [];
  const out: LabProcessInfo[] = [];
  for (const f of readdirSync(pidsDir)) {
    if (!f.endsWith('.pid')) continue;
    const pidFile = path.join(pidsDir, f);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) continue;
    const mtime = statSync(pidFile).mtimeMs;
    out.push({ name: f.slice(0, -4), pid, pidFile, alive: isOurProcess(pid, mtime), startedAt: new Date(mtime) });
  }
  return out.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.name.localeCompare(a.name));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // Our processes lead their own process group (detached); signal the group, then the PID itself.
  try {
    process.kill(-pid, sig);
  } catch {
    /* not a group leader or already gone */
  }
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return processStartMs(pid) === undefined && existsSync('/proc/self/stat');
}

/** Stops one process: SIGTERM, wait up to graceMs, then SIGKILL. Resolves true if it had to be killed. */
export async function stopPid(pid: number, graceMs: number): Promise<boolean> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (gone(pid)) return false;
    await sleep(50);
  }
  signal(pid, 'SIGKILL');
  for (let i = 0; i < 100 && !gone(pid); i++) await sleep(20);
  return true;
}

/**
 * Stops every process with a pidfile in pidsDir, newest first, and removes the pidfiles.
 * Only PIDs listed there are signalled.
 */
export async function stopAll(pidsDir: string, log: (msg: string) => void, graceMs = 8000): Promise<number> {
  let stopped = 0;
  for (const p of listProcesses(pidsDir)) {
    if (p.alive) {
      const t0 = Date.now();
      const killed = await stopPid(p.pid, graceMs);
      log(`  stopped ${p.name} (pid ${p.pid}) in ${Date.now() - t0} ms${killed ? ' (SIGKILL)' : ''}`);
      stopped++;
    }
    rmSync(p.pidFile, { force: true });
  }
  return stopped;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether a port on 127.0.0.1 can be bound right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Last lines of a log file, for error messages. */
export function tailFile(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  const text = readFileSync(file, 'utf8');
  return text.split('\n').slice(-lines - 1).join('\n');
}
