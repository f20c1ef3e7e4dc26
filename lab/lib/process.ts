/**
 * The lab's processes: every long-running process has `<labDir>/pids/<name>.pid` holding its pid
 * and writes `<labDir>/logs/<name>.log`; it leads its own process group (detached), so stopping it
 * stops what it started. `lab down` stops them newest first ({@link stopAll}). Also: ports on
 * 127.0.0.1, log tails and memory figures for messages and `lab status`.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, join } from "node:path";
import { waitFor } from "./wait";

/** How to start one long-running lab process. */
export interface DaemonSpec {
  /** Name used for `<labDir>/logs/<name>.log` and `<labDir>/pids/<name>.pid`. */
  name: string;
  labDir: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: the lab directory). */
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
 * Starts a detached process (leader of its own process group) whose stdout and stderr go to its
 * log file after a line naming the command, records its pid, and returns the pid. The process
 * outlives the caller (`lab down` stops it by pid).
 */
export function spawnDaemon(spec: DaemonSpec): number {
  mkdirSync(join(spec.labDir, "logs"), { recursive: true });
  mkdirSync(join(spec.labDir, "pids"), { recursive: true });
  const fd = openSync(logFile(spec.labDir, spec.name), "a");
  try {
    writeFileSync(fd, `\n==== ${new Date().toISOString()} ${spec.command} ${spec.args.join(" ")}\n`);
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd ?? spec.labDir,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
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
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const HAS_PROC = existsSync("/proc/self/stat");

interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time, ms since the epoch (undefined without the boot time). */
  startedMs: number | undefined;
}

function bootTimeMs(): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
    return m?.[1] ? Number(m[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** `/proc/<pid>/stat` of a process (Linux), undefined when there is no such process. */
function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const boot = bootTimeMs();
    return {
      state: fields[0] ?? "?",
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      startedMs: boot === undefined ? undefined : boot + (Number(fields[19]) * 1000) / 100,
    };
  } catch {
    return undefined;
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

/**
 * True when `pid` is a live (non-zombie) process; when `command` is given, its argv[0] must also
 * end with that program name, so a recycled pid is not mistaken for ours.
 */
export function isAlive(pid: number | undefined, command?: string): pid is number {
  if (pid === undefined || !pidExists(pid)) return false;
  if (!HAS_PROC) return true;
  const st = procStat(pid);
  if (st === undefined || st.state === "Z" || st.state === "X") return false;
  if (command === undefined) return true;
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
    const want = basename(command);
    return basename(argv0) === want || argv0.startsWith(want) || argv0.includes(`${want}:`);
  } catch {
    return false;
  }
}

/**
 * Whether `pid` has ended: it no longer exists, or it is a zombie another process has to reap. A
 * zombie child of this process is not gone yet: Node reaps it in a moment, and until then its pid
 * still answers `kill(pid, 0)`.
 */
function gone(pid: number): boolean {
  if (!pidExists(pid)) return true;
  if (!HAS_PROC) return false;
  const st = procStat(pid);
  if (st === undefined) return true;
  return (st.state === "Z" || st.state === "X") && st.ppid !== process.pid;
}

/**
 * Sends `sig` once: to the process group when `pid` leads one (every lab process does, so what it
 * started goes with it), else to the pid. Once only: a program that restores the default action
 * after its first SIGTERM (qBittorrent does) would be killed outright by a second one, without
 * saving its state.
 */
function signal(pid: number, sig: NodeJS.Signals): void {
  const leader = HAS_PROC && procStat(pid)?.pgrp === pid;
  try {
    process.kill(leader ? -pid : pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Stops one process (and its process group): SIGTERM, up to `graceMs` for it to exit, then
 * SIGKILL; resolves once it is gone, with true when it had to be killed.
 */
export async function stopPid(pid: number, graceMs = 10_000): Promise<boolean> {
  if (gone(pid)) return false;
  signal(pid, "SIGTERM");
  try {
    await waitFor(`pid ${pid} to exit`, async () => gone(pid), { timeoutMs: graceMs, intervalMs: 25 });
    return false;
  } catch {
    signal(pid, "SIGKILL");
    await waitFor(`pid ${pid} to exit after SIGKILL`, async () => gone(pid), { timeoutMs: 10_000, intervalMs: 25 });
    return true;
  }
}

/** Stops the process recorded under `name` (if alive) and removes its pidfile. */
export async function stopNamed(labDir: string, name: string, graceMs?: number): Promise<void> {
  const pid = readPid(labDir, name);
  if (pid !== undefined && isAlive(pid)) await stopPid(pid, graceMs);
  rmSync(pidFile(labDir, name), { force: true });
}

/** One pidfile of a lab directory. */
export interface LabProcessInfo {
  name: string;
  pid: number;
  pidFile: string;
  alive: boolean;
  startedAt: Date;
}

/**
 * Every pidfile of the lab directory, newest first. `alive` also requires that the process started
 * before its pidfile was written (give or take 10 s): a later one is a reused pid, not ours.
 */
export function listProcesses(labDir: string): LabProcessInfo[] {
  const dir = join(labDir, "pids");
  if (!existsSync(dir)) return [];
  const out: LabProcessInfo[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".pid")) continue;
    const name = f.slice(0, -4);
    const pid = readPid(labDir, name);
    if (pid === undefined) continue;
    const file = join(dir, f);
    const mtime = statSync(file).mtimeMs;
    const started = HAS_PROC ? procStat(pid)?.startedMs : undefined;
    const alive = isAlive(pid) && (started === undefined || started <= mtime + 10_000);
    out.push({ name, pid, pidFile: file, alive, startedAt: new Date(mtime) });
  }
  return out.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.name.localeCompare(a.name));
}

/**
 * Stops every process with a pidfile in the lab directory and removes the pidfiles: newest first,
 * except the ones named in `last`, which stop after all others, in that order (the servers the
 * others are clients of: a server stopped under its clients waits for them). Only pids listed
 * there are signalled. Resolves with how many were running.
 */
export async function stopAll(labDir: string, log: (msg: string) => void, opts: { graceMs?: number; last?: readonly string[] } = {}): Promise<number> {
  const graceMs = opts.graceMs ?? 8000;
  const last = opts.last ?? [];
  const rank = (name: string) => (last.includes(name) ? last.indexOf(name) : -1);
  // A stable sort keeps "newest first" among the others.
  const ordered = listProcesses(labDir).sort((a, b) => rank(a.name) - rank(b.name));
  let stopped = 0;
  for (const p of ordered) {
    if (p.alive) {
      const t0 = Date.now();
      const killed = await stopPid(p.pid, graceMs);
      log(`  stopped ${p.name} (pid ${p.pid}) in ${Date.now() - t0} ms${killed ? ` (SIGKILL: still running ${graceMs / 1000} s after SIGTERM)` : ""}`);
      stopped++;
    }
    rmSync(p.pidFile, { force: true });
  }
  return stopped;
}

/** Last lines of a log file, for error messages. */
export function tailFile(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Polls `probe` until it returns true; fails at once, with the tail of the log of `name`, when the
 * process `pid` exits meanwhile, and on timeout.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; pid?: number; labDir?: string; name?: string } = {},
): Promise<void> {
  const tail = () => (opts.labDir !== undefined && opts.name !== undefined ? `\n--- ${logFile(opts.labDir, opts.name)} (last lines) ---\n${tailFile(logFile(opts.labDir, opts.name), 15)}` : "");
  try {
    await waitFor(what, async () => (await probe()) || undefined, {
      timeoutMs: opts.timeoutMs ?? 20_000,
      intervalMs: opts.intervalMs ?? 150,
      abort: () => (opts.pid !== undefined && !isAlive(opts.pid) ? `process ${opts.pid} exited` : undefined),
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}${tail()}`);
  }
}

/**
 * Ports this process handed out. The kernel may give the same free port to two `listen(0)` calls
 * in a row when the first was closed again; a port handed out once is never handed out again, so
 * two components started together never get the same one.
 */
const handedOut = new Set<number>();

function listenOnce(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => {
      const addr = srv.address();
      const bound = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(bound));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago and that this process never handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await listenOnce(0);
    if (port !== 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function isPortFree(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

/**
 * The stored port when it is still free (or `inUseByUs`) and not among `taken` (the ports of the
 * other components), else a new free port.
 */
export async function choosePort(stored: number | undefined, inUseByUs: boolean, taken: Iterable<number> = []): Promise<number> {
  if (stored !== undefined && ![...taken].includes(stored) && (inUseByUs || (await isPortFree(stored)))) {
    handedOut.add(stored);
    return stored;
  }
  return freePort();
}

/** Resident set size of `pid` and its descendants in KiB (0 when unknown). */
export function rssKiB(pid: number): number {
  let total = 0;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    total = m?.[1] !== undefined ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) total += rssKiB(Number(child));
  } catch {
    /* no children information */
  }
  return total;
}

/** Whether a program is on the PATH (or in /usr/bin, /usr/sbin). */
export function hasProgram(cmd: string): boolean {
  return (process.env.PATH ?? "/usr/bin:/bin")
    .split(":")
    .concat(["/usr/bin", "/usr/sbin"])
    .some((d) => d !== "" && existsSync(join(d, cmd)));
}
