// Measures the standalone panel's start-up time (spawn -> first 200 from /api/healthz) and its idle
// memory (RSS after a few requests and a pause). Prints figures; asserts nothing. Build first.
import { spawn } from "node:child_process";
import { randomBytes, scryptSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const server = path.resolve(__dirname, "..", ".next", "standalone", "server.js");
if (!existsSync(server)) {
  console.error("Build the panel first: npm run build");
  process.exit(1);
}
const runs = Number(process.env.BENCH_RUNS ?? 3);
const port = 3190;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function waitHealthy(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/healthz`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the panel did not become healthy within 30 s");
}

async function once(): Promise<{ startMs: number; rss: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "panel-bench-"));
  const salt = randomBytes(16);
  const hash = `scrypt$16384$8$1$${salt.toString("base64")}$${scryptSync("bench-password", salt, 32).toString("base64")}`;
  const started = performance.now();
  const child = spawn(process.execPath, [server], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      NEXT_TELEMETRY_DISABLED: "1",
      PANEL_DATA_DIR: dataDir,
      PANEL_ADMIN_PASSWORD_HASH: hash,
      AUTH_SECRET: randomBytes(33).toString("base64"),
      PANEL_LOG_LEVEL: "warn",
    },
    stdio: "ignore",
  });
  try {
    await waitHealthy(Date.now() + 30_000);
    const startMs = performance.now() - started;
    for (const p of ["/login", "/api/healthz", "/api/metrics", "/login"]) await (await fetch(`http://127.0.0.1:${port}${p}`)).text();
    await new Promise((r) => setTimeout(r, 2000));
    return { startMs, rss: rssMb(child.pid!) };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
const results: Array<{ startMs: number; rss: number }> = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  console.log(`run ${i + 1}: ready in ${r.startMs.toFixed(0)} ms, idle RSS ${r.rss.toFixed(0)} MB`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(
  `standalone start-up: median ${median(results.map((r) => r.startMs)).toFixed(0)} ms (target < 3000 ms); ` +
    `idle RSS: median ${median(results.map((r) => r.rss)).toFixed(0)} MB (target < 200 MB)`,
);
}

void main();
