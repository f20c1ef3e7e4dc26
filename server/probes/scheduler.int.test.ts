import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { scaleWorkload } from "@/lab/controls";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import type { HealthStatus } from "@/lib/services";
import type { SweepResult } from "./prober";

/**
 * The panel's prober as start-up wires it (configuration file, SQLite, informers and discovery,
 * Secrets, metrics registry) against the lab: a first sweep covers every seeded service, a workload
 * scaled to 0 shows as down within seconds without waiting for the next sweep, and up again after.
 */

const lab = useLabCluster({ reset: false });
type Scheduler = typeof import("./scheduler");
let scheduler: Scheduler;

async function until<T>(what: string, timeoutMs: number, fn: () => T | undefined): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("startProber against the lab", () => {
  const sweeps: SweepResult[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "panel-prober-int-"));
    const qbit = (lab().apps as Record<string, { password?: string }>).qbittorrent;
    writeFileSync(
      path.join(dir, "panel.yaml"),
      stringify({
        kubernetes: { mode: "kubeconfig", kubeconfig: lab().kubeconfig, namespaces: lab().namespaces },
        addressMap: lab().addressMap,
        apps: { credentials: { qbittorrent: { username: "admin", passwordEnv: "LAB_QBITTORRENT_PASSWORD" } }, keyRecipients: ["qbittorrent/qbittorrent"] },
        health: { probeIntervalSeconds: 30, probeTimeoutMs: 3000 },
      }),
    );
    process.env.PANEL_CONFIG = path.join(dir, "panel.yaml");
    process.env.PANEL_DATA_DIR = path.join(dir, "data");
    process.env.PANEL_ADMIN_PASSWORD_HASH = `scrypt$16384$8$1$${Buffer.from("salt").toString("base64")}$${Buffer.from("hash").toString("base64")}`;
    process.env.LAB_QBITTORRENT_PASSWORD = qbit?.password ?? "";
    scheduler = await import("./scheduler");
    scheduler.onProbeResults((s) => sweeps.push(s));
    scheduler.startProber();
  });

  afterAll(async () => {
    await scaleWorkload("media", "sonarr", 1).catch(() => undefined);
    await scheduler?.stopProber();
    const { stopInformers } = await import("@/server/k8s");
    stopInformers();
  });

  it("sweeps every seeded service at start, app health included, and exports the metrics", async () => {
    const { value: first, ms } = await until("first complete sweep", 60_000, () => sweeps.find((s) => s.complete && s.results.length > 0));
    console.log(`[prober] first sweep: ${first.results.length} services in ${first.durationMs} ms (${ms} ms after start)`);
    const by = new Map(first.results.map((r) => [r.serviceId, r]));
    for (const id of ["media/sonarr", "media/radarr", "media/jellyfin", "qbittorrent/qbittorrent"]) {
      expect(by.get(id)?.app?.version, id).toBeTruthy();
    }
    expect(by.get("qbittorrent/qbittorrent")?.app?.status).toBe("up");
    const { getRegistry } = await import("@/server/observability/metrics");
    const text = await getRegistry().metrics();
    expect(text).toMatch(/panel_service_up\{service="sonarr",namespace="media",app="sonarr"\} 1/);
    expect(text).toMatch(/panel_service_uptime_ratio\{service="jellyfin",namespace="media",app="jellyfin",window="24h"\} 1/);
    expect(scheduler.getLatestResults().size).toBe(first.results.length);
  });

  it("a workload scaled to 0 is down within 15 s without waiting for the next sweep, and comes back", async () => {
    const status = (): HealthStatus | undefined => scheduler.getLatestResults().get("media/sonarr")?.verdict.status;
    const reasons = () => (scheduler.getLatestResults().get("media/sonarr")?.verdict.reasons ?? []).map((r) => r.message);
    // The lab is shared with the files before this one (no reset): start from a running Sonarr, whatever
    // they left, and say what it was if it never comes up.
    await scaleWorkload("media", "sonarr", 1);
    await until(`sonarr up before the test (${reasons().join("; ")})`, 60_000, () => (status() !== undefined && status() !== "down" ? true : undefined)).catch((e: Error) => {
      throw new Error(`${e.message}; last verdict: ${status()} (${reasons().join("; ")})`);
    });
    const t0 = Date.now();
    await scaleWorkload("media", "sonarr", 0);
    const down = await until("sonarr down", 15_000 - (Date.now() - t0), () => (status() === "down" ? true : undefined)).catch((e: Error) => {
      throw new Error(`${e.message}; last verdict: ${status()} (${reasons().join("; ")})`);
    });
    expect(reasons()).toContain("scaled to 0: no replicas desired");
    console.log(`[prober] sonarr down ${Date.now() - t0} ms after the scale-down started (${down.ms} ms after it finished)`);
    const t1 = Date.now();
    await scaleWorkload("media", "sonarr", 1);
    await until("sonarr back", 30_000, () => (status() !== "down" ? true : undefined)).catch((e: Error) => {
      throw new Error(`${e.message}; last verdict: ${status()} (${reasons().join("; ")})`);
    });
    console.log(`[prober] sonarr back ${Date.now() - t1} ms after the scale-up started`);
  });
});
