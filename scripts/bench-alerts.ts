// Alerting benchmark against the lab (npm run lab -- up, npm run build first). Starts the built panel
// with scaled-down intervals (probes every 5 s, down after 3 failed probes) and the lab's ntfy
// simulator as its notification target, then, BENCH_RUNS times (default 3): scales media/lidarr to 0
// and measures how long until the Alerts API shows the alert firing and until ntfy received the
// message, then scales it back and measures the recovery message. Prints figures and what the
// production intervals give; nothing is asserted.
// Run: npm run bench:alerts
import { benchSignIn, readBenchLab, startBenchPanel } from "@/scripts/bench-panel";
import { spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const PORT = Number(process.env.BENCH_PORT ?? 3291);
const BASE = `http://127.0.0.1:${PORT}`;
const PROBE_SECONDS = 5;
const DOWN_PROBES = 3;
const RECOVERY_PROBES = 2;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SERVICE = { namespace: "media", name: "lidarr" };

interface Lab {
  kubeconfig: string;
  labDir: string;
  addressMap: Record<string, string>;
  apps: { ntfy?: { url: string; controlUrl: string; topic: string; token: string } };
}

function readLab(): Lab {
  const lab = readBenchLab<Lab>();
  if (!lab.apps.ntfy) {
    console.error("The lab has no ntfy simulator: run `npm run lab -- up` again.");
    process.exit(1);
  }
  return lab;
}

function labCli(...args: string[]): void {
  const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "lab", "cli.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`lab ${args.join(" ")}: ${r.stderr}`);
}

async function startPanel(lab: Lab, dir: string): Promise<ChildProcess> {
  const ntfy = lab.apps.ntfy!;
  const config = {
    server: { publicUrl: BASE },
    kubernetes: { mode: "kubeconfig", kubeconfig: lab.kubeconfig },
    addressMap: lab.addressMap,
    health: { probeIntervalSeconds: PROBE_SECONDS, probeTimeoutMs: 3000 },
    alerts: { detector: { downProbes: DOWN_PROBES, recoveryProbes: RECOVERY_PROBES, degraded: false } },
    notifications: { targets: [{ type: "ntfy", name: "phone", url: ntfy.url, topic: ntfy.topic, tokenEnv: "BENCH_NTFY_TOKEN" }] },
  };
  return startBenchPanel({ port: PORT, dir, config: config, env: { BENCH_NTFY_TOKEN: ntfy.token }, startTimeoutMs: 60_000 });
}

async function signIn(): Promise<string> {
  return benchSignIn(BASE);
}

async function firing(cookie: string): Promise<boolean> {
  const r = await fetch(`${BASE}/api/alerts`, { headers: { cookie } });
  if (!r.ok) return false;
  const data = (await r.json()) as { groups: Array<{ serviceId: string | null; alerts: Array<{ name: string; state: string }> }> };
  return data.groups.some((g) => g.serviceId === `${SERVICE.namespace}/${SERVICE.name}` && g.alerts.some((a) => a.name === "ServiceDown" && a.state === "firing"));
}

async function ntfyTitles(lab: Lab): Promise<Array<{ title: string; at: number }>> {
  const r = await fetch(`${lab.apps.ntfy!.controlUrl}/messages`);
  const data = (await r.json()) as { messages: Array<{ receivedAt: number; message: { title?: string; click?: string } }> };
  return data.messages.filter((m) => (m.message.click ?? "").endsWith(`/services/${SERVICE.namespace}/${SERVICE.name}`)).map((m) => ({ title: m.message.title ?? "", at: m.receivedAt }));
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await check()) return Date.now();
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

const fmt = (ms: number | null) => (ms === null ? "timeout" : `${(ms / 1000).toFixed(1)} s`);

async function main(): Promise<void> {
  const lab = readLab();
  const dir = mkdtempSync(path.join(tmpdir(), "bench-alerts-"));
  const panel = await startPanel(lab, dir);
  const rows: Array<{ page: number | null; ntfy: number | null; recovery: number | null; messages: number }> = [];
  try {
    const cookie = await signIn();
    // Let the first sweeps run so the service is known up.
    await new Promise((r) => setTimeout(r, PROBE_SECONDS * 3 * 1000));
    for (let run = 1; run <= RUNS; run++) {
      await fetch(`${lab.apps.ntfy!.controlUrl}/`, { method: "POST", body: JSON.stringify({ action: "clear" }) });
      const t0 = Date.now();
      labCli("scale", SERVICE.namespace, SERVICE.name, "0");
      let pageAt: number | null = null;
      const ntfyAt = await until(async () => {
        if (pageAt === null && (await firing(cookie))) pageAt = Date.now();
        return (await ntfyTitles(lab)).length > 0;
      }, 120_000);
      pageAt ??= await until(() => firing(cookie), 30_000);
      const t1 = Date.now();
      labCli("scale", SERVICE.namespace, SERVICE.name, "1");
      const recoveredAt = await until(async () => (await ntfyTitles(lab)).some((m) => m.title.startsWith("Recovered")), 120_000);
      const messages = (await ntfyTitles(lab)).length;
      const row = { page: pageAt === null ? null : pageAt - t0, ntfy: ntfyAt === null ? null : ntfyAt - t0, recovery: recoveredAt === null ? null : recoveredAt - t1, messages };
      rows.push(row);
      console.log(`run ${run}: stopped -> firing on the Alerts page ${fmt(row.page)}, -> ntfy message ${fmt(row.ntfy)}; started -> recovery message ${fmt(row.recovery)}; messages for the service: ${messages}`);
      await new Promise((r) => setTimeout(r, PROBE_SECONDS * 4 * 1000));
    }
  } finally {
    labCli("scale", SERVICE.namespace, SERVICE.name, "1");
    panel.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (xs: Array<number | null>) => {
    const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)]! : null;
  };
  console.log(`\nmedian of ${rows.length}: Alerts page ${fmt(med(rows.map((r) => r.page)))}, ntfy ${fmt(med(rows.map((r) => r.ntfy)))}, recovery ${fmt(med(rows.map((r) => r.recovery)))}`);
  console.log(`intervals: probes every ${PROBE_SECONDS} s, down after ${DOWN_PROBES} failed probes, up after ${RECOVERY_PROBES}: expected detection ${(DOWN_PROBES - 1) * PROBE_SECONDS}-${DOWN_PROBES * PROBE_SECONDS} s after the stop, plus the Kubernetes watch.`);
  console.log("production defaults (probes every 30 s, downProbes 3): detection 60-90 s after the stop (target: under 5 min); the message is sent at once from the outbox (target: under 1 min after).");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
