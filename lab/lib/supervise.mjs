/**
 * Keeps one lab process running: `node lab/lib/supervise.mjs <name> [--stop-grace=SECONDS] -- <command> [args...]`
 * runs the command as a child (same stdout/stderr, same process group) and starts it again when it
 * exits, after 1 s doubling to 30 s (back to 1 s once a run lasted a minute). The child learns how
 * often it was started again from LAB_SUPERVISED_RESTARTS. SIGTERM or SIGINT stops the child
 * (SIGTERM, then SIGKILL after the stop grace, 5 s by default), then the supervisor. `lab down`
 * signals the whole process group, so the child may get SIGTERM twice: it must treat a repeated
 * SIGTERM as the first.
 * Plain JavaScript on purpose: it stays small (no TypeScript loader) next to the process it watches.
 */
import { spawn } from "node:child_process";

const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
const [name, ...options] = sep < 0 ? [] : argv.slice(0, sep);
const [command, ...args] = sep < 0 ? [] : argv.slice(sep + 1);
const graceOption = options.find((o) => o.startsWith("--stop-grace="));
const stopGraceMs = graceOption === undefined ? 5000 : Number(graceOption.slice("--stop-grace=".length)) * 1000;
const unknown = options.filter((o) => o !== graceOption);
if (!name || !command || unknown.length > 0 || !(stopGraceMs > 0)) {
  process.stderr.write("usage: supervise.mjs <name> [--stop-grace=SECONDS] -- <command> [args...]\n");
  process.exit(2);
}
const log = (m) => process.stdout.write(`${new Date().toISOString()} ${name}: ${m}\n`);

let child;
let running = false;
let stopping = false;
let backoff = 1000;
let restarts = 0;

function run() {
  const startedAt = Date.now();
  running = true;
  child = spawn(command, args, { stdio: "inherit", env: { ...process.env, LAB_SUPERVISED_RESTARTS: String(restarts) } });
  let ended = false;
  const end = (how) => {
    // `error` (the command could not be started) and `exit` may both come: act once.
    if (ended) return;
    ended = true;
    running = false;
    if (stopping) process.exit(0);
    const ranMs = Date.now() - startedAt;
    if (ranMs > 60_000) backoff = 1000;
    log(`${how} after ${(ranMs / 1000).toFixed(1)} s; starting it again in ${backoff / 1000} s`);
    setTimeout(run, backoff);
    backoff = Math.min(backoff * 2, 30_000);
    restarts += 1;
  };
  child.on("error", (err) => end(`could not start ${command}: ${err.message}`));
  child.on("exit", (code, signal) => end(`exited (${signal ?? `code ${code}`})`));
}

function stop() {
  if (stopping) return;
  stopping = true;
  if (!running) process.exit(0);
  child.kill("SIGTERM");
  setTimeout(() => {
    log(`still running ${stopGraceMs / 1000} s after SIGTERM; killing it`);
    child.kill("SIGKILL");
    process.exit(0);
  }, stopGraceMs).unref();
}

process.on("SIGTERM", stop);
process.on("SIGINT", stop);
run();
