import { describe, expect, it } from "vitest";
import type { AppHealth, ContainerState, KubeHealth, PodState } from "./services";
import { formatLatency, summarize, verdictOf, type VerdictEntry } from "./verdict";

const container = (over: Partial<ContainerState> = {}): ContainerState => ({
  name: "sonarr",
  image: "linuxserver/sonarr",
  ready: true,
  restarts: 0,
  sidecar: false,
  ...over,
});

const pod = (over: Partial<PodState> = {}, containers: ContainerState[] = [container()]): PodState => ({
  name: "sonarr-abc",
  phase: "Running",
  ready: containers.every((c) => c.ready),
  restarts: 0,
  restartsLastHour: 0,
  containers,
  ...over,
});

const kube = (over: Partial<KubeHealth> = {}): KubeHealth => ({
  desired: 1,
  ready: 1,
  available: 1,
  updated: 1,
  pods: [pod()],
  warnings: [],
  conditions: [],
  ...over,
});

const app = (over: Partial<AppHealth> = {}): AppHealth => ({ status: "up", version: "4.0.19", latencyMs: 40, checks: [], ...over });

const crashLoop = pod({ ready: false }, [container({ ready: false, reason: "CrashLoopBackOff", restarts: 7 })]);
const vpnDown = pod({ name: "qbittorrent-x", ready: false }, [
  container({ name: "vpn", image: "qmcgaw/gluetun", ready: false, sidecar: true, reason: "Unhealthy" }),
  container({ name: "qbittorrent", image: "linuxserver/qbittorrent" }),
]);

interface Row {
  name: string;
  kube: KubeHealth;
  app?: AppHealth;
  status: string;
  reasons: string[];
}

const TABLE: Row[] = [
  { name: "all ready, app up", kube: kube(), app: app(), status: "up", reasons: [] },
  { name: "no app module: Kubernetes alone", kube: kube(), status: "up", reasons: [] },
  {
    name: "CrashLoopBackOff with phase Running is down (readiness, not phase)",
    kube: kube({ ready: 0, available: 0, pods: [crashLoop] }),
    status: "down",
    reasons: ["ready 0/1: CrashLoopBackOff"],
  },
  {
    name: "scaled to 0",
    kube: kube({ desired: 0, ready: 0, available: 0, pods: [] }),
    app: app({ status: "down", errorCode: "unreachable", detail: "Sonarr is unreachable: connection refused (ECONNREFUSED)", latencyMs: undefined }),
    status: "down",
    reasons: ["scaled to 0: no replicas desired", "Sonarr is unreachable: connection refused (ECONNREFUSED)"],
  },
  {
    name: "one of two replicas ready",
    kube: kube({ desired: 2, ready: 1, pods: [pod(), { ...crashLoop, name: "sonarr-def" }] }),
    status: "degraded",
    reasons: ["ready 1/2: CrashLoopBackOff"],
  },
  {
    name: "pending pod without container reason",
    kube: kube({ ready: 0, pods: [pod({ phase: "Pending", ready: false }, [container({ ready: false })])] }),
    status: "down",
    reasons: ["ready 0/1: Pending"],
  },
  {
    name: "no pods at all: the workload's condition",
    kube: kube({ ready: 0, pods: [], conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate" }] }),
    status: "down",
    reasons: ["ready 0/1: FailedCreate"],
  },
  {
    name: "sidecar not ready degrades, does not take the service down",
    kube: kube({ ready: 0, pods: [vpnDown] }),
    app: app(),
    status: "degraded",
    reasons: ["sidecar vpn not ready: Unhealthy (pod qbittorrent-x)"],
  },
  {
    name: "restarts in the last hour at the threshold",
    kube: kube({ pods: [pod({ restartsLastHour: 3, restarts: 9 })] }),
    status: "degraded",
    reasons: ["restarted 3 times in the last hour"],
  },
  {
    name: "restarts below the threshold",
    kube: kube({ pods: [pod({ restartsLastHour: 2 })] }),
    status: "up",
    reasons: [],
  },
  {
    name: "the app's own error, verbatim with the name",
    kube: kube(),
    app: app({
      status: "degraded",
      checks: [{ name: "IndexerStatusCheck", status: "down", message: "Indexers unavailable due to failures", url: "https://wiki/x" }],
    }),
    status: "degraded",
    reasons: ["Sonarr reports: Indexers unavailable due to failures"],
  },
  {
    name: "slow",
    kube: kube(),
    app: app({ latencyMs: 2400 }),
    status: "degraded",
    reasons: ["slow: 2.4 s"],
  },
  {
    name: "app unreachable while Kubernetes says ready",
    kube: kube(),
    app: app({ status: "down", errorCode: "timeout", detail: "Sonarr did not answer GET /api/v3/system/status within 5000 ms", latencyMs: undefined }),
    status: "down",
    reasons: ["Sonarr did not answer GET /api/v3/system/status within 5000 ms"],
  },
  {
    name: "missing key: unknown with what to do",
    kube: kube(),
    app: app({ status: "unknown", errorCode: "unauthorized", detail: "API key missing: Secret media/starr-secrets has no SONARR_API_KEY" }),
    status: "unknown",
    reasons: ["API key missing: Secret media/starr-secrets has no SONARR_API_KEY"],
  },
  {
    name: "Kubernetes down outranks an unknown app",
    kube: kube({ ready: 0, pods: [crashLoop], warnings: [{ type: "Warning", reason: "BackOff", message: "Back-off restarting failed container", count: 5, lastSeen: "2026-01-01T00:00:00Z", object: "Pod/sonarr-abc" }] }),
    app: app({ status: "unknown", detail: "Sonarr rejected the API key (HTTP 401)" }),
    status: "down",
    reasons: ["ready 0/1: CrashLoopBackOff", "Sonarr rejected the API key (HTTP 401)", "BackOff: Back-off restarting failed container"],
  },
  {
    name: "the panel's own observation is not worded as the app's",
    kube: kube(),
    app: app({ status: "degraded", checks: [{ name: "health", status: "degraded", message: "Could not read Sonarr's health list: malformed", origin: "probe" }] }),
    status: "degraded",
    reasons: ["Could not read Sonarr's health list: malformed"],
  },
];

describe("verdictOf", () => {
  it.each(TABLE)("$name", (row) => {
    const v = verdictOf(row.kube, row.app, { slowMs: 2000, restartsPerHourDegraded: 3 }, { appName: "Sonarr" });
    expect(v.status).toBe(row.status);
    expect(v.reasons.map((r) => r.message)).toEqual(row.reasons);
  });

  it("keeps the wiki link and the source of each reason, errors first", () => {
    const v = verdictOf(
      kube({ desired: 2, ready: 1, pods: [pod(), { ...crashLoop, name: "b" }] }),
      app({ status: "degraded", latencyMs: 3000, checks: [{ name: "x", status: "down", message: "m", url: "https://wiki/m" }] }),
      undefined,
      { appName: "Radarr" },
    );
    expect(v.reasons).toEqual([
      { source: "app", severity: "error", message: "Radarr reports: m", url: "https://wiki/m" },
      { source: "kubernetes", severity: "warning", message: "ready 1/2: CrashLoopBackOff" },
      { source: "probe", severity: "warning", message: "slow: 3.0 s" },
    ]);
  });

  it("uses the configured thresholds", () => {
    expect(verdictOf(kube(), app({ latencyMs: 600 }), { slowMs: 500, restartsPerHourDegraded: 3 }).status).toBe("degraded");
    expect(verdictOf(kube({ pods: [pod({ restartsLastHour: 1 })] }), undefined, { slowMs: 500, restartsPerHourDegraded: 1 }).reasons[0]?.message).toBe(
      "restarted 1 time in the last hour",
    );
  });

  it("formats latency", () => {
    expect(formatLatency(2449)).toBe("2.4 s");
    expect(formatLatency(850.4)).toBe("850 ms");
  });
});

describe("summarize", () => {
  const entry = (id: string, status: VerdictEntry["verdict"]["status"], message?: string): VerdictEntry => ({
    id: `media/${id}`,
    name: id,
    verdict: { status, reasons: message ? [{ source: "kubernetes", severity: "error", message }] : [] },
  });

  it("puts the worst first and counts", () => {
    const s = summarize([entry("sonarr", "up"), entry("radarr", "degraded", "slow"), entry("lidarr", "down", "ready 0/1"), entry("bazarr", "unknown"), entry("jellyfin", "down", "x")]);
    expect(s.status).toBe("down");
    expect(s.counts).toEqual({ up: 1, degraded: 1, down: 2, unknown: 1 });
    expect(s.problems.map((p) => p.name)).toEqual(["jellyfin", "lidarr", "radarr", "bazarr"]);
    expect(s.problems[1]?.reason?.message).toBe("ready 0/1");
    expect(s.headline).toBe("2 down, 1 degraded, 1 unknown of 5 services");
  });

  it("says all up, or that nothing was found", () => {
    expect(summarize([entry("a", "up"), entry("b", "up")])).toMatchObject({ status: "up", headline: "All 2 services up", problems: [] });
    expect(summarize([])).toMatchObject({ status: "unknown", headline: "No services found", total: 0 });
  });
});
