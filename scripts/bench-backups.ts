// Backups benchmark against the lab (npm run lab -- up, npm run build first). Prints the Backups
// page's server response time, p50 / p95, with a year of daily history for 15 services in the
// panel's database (5,475 backup runs), the cluster's backup CronJobs and Jobs read live from the
// lab. Target: p95 < 300 ms. Figures only; nothing is asserted.
// Run: npm run bench:backups
import { benchSignIn, percentile, readBenchLab, startBenchPanel } from "@/scripts/bench-panel";
import { type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";

const ROOT = path.resolve(__dirname, "..");
const PORT = Number(process.env.BENCH_PORT ?? 3295);
const BASE = `http://127.0.0.1:${PORT}`;
const SERVER = process.env.BENCH_SERVER ?? path.join(ROOT, ".next", "standalone", "server.js");
const SERVICES = 15;
const DAYS = 365;

interface Lab {
  kubeconfig: string;
  namespaces: string[];
  addressMap: Record<string, string>;
}

function readLab(): Lab {
  return readBenchLab<Lab>();
}

async function startPanel(lab: Lab, dir: string): Promise<ChildProcess> {
  return startBenchPanel({ port: PORT, dir, config: { kubernetes: { mode: "kubeconfig", kubeconfig: lab.kubeconfig, namespaces: lab.namespaces }, addressMap: lab.addressMap, server: { logLevel: "warn" } }, startTimeoutMs: 60_000 });
}

async function signIn(): Promise<string> {
  return benchSignIn(BASE);
}

/** A year of daily runs for 15 services: one failure a month, the rest good, one in seven verified. */
function seedHistory(file: string): number {
  const db = new Database(file);
  const now = Date.now();
  const insert = db.prepare(
    `INSERT INTO backup_runs (service_id, source, trigger, started_at, finished_at, result, reason, size_bytes, location, archive, sha256, files, job_namespace, job_name, job_uid, verification, verified_at)
     VALUES (?, 'volume', 'scheduled', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let rows = 0;
  db.transaction(() => {
    for (let s = 0; s < SERVICES; s++) {
      const service = `media/bench-app-${s}`;
      for (let d = DAYS; d >= 1; d--) {
        const at = now - d * 86_400_000;
        const failed = d % 30 === 7;
        const archive = failed ? null : `media/bench-app-${s}/bench-app-${s}-${new Date(at).toISOString().slice(0, 10).replace(/-/g, "")}-033000.tar.gz`;
        insert.run(service, at, at + 40_000, failed ? "failed" : "succeeded", failed ? "backup: No space left on device" : null, failed ? null : 2_000_000 + s * 1000, archive ? `media/backups: ${archive}` : null, archive, failed ? null : randomBytes(32).toString("hex"), failed ? null : 40, "media", `bench-app-${s}-backup-${d}`, `bench-${s}-${d}`, d % 7 === 0 && !failed ? "verified" : "unverified", d % 7 === 0 && !failed ? at + 3_600_000 : null);
        rows++;
      }
    }
  })();
  db.close();
  return rows;
}

async function measure(cookie: string, url: string, n: number): Promise<{ p50: number; p95: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(`${BASE}${url}`, { headers: { cookie } });
    bytes = (await r.arrayBuffer()).byteLength;
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), bytes };
}

async function main(): Promise<void> {
  if (!existsSync(SERVER)) {
    console.error("Build the panel first: npm run build");
    process.exit(1);
  }
  const lab = readLab();
  const dir = mkdtempSync(path.join(tmpdir(), "panel-bench-backups-"));
  const panel = await startPanel(lab, dir);
  try {
    const cookie = await signIn();
    const rows = seedHistory(path.join(dir, "data", "panel.sqlite"));
    console.log(`history: ${rows} backup runs (${SERVICES} services x ${DAYS} days)`);
    await measure(cookie, "/backups", 5);
    const page = await measure(cookie, "/backups", 60);
    console.log(`Backups page (HTML, cluster read live, the newest 50 runs): p50 ${page.p50.toFixed(0)} ms, p95 ${page.p95.toFixed(0)} ms, ${(page.bytes / 1024).toFixed(0)} KiB (target p95 < 300 ms)`);
    // An older page, half a year back: the cursor of the run started 180 days ago.
    const db = new Database(path.join(dir, "data", "panel.sqlite"), { readonly: true });
    const mid = db.prepare("SELECT id, started_at FROM backup_runs ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?").get(180 * SERVICES) as { id: number; started_at: number };
    db.close();
    const older = await measure(cookie, `/backups?older=${mid.started_at}.${mid.id}`, 30);
    console.log(`Backups page, an older page (half a year back): p50 ${older.p50.toFixed(0)} ms, p95 ${older.p95.toFixed(0)} ms, ${(older.bytes / 1024).toFixed(0)} KiB`);
  } finally {
    panel.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
