// Probe-history benchmark against the lab (npm run lab -- up, npm run build first). Seeds the panel's
// database with 90 days of probe history for 50 services (the lab's services and made-up ones up to
// 50): hour counters for 90 days, and raw results every 30 s with their minute counters for the last
// 48 h, as the prober and its retention leave them. Then prints the server response time, min / p50 /
// p95 / max, of the Overview (HTML and /api/services) and of a service page over each history window.
// Target: p95 < 300 ms. Figures only; nothing is asserted.
// Run: npm run bench:history   (BENCH_HISTORY_SERVICES 50, BENCH_HISTORY_DAYS 90, BENCH_HISTORY_REQUESTS 60)
import { benchSignIn, percentile, readBenchLab, startBenchPanel } from "@/scripts/bench-panel";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";

const ROOT = path.resolve(__dirname, "..");
const PORT = Number(process.env.BENCH_PORT ?? 3296);
const BASE = `http://127.0.0.1:${PORT}`;
const SERVER = process.env.BENCH_SERVER ?? path.join(ROOT, ".next", "standalone", "server.js");
const SERVICES = Number(process.env.BENCH_HISTORY_SERVICES ?? 50);
const DAYS = Number(process.env.BENCH_HISTORY_DAYS ?? 90);
const REQUESTS = Number(process.env.BENCH_HISTORY_REQUESTS ?? 60);
const RAW_HOURS = 48;
const PROBE_EVERY_MS = 30_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

interface Lab {
  kubeconfig: string;
  namespaces: string[];
  addressMap: Record<string, string>;
}

/** A made-up but plausible probe: mostly up with a latency wave, a short outage now and then. */
function probeAt(serviceIndex: number, at: number): { status: "up" | "degraded" | "down"; latencyMs: number | null } {
  const slot = Math.floor(at / PROBE_EVERY_MS) + serviceIndex * 7919;
  if (slot % 2_000 < 4) return { status: "down", latencyMs: null };
  const latencyMs = 20 + serviceIndex + 15 * Math.sin(at / (6 * HOUR) + serviceIndex) + (slot % 13);
  return { status: slot % 997 === 0 ? "degraded" : "up", latencyMs: Math.round(latencyMs * 10) / 10 };
}

interface Bucket {
  up: number;
  degraded: number;
  down: number;
  n: number;
  sum: number;
  max: number;
}

const emptyBucket = (): Bucket => ({ up: 0, degraded: 0, down: 0, n: 0, sum: 0, max: 0 });

/** Writes the history straight into the panel's tables (the counters as the prober's upserts leave them). */
function seedHistory(file: string, ids: readonly string[], now: number): { results: number; minutes: number; hours: number } {
  const db = new Database(file);
  db.pragma("busy_timeout = 10000");
  const raw = db.prepare("INSERT INTO probe_results (service_id, at, status, app_status, latency_ms, version, error_code, detail, checks) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL)");
  const counters = (table: string, bucket: string) =>
    db.prepare(
      `INSERT INTO ${table} (service_id, ${bucket}, up, degraded, down, unknown, latency_count, latency_sum, latency_max) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)
       ON CONFLICT (service_id, ${bucket}) DO UPDATE SET up = excluded.up, degraded = excluded.degraded, down = excluded.down, latency_count = excluded.latency_count, latency_sum = excluded.latency_sum, latency_max = excluded.latency_max`,
    );
  const minuteRow = counters("probe_minutes", "minute");
  const hourRow = counters("probe_hours", "hour");
  const counts = { results: 0, minutes: 0, hours: 0 };
  const rawFrom = now - RAW_HOURS * HOUR;
  const firstHour = Math.floor((now - DAYS * 24 * HOUR) / HOUR) * HOUR;
  // The current hour and minute stay the live prober's.
  const lastHour = Math.floor(now / HOUR) * HOUR - HOUR;
  db.transaction(() => {
    ids.forEach((id, s) => {
      for (let hour = firstHour; hour <= lastHour; hour += HOUR) {
        const bucket = emptyBucket();
        const minutes = new Map<number, Bucket>();
        for (let at = hour; at < hour + HOUR; at += PROBE_EVERY_MS) {
          const p = probeAt(s, at);
          const buckets = [bucket];
          if (at >= rawFrom) {
            const minute = Math.floor(at / MINUTE) * MINUTE;
            const m = minutes.get(minute) ?? emptyBucket();
            minutes.set(minute, m);
            buckets.push(m);
          }
          for (const b of buckets) {
            b[p.status]++;
            if (p.latencyMs !== null) {
              b.n++;
              b.sum += p.latencyMs;
              b.max = Math.max(b.max, p.latencyMs);
            }
          }
          if (at >= rawFrom) {
            raw.run(id, at, p.status, p.status, p.latencyMs, "4.0.0", p.status === "down" ? "The app did not answer." : null);
            counts.results++;
          }
        }
        hourRow.run(id, hour, bucket.up, bucket.degraded, bucket.down, bucket.n, bucket.sum, bucket.n > 0 ? bucket.max : null);
        counts.hours++;
        for (const [minute, b] of minutes) {
          minuteRow.run(id, minute, b.up, b.degraded, b.down, b.n, b.sum, b.n > 0 ? b.max : null);
          counts.minutes++;
        }
      }
    });
  })();
  db.close();
  return counts;
}

async function measure(cookie: string, url: string, n: number, pauseMs = 0): Promise<string> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n + 3; i++) {
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    const t0 = performance.now();
    const r = await fetch(`${BASE}${url}`, { headers: { cookie } });
    bytes = (await r.arrayBuffer()).byteLength;
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    // The first three warm the route up.
    if (i >= 3) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const f = (v: number | undefined) => (v ?? 0).toFixed(0);
  return `${f(times[0])} / ${f(percentile(times, 50))} / ${f(percentile(times, 95))} / ${f(times.at(-1))} ms (min / p50 / p95 / max of ${n}), ${(bytes / 1024).toFixed(0)} KiB`;
}

async function main(): Promise<void> {
  if (!existsSync(SERVER)) {
    console.error("Build the panel first: npm run build");
    process.exit(1);
  }
  const lab = readBenchLab<Lab>();
  const dir = mkdtempSync(path.join(tmpdir(), "panel-bench-history-"));
  console.log("Starting the panel against the lab...");
  const panel = await startBenchPanel({
    port: PORT,
    dir,
    config: { kubernetes: { mode: "kubeconfig", kubeconfig: lab.kubeconfig, namespaces: lab.namespaces }, addressMap: lab.addressMap, server: { logLevel: "warn" } },
    startTimeoutMs: 60_000,
  });
  try {
    const cookie = await benchSignIn(BASE);
    let services: Array<{ id: string; namespace: string; name: string; appKind: string }> = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && services.length === 0; ) {
      const r = await fetch(`${BASE}/api/services`, { headers: { cookie } });
      if (r.ok) services = ((await r.json()) as { services: typeof services }).services;
      if (services.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    const one = services.find((s) => s.appKind === "sonarr") ?? services[0];
    if (!one) throw new Error("the panel lists no service within 60 s: is the lab seeded?");
    const ids = [...services.map((s) => s.id), ...Array.from({ length: Math.max(0, SERVICES - services.length) }, (_, i) => `bench/history-${i}`)].slice(0, SERVICES);
    const started = Date.now();
    const seeded = seedHistory(path.join(dir, "data", "panel.sqlite"), ids, Date.now());
    console.log(
      `history: ${ids.length} services (${services.length} from the lab) x ${DAYS} days: ${seeded.hours.toLocaleString("en")} hour counters, ` +
        `${seeded.minutes.toLocaleString("en")} minute counters and ${seeded.results.toLocaleString("en")} raw results of the last ${RAW_HOURS} h, written in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    console.log(`Overview (HTML):          ${await measure(cookie, "/", REQUESTS)}`);
    console.log(`/api/services:            ${await measure(cookie, "/api/services", REQUESTS)}`);
    // One computed model serves every request for 2 s; these requests each wait longer, so each computes it.
    console.log(`/api/services, computed:  ${await measure(cookie, "/api/services", 10, 2_100)}`);
    for (const window of ["24h", "7d", "30d"]) {
      const url = `/services/${one.namespace}/${one.name}${window === "24h" ? "" : `?window=${window}`}`;
      console.log(`service page, ${window.padEnd(4)} (HTML): ${await measure(cookie, url, REQUESTS)}`);
    }
    console.log("target: p95 < 300 ms");
  } finally {
    panel.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
