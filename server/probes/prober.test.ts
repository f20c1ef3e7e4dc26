import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { parsePanelConfig } from "@/lib/config-schema";
import type { DiscoveredService } from "@/lib/services";
import { resolveApp, type ResolveDeps } from "@/server/apps/resolve";
import { openDatabase } from "@/server/db/open";
import { recentResults, uptime } from "@/server/db/probes";
import { fakeArrHandler, fakeService, startFakeApp, startFakeFleet, type FakeFleet } from "@/scripts/fake-apps";
import { mapConcurrent, Prober, type ProberSettings, type SweepResult } from "./prober";
import { fromProbeRecord, toProbeRecord } from "./results";

const KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const TIMEOUT = 2000;
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function settings(over: Partial<ProberSettings> = {}): ProberSettings {
  return {
    intervalMs: 30_000,
    timeoutMs: TIMEOUT,
    concurrency: 10,
    thresholds: { slowMs: 2000, restartsPerHourDegraded: 3 },
    retention: { rawHours: 48, hourDays: 90 },
    ...over,
  };
}

function resolveDeps(addressMap: Record<string, string>, secrets: Record<string, string> = { SONARR_API_KEY: KEY }): ResolveDeps {
  const parsed = parsePanelConfig({ addressMap });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return {
    config: parsed.config,
    readSecretValue: (_ns, _name, key) => Promise.resolve(secrets[key]),
    readWorkloadEnv: () => Promise.resolve([]),
    env: {},
    timeoutMs: TIMEOUT,
  };
}

function prober(services: () => DiscoveredService[], deps: ResolveDeps, over: Partial<ProberSettings> = {}, extra: { db?: ReturnType<typeof openDatabase>; registry?: Registry } = {}): Prober {
  const p = new Prober(
    {
      listServices: () => Promise.resolve(services()),
      resolve: (s) => resolveApp(s, deps),
      db: extra.db ?? null,
      registry: extra.registry ?? null,
    },
    settings(over),
  );
  cleanup.push(() => p.stop());
  return p;
}

/** The most hung apps of the fleet that had a request waiting at the same moment, once every one has closed. */
async function peakHung(f: FakeFleet): Promise<number> {
  const hung = f.apps.filter((a) => a.hangs.length > 0);
  for (let i = 0; i < 100 && hung.some((a) => a.hangs.some((h) => h.end === undefined)); i++) await new Promise((r) => setTimeout(r, 50));
  // One app's probe may send several requests: its wait runs from the first to the last of them.
  const spans = hung.map((a) => ({ start: Math.min(...a.hangs.map((h) => h.start)), end: Math.max(...a.hangs.map((h) => h.end ?? Number.POSITIVE_INFINITY)) }));
  const edges = spans.flatMap((s) => [{ at: s.start, d: 1 }, { at: s.end, d: -1 }]).sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let peak = 0;
  for (const e of edges) peak = Math.max(peak, (open += e.d));
  return peak;
}

async function fleet(count: number, hanging: number): Promise<FakeFleet> {
  const f = await startFakeFleet({ count, hanging, apiKey: KEY });
  cleanup.push(() => f.close());
  return f;
}

describe("mapConcurrent", () => {
  it("never runs more than the limit and keeps the order", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapConcurrent([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10 * (8 - n)));
      running--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(peak).toBe(3);
  });
});

describe("Prober", () => {
  it("a sweep of 50 apps where 5 hang takes about one timeout, not five", async () => {
    const f = await fleet(50, 5);
    const p = prober(() => f.services, resolveDeps(f.addressMap));
    const sweep = await p.probeNow();
    expect(sweep.results).toHaveLength(50);
    const down = sweep.results.filter((r) => r.verdict.status === "down");
    expect(down.map((r) => r.name)).toEqual(["sonarr-00", "sonarr-01", "sonarr-02", "sonarr-03", "sonarr-04"]);
    expect(down.every((r) => r.app?.errorCode === "timeout")).toBe(true);
    expect(sweep.results.filter((r) => r.verdict.status === "up")).toHaveLength(45);
    expect(sweep.results[10]?.app?.version).toBe("4.0.10");
    // The hung probes waited side by side, not one after another: all five were open at once.
    expect(await peakHung(f)).toBe(5);
  });

  it("with the concurrency below the hung apps, the cost is bounded by hung/concurrency timeouts", async () => {
    const f = await fleet(12, 4);
    const p = prober(() => f.services, resolveDeps(f.addressMap), { concurrency: 2, timeoutMs: 300 });
    const sweep = await p.probeNow();
    expect(sweep.results.filter((r) => r.app?.errorCode === "timeout")).toHaveLength(4);
    // Two at a time: the four hung apps cost two timeouts, never more than two waiting at once.
    expect(await peakHung(f)).toBe(2);
  });

  it("settles a probe at the deadline even when a module ignores the abort signal", async () => {
    const p = new Prober(
      {
        listServices: () => Promise.resolve([fakeService("stuck", "sonarr")]),
        resolve: () => new Promise(() => undefined),
        db: null,
        registry: null,
      },
      settings({ timeoutMs: 200 }),
    );
    // The module never settles: that the sweep does at all is the deadline at work.
    const sweep = await p.probeNow();
    expect(sweep.results[0]?.app).toMatchObject({ status: "down", errorCode: "timeout", detail: "stuck did not answer within 200 ms" });
  });

  it("records every result, exports metrics, folds Kubernetes in, and explains a missing key", async () => {
    const good = await startFakeApp(fakeArrHandler({ apiKey: KEY }));
    const locked = await startFakeApp(fakeArrHandler({ apiKey: "a-key-the-panel-does-not-have" }));
    cleanup.push(() => good.close(), () => locked.close());
    const services = [
      fakeService("sonarr", "sonarr"),
      fakeService("radarr", "radarr"),
      fakeService("unpackerr", "unpackerr"),
      fakeService("lidarr", "sonarr", { kube: { ...fakeService("x", "sonarr").kube, desired: 0, ready: 0, pods: [] } }),
    ];
    const db = openDatabase(mkdtempSync(path.join(tmpdir(), "panel-prober-")));
    const registry = new Registry();
    const deps = resolveDeps({ "sonarr.media": good.url, "radarr.media": locked.url, "lidarr.media": good.url });
    const p = prober(() => services, deps, {}, { db, registry });
    const seen: SweepResult[] = [];
    p.onProbeResults((s) => seen.push(s));
    const sweep = await p.probeNow();
    const by = new Map(sweep.results.map((r) => [r.name, r]));
    expect(by.get("sonarr")?.verdict).toEqual({ status: "up", reasons: [] });
    // Radarr's Secret has no RADARR_API_KEY: the app refuses, and the health says what is missing.
    expect(by.get("radarr")?.verdict.status).toBe("unknown");
    expect(by.get("radarr")?.verdict.reasons[0]?.message).toBe("API key missing: Secret media/starr-secrets has no RADARR_API_KEY");
    expect(by.get("unpackerr")).toMatchObject({ verdict: { status: "up" } });
    expect(by.get("unpackerr")?.app).toBeUndefined();
    expect(by.get("lidarr")?.verdict.reasons[0]?.message).toBe("scaled to 0: no replicas desired");
    expect(seen).toHaveLength(1);

    expect(recentResults(db, "media/sonarr")[0]).toMatchObject({ status: "up", appStatus: "up", version: "4.0.19.2979" });
    expect(recentResults(db, "media/lidarr")[0]).toMatchObject({ status: "down", appStatus: "up" });
    expect(recentResults(db, "media/unpackerr")[0]).toMatchObject({ status: "up", appStatus: null, latencyMs: null });
    expect(uptime(db, "media/lidarr", "24h")).toBe(0);

    const text = await registry.metrics();
    expect(text).toMatch(/panel_service_up\{service="sonarr",namespace="media",app="sonarr"\} 1/);
    expect(text).toMatch(/panel_service_up\{service="lidarr",namespace="media",app="sonarr"\} 0/);
    expect(text).toMatch(/panel_service_up\{service="radarr",namespace="media",app="radarr"\} NaN/i);
    expect(text).toMatch(/panel_service_latency_seconds\{service="sonarr",namespace="media",app="sonarr"\} 0\.\d+/);
    expect(text).toMatch(/panel_service_last_probe_timestamp_seconds\{service="sonarr",namespace="media",app="sonarr"\} \d{10}/);
    expect(text).toMatch(/panel_service_uptime_ratio\{service="sonarr",namespace="media",app="sonarr",window="24h"\} 1/);
    expect(text).toMatch(/panel_service_uptime_ratio\{service="lidarr",namespace="media",app="sonarr",window="30d"\} 0/);
    expect(text).not.toContain(KEY);

    // A restarted panel reads the latest results back from SQLite.
    const again = new Prober({ listServices: () => Promise.resolve([]), resolve: () => Promise.resolve(undefined), db, registry: null }, settings());
    expect(again.getLatestResults().get("media/sonarr")?.verdict.status).toBe("up");
    expect(again.getLatestResults().get("media/lidarr")?.verdict).toEqual({
      status: "down",
      reasons: [{ source: "probe", severity: "error", message: "scaled to 0: no replicas desired" }],
    });
  });

  it("refreshes verdicts from a new Kubernetes view without probing, and probeNow(ids) probes only those", async () => {
    const app = await startFakeApp(fakeArrHandler({ apiKey: KEY }));
    cleanup.push(() => app.close());
    let services = [fakeService("sonarr", "sonarr"), fakeService("radarr", "sonarr")];
    const p = prober(() => services, resolveDeps({ "sonarr.media": app.url, "radarr.media": app.url }));
    await p.probeNow();
    const requests = app.requests.length;
    services = services.map((s) => (s.name === "sonarr" ? { ...s, kube: { ...s.kube, desired: 0, ready: 0, pods: [] } } : s));
    const changed = p.refreshVerdicts(services);
    expect(changed.map((r) => [r.name, r.verdict.status])).toEqual([["sonarr", "down"]]);
    expect(app.requests.length).toBe(requests);
    expect(p.getLatestResults().get("media/sonarr")?.verdict.status).toBe("down");
    const only = await p.probeNow(["media/radarr"]);
    expect(only.results.map((r) => r.name)).toEqual(["radarr"]);
    expect(only.complete).toBe(false);
  });

  it("runs on its own interval until stopped", async () => {
    const app = await startFakeApp(fakeArrHandler({ apiKey: KEY }));
    cleanup.push(() => app.close());
    const p = prober(() => [fakeService("sonarr", "sonarr")], resolveDeps({ "sonarr.media": app.url }), { intervalMs: 100 });
    const sweeps: number[] = [];
    p.onProbeResults((s) => sweeps.push(s.startedAt));
    p.start();
    await new Promise((r) => setTimeout(r, 450));
    await p.stop();
    const count = sweeps.length;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(count).toBeLessThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 250));
    expect(sweeps.length).toBe(count);
    expect(p.lastSweepAt).toBe(sweeps.at(-1));
  });
});

describe("the stored row of a result", () => {
  it("reads back as the result it was written from (verdict, app health, first reason)", () => {
    const result = {
      serviceId: "media/sonarr",
      namespace: "media",
      name: "sonarr",
      appKind: "other" as const,
      at: 1_700_000_000_000,
      durationMs: 0,
      app: { status: "degraded" as const, version: "4.0.19", latencyMs: 12.5, errorCode: "invalid_response", checks: [{ name: "IndexerStatusCheck", status: "down" as const, message: "Indexers unavailable" }] },
      verdict: { status: "degraded" as const, reasons: [{ source: "probe" as const, severity: "warning" as const, message: "Sonarr reports: Indexers unavailable" }] },
    };
    expect(fromProbeRecord(toProbeRecord(result))).toEqual(result);
    const kubeOnly = { ...result, app: undefined, verdict: { status: "up" as const, reasons: [] } };
    delete (kubeOnly as { app?: unknown }).app;
    expect(toProbeRecord(kubeOnly)).toMatchObject({ appStatus: null, latencyMs: null, version: null, checks: [], detail: null });
    expect(fromProbeRecord(toProbeRecord(kubeOnly))).toEqual(kubeOnly);
  });
});
