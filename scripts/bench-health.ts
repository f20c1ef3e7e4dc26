// Service-health benchmark against the lab (npm run lab -- up first). Prints:
//  - the Overview's server response time (HTML page and /api/services), p50 / p95, at the seeded size
//    and with the lab scaled to 300 more workloads / 3,000 pods;
//  - the panel's RSS at both sizes;
//  - one probe sweep over 50 apps where 5 hang until their timeout (scripts/bench-probes.ts).
// Targets: overview p95 < 300 ms seeded and < 800 ms at 3,000 pods; RSS < 300 MB at 3,000 pods;
// the sweep about one timeout. Figures only; nothing is asserted.
// Run: npm run bench:health   (BENCH_SKIP_SCALE=1 skips the 3,000-pod part)
import { benchSignIn, percentile, readBenchLab, startBenchPanel } from "@/scripts/bench-panel";
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AppsV1Api, KubeConfig } from "@kubernetes/client-node";
import { removeScale, seedScale } from "@/scripts/bench-scale";

const ROOT = path.resolve(__dirname, "..");
const PORT = Number(process.env.BENCH_PORT ?? 3290);
const BASE = `http://127.0.0.1:${PORT}`;
/** The built server; BENCH_SERVER points at a copy of a standalone build elsewhere. */
const SERVER = process.env.BENCH_SERVER ?? path.join(ROOT, ".next", "standalone", "server.js");

interface Lab {
  kubeconfig: string;
  namespaces: string[];
  addressMap: Record<string, string>;
}

function readLab(): Lab {
  return readBenchLab<Lab>();
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
}

async function startPanel(lab: Lab, dir: string): Promise<ChildProcess> {
  const config = {
    kubernetes: { mode: "kubeconfig", kubeconfig: lab.kubeconfig, namespaces: [...new Set([...lab.namespaces, "bench"])] },
    addressMap: lab.addressMap,
    server: { logLevel: "warn" },
  };
  return startBenchPanel({ port: PORT, dir, config: config, startTimeoutMs: 30_000 });
}

/** Signs in through Auth.js's credentials endpoint and returns the cookie header. */
async function signIn(): Promise<string> {
  return benchSignIn(BASE);
}

async function waitForServices(cookie: string, atLeast: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < deadline) {
    const r = await fetch(`${BASE}/api/services`, { headers: { cookie } });
    if (r.ok) {
      const data = (await r.json()) as { services: unknown[]; lastSweepAt: number | null };
      count = data.services.length;
      if (count >= atLeast && data.lastSweepAt !== null) return count;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  return count;
}

async function measure(cookie: string, url: string, n: number): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(`${BASE}${url}`, { headers: { cookie } });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

async function heapMb(): Promise<string> {
  const text = await (await fetch(`${BASE}/api/metrics`)).text();
  const used = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 2 ** 20;
  const total = Number(/^nodejs_heap_size_total_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 2 ** 20;
  return `heap ${used.toFixed(0)} MB used of ${total.toFixed(0)} MB`;
}

async function figures(label: string, cookie: string, pid: number): Promise<void> {
  await measure(cookie, "/", 5);
  const page = await measure(cookie, "/", 60);
  const api = await measure(cookie, "/api/services", 100);
  await new Promise((r) => setTimeout(r, 3000));
  console.log(
    `${label}: overview page p50 ${page.p50.toFixed(0)} ms, p95 ${page.p95.toFixed(0)} ms; ` +
      `/api/services p50 ${api.p50.toFixed(0)} ms, p95 ${api.p95.toFixed(0)} ms; ` +
      `panel RSS ${rssMb(pid).toFixed(0)} MB (${await heapMb()})`,
  );
}

async function main(): Promise<void> {
  if (!existsSync(SERVER)) {
    console.error("Build the panel first: npm run build");
    process.exit(1);
  }
  const lab = readLab();
  const dir = mkdtempSync(path.join(tmpdir(), "panel-bench-health-"));
  const kc = new KubeConfig();
  kc.loadFromFile(lab.kubeconfig);
  const panel = await startPanel(lab, dir);
  try {
    const cookie = await signIn();
    const seeded = await waitForServices(cookie, 1, 60_000);
    console.log(`seeded lab: ${seeded} services, first probe sweep done`);
    await figures(`seeded (${seeded} services)`, cookie, panel.pid!);

    if (process.env.BENCH_SKIP_SCALE !== "1") {
      console.log("scaling the lab to 300 more workloads / 3,000 pods (takes a few minutes)…");
      const existing = await kc
        .makeApiClient(AppsV1Api)
        .listNamespacedDeployment({ namespace: "bench" })
        .then((l) => l.items.length)
        .catch(() => 0);
      let pods = 3000;
      if (existing >= 300) console.log(`reusing the ${existing} workloads already in namespace bench`);
      else {
        const seededScale = await seedScale(kc, { workloads: 300, podsPerWorkload: 10 });
        pods = seededScale.pods;
        console.log(`scale seeded: created in ${(seededScale.createMs / 1000).toFixed(1)} s, all pods ready after ${(seededScale.readyMs / 1000).toFixed(1)} s`);
      }
      try {
        const scaled = await waitForServices(cookie, seeded + 300, 240_000);
        await new Promise((r) => setTimeout(r, 5000));
        await figures(`scaled (${scaled} services, ${pods} bench pods)`, cookie, panel.pid!);
      } finally {
        if (process.env.BENCH_KEEP_SCALE === "1") console.log("keeping the bench namespace (BENCH_KEEP_SCALE=1)");
        else await removeScale(kc);
      }
    }
  } finally {
    panel.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  console.log("probe sweep (50 apps, 5 hang until the timeout):");
  spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), ["--conditions=react-server", path.join(ROOT, "scripts", "bench-probes.ts")], {
    stdio: "inherit",
    cwd: ROOT,
  });
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
