import { afterEach, describe, expect, it, vi } from "vitest";
import type { DiscoveredService } from "@/lib/services";

const listeners: {
  services?: (services: DiscoveredService[], change: { changed: string[]; removed: string[] }) => void;
  probes?: (sweep: unknown) => void;
  kube?: (kinds: string[]) => void;
} = {};
const kube = { connected: true };
const kubeListeners = new Set<(kinds: string[]) => void>();

vi.mock("@/server/config/load", () => ({ getConfig: () => ({ kubernetes: { mode: "kubeconfig" } }) }));
vi.mock("@/server/k8s", () => ({
  getKubeState: () => ({ connected: kube.connected, message: "" }),
  onChange: (l: (kinds: string[]) => void) => {
    kubeListeners.add(l);
    listeners.kube = (kinds) => kubeListeners.forEach((k) => k(kinds));
    return () => {
      kubeListeners.delete(l);
      if (kubeListeners.size === 0) listeners.kube = undefined;
    };
  },
  onServicesChanged: (l: typeof listeners.services) => {
    listeners.services = l;
    return () => (listeners.services = undefined);
  },
}));
vi.mock("@/server/probes/scheduler", () => ({
  onProbeResults: (l: typeof listeners.probes) => {
    listeners.probes = l;
    return () => (listeners.probes = undefined);
  },
}));

const service = (id: string, appKind: string) => ({ id, appKind }) as DiscoveredService;

afterEach(() => vi.useRealTimers());

describe("live events", () => {
  it("name the services that changed (and their app kinds), so a view refetches only what it shows", async () => {
    const { subscribeLiveEvents } = await import("./live");
    const sent: Array<[string, unknown]> = [];
    const stop = subscribeLiveEvents((event, data) => sent.push([event, data]));
    listeners.services?.([service("media/sonarr", "sonarr"), service("media/radarr", "radarr")], { changed: ["media/sonarr"], removed: ["media/old"] });
    listeners.probes?.({ startedAt: 42, results: [{ serviceId: "media/radarr", appKind: "radarr" }, { serviceId: "media/x", appKind: "other" }] });
    // Argo CD's objects changed: one applications event; other kinds say nothing by themselves.
    listeners.kube?.(["pods", "state"]);
    listeners.kube?.(["applications", "pods"]);
    expect(sent).toEqual([
      ["services", { at: expect.any(Number), services: ["media/sonarr", "media/old"], appKinds: ["sonarr"] }],
      ["probes", { at: 42, services: ["media/radarr", "media/x"], appKinds: ["radarr", "other"] }],
      ["applications", { at: expect.any(Number), services: [], appKinds: [], applications: true }],
    ]);
    stop();
    expect(listeners.kube).toBeUndefined();
    expect(listeners.services).toBeUndefined();
    expect(listeners.probes).toBeUndefined();
  });

  it("say `cluster` when the connection to the API server is lost or back, once per change", async () => {
    const { subscribeLiveEvents } = await import("./live");
    const sent: Array<[string, unknown]> = [];
    const stop = subscribeLiveEvents((event, data) => sent.push([event, data]));
    kube.connected = false;
    listeners.kube?.(["state"]);
    listeners.kube?.(["state"]);
    listeners.kube?.(["pods"]);
    kube.connected = true;
    listeners.kube?.(["state", "pods"]);
    expect(sent).toEqual([
      ["cluster", { at: expect.any(Number), services: [], appKinds: [], cluster: true }],
      ["cluster", { at: expect.any(Number), services: [], appKinds: [], cluster: true }],
    ]);
    stop();
    expect(listeners.kube).toBeUndefined();
  });

  it("beat every 15 s to keep proxies from closing the stream", async () => {
    vi.useFakeTimers();
    const { subscribeLiveEvents } = await import("./live");
    const sent: string[] = [];
    const stop = subscribeLiveEvents((event) => sent.push(event));
    vi.advanceTimersByTime(31_000);
    expect(sent).toEqual(["ping", "ping"]);
    stop();
    vi.advanceTimersByTime(31_000);
    expect(sent).toHaveLength(2);
  });
});
