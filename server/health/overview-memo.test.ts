import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// The Overview's model is reused between views: these check when it is, and when it is computed again.
const computed = { count: 0, fail: false };
const listeners: { kube: Array<(kinds: string[]) => void>; probes: Array<(sweep: unknown) => void>; certs: Array<(change: unknown) => void> } = { kube: [], probes: [], certs: [] };

vi.mock("server-only", () => ({}));
vi.mock("@/server/config/load", () => ({ getConfig: () => config }));
vi.mock("@/server/k8s", () => ({
  getKubeState: () => ({ connected: true, message: "" }),
  listServices: () => {
    computed.count++;
    return computed.fail ? Promise.reject(new Error("the cluster's caches are not ready")) : Promise.resolve([]);
  },
  getApplicationsView: () => Promise.resolve({ problems: [] }),
  onChange: (l: (kinds: string[]) => void) => {
    listeners.kube.push(l);
    return () => undefined;
  },
}));
vi.mock("@/server/probes/scheduler", () => ({
  getLatestResults: () => new Map(),
  onProbeResults: (l: (sweep: unknown) => void) => {
    listeners.probes.push(l);
    return () => undefined;
  },
}));
vi.mock("@/server/certs", () => ({
  getCertificatesView: () => Promise.reject(new Error("no certificate view in this test")),
  onCertificatesChanged: (l: (change: unknown) => void) => {
    listeners.certs.push(l);
    return () => undefined;
  },
}));
vi.mock("@/server/db", () => ({ getDb: () => ({}) }));
vi.mock("@/server/db/probes", () => ({ recentLatencies: () => new Map(), uptimeAll: () => new Map() }));
vi.mock("@/server/runbooks", () => ({ runbookIds: () => new Set() }));
vi.mock("@/server/observability/logger", () => ({ logger: { warn: () => undefined, child: () => ({ warn: () => undefined }) } }));

const config = { kubernetes: { mode: "kubeconfig" } };

const { getOverview } = await import("./overview");

beforeEach(() => {
  computed.count = 0;
  computed.fail = false;
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(1_800_000_000_000);
});

afterEach(() => vi.useRealTimers());

describe("the Overview's model", () => {
  it("is computed once for the views and refreshes of the next two seconds", async () => {
    // Whatever an earlier case left: a change makes the next ask compute.
    listeners.probes.forEach((l) => l({}));
    const first = getOverview();
    expect(getOverview()).toBe(first);
    vi.setSystemTime(1_800_000_001_900);
    expect(getOverview()).toBe(first);
    expect(computed.count).toBe(1);
    expect((await first).generatedAt).toBe(1_800_000_000_000);
    vi.setSystemTime(1_800_000_002_000);
    const later = getOverview();
    expect(later).not.toBe(first);
    expect(computed.count).toBe(2);
    expect((await later).generatedAt).toBe(1_800_000_002_000);
  });

  it("is computed again after any change of the cluster's caches, a probe result or a certificate signal", async () => {
    listeners.probes.forEach((l) => l({}));
    let last = getOverview();
    expect(computed.count).toBe(1);
    for (const [source, fire] of [
      ["cluster", () => listeners.kube.forEach((l) => l(["pods"]))],
      ["probe", () => listeners.probes.forEach((l) => l({}))],
      ["certificate", () => listeners.certs.forEach((l) => l({}))],
    ] as const) {
      fire();
      const next = getOverview();
      expect(next, `after a ${source} change`).not.toBe(last);
      expect(getOverview(), `after a ${source} change, the new model is reused`).toBe(next);
      last = next;
    }
    expect(computed.count).toBe(4);
    await last;
  });

  it("is computed each time for an explicit time, and a failed computation is not kept", async () => {
    listeners.probes.forEach((l) => l({}));
    await getOverview(1_700_000_000_000);
    await getOverview(1_700_000_000_000);
    expect(computed.count).toBe(2);
    computed.fail = true;
    await expect(getOverview()).rejects.toThrow("not ready");
    computed.fail = false;
    const data = await getOverview();
    expect(computed.count).toBe(4);
    expect(data.services).toEqual([]);
  });
});
