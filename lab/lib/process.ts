import { spawn } from "node:child_process";
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { basename, join } from "node:path";

/** How to start one long-running lab process. */
export interface DaemonSpec {
  /** Name used for `<labDir>/logs/<name>.log` and `<labDir>/pids/<name>.pid`. */
  name: string;
  labDir: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * When the program writes its own pidfile at `<labDir>/pids/<name>.pid` (nginx), leave it to
   * the program instead of writing it here.
   */
  ownPidfile?: boolean;
}

export function pidFile(labDir: string, name: string): string {
  return join(labDir, "pids", `${name}.pid`);
}

export function logFile(labDir: string, name: string): string {
  return join(labDir, "logs", `${name}.log`);
}

/**
 * Starts a detached process whose stdout and stderr go to its log file, records its pid, and
 * returns the pid. The process outlives the caller (`lab down` stops it by pid).
 */
export function spawnDaemon(spec: DaemonSpec): number {
  mkdirSync(join(spec.labDir, "logs"), { recursive: true });
  mkdirSync(join(spec.labDir, "pids"), { recursive: true });
  const fd = openSync(logFile(spec.labDir, spec.name), "a");
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd ?? spec.labDir,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    if (!spec.ownPidfile) writeFileSync(pidFile(spec.labDir, spec.name), `${child.pid}\n`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The pid recorded for `name`, or undefined. */
export function readPid(labDir: string, name: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile(labDir, name), "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is a live (non-zombie) process; when `command` is given, its argv[0] must also
 * end with that program name, so a recycled pid is not mistaken for ours.
 */
export function isAlive(pid: number | undefined, command?: string): pid is number {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    if (command !== undefined) {
      const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
      const want = basename(command);
      if (!(basename(argv0) === want || argv0.startsWith(want) || argv0.includes(`${want}:`))) return false;
    }
  } catch {
    // No /proc: trust kill(0).
  }
  return true;
}

/** Sends SIGTERM, waits up to `timeoutMs`, then SIGKILL. Removes the pidfile when given a name. */
export async function stopPid(pid: number, timeoutMs = 10_000): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      // Exited; when it is our child, give the event loop the moment it needs to reap it.
      for (let i = 0; i < 20 && pidExists(pid); i++) await sleep(25);
      return;
    }
    await sleep(100);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the process recorded under `name` (if alive) and removes its pidfile. */
export async function stopNamed(labDir: string, name: string, timeoutMs?: number): Promise<void> {
  const pid = readPid(labDir, name);
  if (pid !== undefined && isAlive(pid)) await stopPid(pid, timeoutMs);
  rmSync(pidFile(labDir, name), { force: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns true; throws with the log tail of `name` on timeout. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; pid?: number; labDir?: string; name?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    if (opts.pid !== undefined && !isAlive(opts.pid)) {
      throw new Error(`${what}: process ${opts.pid} exited${logTail(opts)}`);
    }
    await sleep(opts.intervalMs ?? 150);
  }
  throw new Error(`${what}: not ready after ${opts.timeoutMs ?? 20_000} ms${logTail(opts)}`);
}

function logTail(opts: { labDir?: string; name?: string }): string {
  if (opts.labDir === undefined || opts.name === undefined) return "";
  const file = logFile(opts.labDir, opts.name);
  if (!existsSync(file)) return "";
  const lines = readFileSync(file, "utf8").trimEnd().split("\n").slice(-15);
  return `\n--- ${file} (last lines) ---\n${lines.join("\n")}`;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolveFree(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolveFree(true)));
  });
}

/** The stored port when it is still free (or `inUseByUs`), else a new free port. */
export async function choosePort(stored: number | undefined, inUseByUs: boolean): Promise<number> {
  if (stored !== undefined && (inUseByUs || (await isPortFree(stored)))) return stored;
  return freePort();
}

/** Resident set size of `pid` in KiB (0 when unknown). */
export function rssKiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m?.[1] !== undefined ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
