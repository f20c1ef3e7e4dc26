/**
 * Keeps one lab process running: `node lab/lib/supervise.mjs <name> -- <command> [args...]` runs the
 * command as a child (same stdout/stderr) and starts it again when it exits, after 1 s doubling to
 * 30 s (back to 1 s once it ran for a minute). SIGTERM or SIGINT stops the child, then the supervisor.
 * Plain JavaScript on purpose: it stays small (no TypeScript loader) next to the process it watches.
 */
import { spawn } from "node:child_process";

const [name, sep, command, ...args] = process.argv.slice(2);
if (!name || sep !== "--" || !command) {
  process.stderr.write("usage: supervise.mjs <name> -- <command> [args...]\n");
  process.exit(2);
}
const log = (m) => process.stdout.write(`${new Date().toISOString()} ${name}: ${m}\n`);

let child;
let stopping = false;
let backoff = 1000;

function run() {
  const startedAt = Date.now();
  child = spawn(command, args, { stdio: "inherit" });
  child.on("error", (err) => log(`could not start ${command}: ${err.message}`));
  child.on("exit", (code, signal) => {
    if (stopping) process.exit(0);
    if (Date.now() - startedAt > 60_000) backoff = 1000;
    log(`exited (${signal ?? `code ${code}`}); starting it again in ${backoff / 1000} s`);
    setTimeout(run, backoff);
    backoff = Math.min(backoff * 2, 30_000);
  });
}

function stop() {
  stopping = true;
  if (!child || child.exitCode !== null || child.signalCode !== null) process.exit(0);
  child.kill("SIGTERM");
  setTimeout(() => {
    child.kill("SIGKILL");
    process.exit(0);
  }, 5000).unref();
}

process.on("SIGTERM", stop);
process.on("SIGINT", stop);
run();
