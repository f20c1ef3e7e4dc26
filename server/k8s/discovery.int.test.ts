import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crashLoopPod, LAB_TEST_LABEL, scaleWorkload } from "@/lab/controls";
import { readSeedState } from "@/lab/lab";
import { resetLab, useLabCluster } from "@/lab/cluster/test-cluster";
import type { DiscoveredService } from "@/lib/services";
import { createDiscovery, type Discovery, type ServicesChange } from "./discovery";
import { createInformerSet, type InformerSet } from "./informers";

const lab = useLabCluster();
const TEST_NS = "panel-k8s-discovery";
const H = "https://home.brettswift.com";

/** Polls `fn` until it returns a value, or fails after `timeoutMs`; resolves with the value and the time it took. */
async function within<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The lab's admin credentials, counting the requests made with them (every list and watch applies them once). */
class CountingKubeConfig extends KubeConfig {
  requests = 0;
  override applyToHTTPSOptions(opts: Parameters<KubeConfig["applyToHTTPSOptions"]>[0]): ReturnType<KubeConfig["applyToHTTPSOptions"]> {
    this.requests += 1;
    return super.applyToHTTPSOptions(opts);
  }
}

describe("discovery against the lab", () => {
  let kc: CountingKubeConfig;
  let informers: InformerSet;
  let discovery: Discovery;
  const changes: Array<{ list: DiscoveredService[]; change: ServicesChange }> = [];

  beforeAll(async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    await core.deleteNamespace({ name: TEST_NS }).catch(() => undefined);
    await within("old test namespace gone", 60_000, async () => ((await core.readNamespace({ name: TEST_NS }).catch(() => undefined)) ? undefined : true));
    await core.createNamespace({ body: { metadata: { name: TEST_NS, labels: { [LAB_TEST_LABEL]: "true" } } } });
    kc = new CountingKubeConfig();
    kc.loadFromFile(lab().kubeconfig);
    informers = createInformerSet({ kc, namespaces: [...lab().namespaces, TEST_NS], debounceMs: 100 }).start();
    discovery = createDiscovery(informers, { syncTimeoutMs: 20_000 });
    discovery.onServicesChanged((list, change) => changes.push({ list, change }));
    const t0 = Date.now();
    // listServices waits for the first sync at most syncTimeoutMs and then answers with what it has;
    // the tests below are about a synced cache, so wait for that itself.
    await within("every kind synced", 120_000, async () => (Object.values(discovery.getKubeState().kinds).every((k) => k.synced) ? true : undefined));
    console.log(`[discovery] first sync of ${informers.kinds.length} kinds in ${lab().namespaces.length + 1} namespaces: ${Date.now() - t0} ms`);
  });

  afterAll(async () => {
    discovery?.close();
    informers?.stop();
    // As found: sonarr's replicas and its Application's self-heal (scaleWorkload turned it off), no test namespace.
    await resetLab();
  });

  it("is connected with every kind synced", () => {
    const state = discovery.getKubeState();
    expect(state.connected).toBe(true);
    expect(state.message).toMatch(/^Connected to https:\/\/127\.0\.0\.1:\d+; watching 22 kinds/);
    expect(Object.entries(state.kinds).filter(([, k]) => !k.synced || k.error)).toEqual([]);
  });

  it("lists every seeded workload with its namespace, app kind, ingress URL and ready replicas", async () => {
    const seeded = readSeedState()?.workloads ?? [];
    expect(seeded.length).toBeGreaterThanOrEqual(15);
    const services = await discovery.listServices();
    for (const w of seeded) {
      const s = services.find((x) => x.id === `${w.namespace}/${w.name}`);
      expect(s, `${w.namespace}/${w.name}`).toBeDefined();
      expect([s?.namespace, s?.workloadKind, s?.kube.desired, s?.kube.ready, s?.kube.pods.length]).toEqual([w.namespace, w.kind, w.replicas, w.replicas, w.replicas]);
    }
    const table = Object.fromEntries(services.filter((s) => s.namespace !== TEST_NS).map((s) => [s.id, [s.appKind, s.ingressUrls[0] ?? null, s.urlBase]]));
    expect(table).toEqual({
      "homepage/homepage": ["homepage", `${H}/`, ""],
      "media/bazarr": ["bazarr", `${H}/bazarr`, "/bazarr"],
      "media/flaresolverr": ["flaresolverr", `${H}/flaresolverr`, ""],
      "media/jellyfin": ["jellyfin", `${H}/jellyfin/`, ""],
      "media/jellyseerr": ["jellyseerr", "https://jellyseerr.home.brettswift.com/", ""],
      "media/lidarr": ["lidarr", `${H}/lidarr`, "/lidarr"],
      "media/prowlarr": ["prowlarr", `${H}/prowlarr`, "/prowlarr"],
      "media/radarr": ["radarr", `${H}/radarr`, "/radarr"],
      "media/readarr": ["readarr", `${H}/readarr`, "/readarr"],
      "media/sabnzbd": ["sabnzbd", `${H}/sabnzbd`, "/sabnzbd"],
      "media/sonarr": ["sonarr", `${H}/sonarr`, "/sonarr"],
      "media/unpackerr": ["unpackerr", null, ""],
      "media/vpn": ["gluetun", null, ""],
      "monitoring/grafana": ["grafana", `${H}/grafana`, "/grafana"],
      "monitoring/prometheus": ["prometheus", `${H}/prometheus`, "/prometheus"],
      "qbittorrent/qbittorrent": ["qbittorrent", `${H}/qbittorrent/`, ""],
    });
    const sonarr = services.find((s) => s.id === "media/sonarr");
    expect(sonarr?.inClusterUrl).toBe("http://sonarr.media.svc.cluster.local:8989/sonarr");
    expect(sonarr?.argocdApp).toEqual({ namespace: "argocd", name: "media-services-production-cluster" });
    const qbit = services.find((s) => s.id === "qbittorrent/qbittorrent");
    expect(qbit?.kube.pods[0]?.containers.map((c) => [c.name, c.sidecar, c.ready])).toEqual([
      ["vpn", true, true],
      ["qbittorrent", false, true],
    ]);
    expect(qbit?.pvcs.map((p) => [p.name, p.phase])).toEqual([
      ["qbittorrent-config", "Bound"],
      ["vuetorrent-webui", "Bound"],
    ]);
  });

  it("answers from the caches: no API call per request", async () => {
    const before = kc.requests;
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const services = await discovery.listServices();
      times.push(performance.now() - t0);
      expect(services.length).toBeGreaterThanOrEqual(15);
    }
    // What a request costs is a figure (npm run bench:health measures it against its target), not an assertion.
    times.sort((a, b) => a - b);
    console.log(`[discovery] listServices from the caches: p50 ${times[15]?.toFixed(2)} ms, p95 ${times[28]?.toFixed(2)} ms`);
    expect(kc.requests - before).toBe(0);
  });

  it("sees sonarr scaled to 0 within seconds and notifies; then back to 1", async () => {
    const before = changes.length;
    const t0 = Date.now();
    await scaleWorkload("media", "sonarr", 0);
    const down = await within("sonarr at 0 in the cache", 5_000, async () => {
      const s = await discovery.getService("media/sonarr");
      return s && s.kube.desired === 0 && s.kube.ready === 0 && s.kube.pods.length === 0 ? s : undefined;
    });
    console.log(`[discovery] sonarr scaled to 0: API done after ${Date.now() - t0 - down.ms} ms, cache ${down.ms} ms later`);
    const note = await within("a change notification with sonarr at 0, naming it", 3_000, async () =>
      changes.slice(before).find(({ list }) => list.find((s) => s.id === "media/sonarr")?.kube.ready === 0),
    );
    expect(note.value.change.changed).toContain("media/sonarr");
    // The services of the same Argo CD Application change with it (it goes OutOfSync); no other does.
    const sonarrApp = note.value.list.find((s) => s.id === "media/sonarr")?.argocdApp?.name;
    const unrelated = note.value.list.filter((s) => s.argocdApp?.name !== sonarrApp).map((s) => s.id);
    expect(unrelated.length).toBeGreaterThan(0);
    expect(note.value.change.changed.filter((id) => unrelated.includes(id))).toEqual([]);
    await scaleWorkload("media", "sonarr", 1);
    const up = await within("sonarr ready again", 5_000, async () => {
      const s = await discovery.getService("media/sonarr");
      return s && s.kube.ready === 1 && s.kube.pods[0]?.ready ? s : undefined;
    });
    expect(up.value.kube.desired).toBe(1);
  });

  it("shows a crash-looping pod as not ready with CrashLoopBackOff and its restarts", async () => {
    const pod = await crashLoopPod("media", "radarr", 6);
    const { value, ms } = await within("radarr crash loop in the cache", 5_000, async () => {
      const s = await discovery.getService("media/radarr");
      const p = s?.kube.pods.find((x) => x.name === pod);
      return p && !p.ready && p.containers[0]?.reason === "CrashLoopBackOff" ? { s, p } : undefined;
    });
    console.log(`[discovery] crash loop visible after ${ms} ms`);
    expect(value.p).toMatchObject({ phase: "Running", ready: false, restarts: 6 });
    expect(value.p.restartsLastHour).toBeGreaterThanOrEqual(1);
    expect(value.s?.kube.ready).toBe(0);
    // Give radarr a healthy pod back.
    await lab().kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ namespace: "media", name: pod });
    await within("radarr ready again", 30_000, async () => ((await discovery.getService("media/radarr"))?.kube.ready === 1 ? true : undefined));
  });

  it("shows a workload of an unknown image as `other` with Kubernetes health, its URL and its Warning events", async () => {
    const labels = { app: "whoami", [LAB_TEST_LABEL]: "true" };
    const apps = lab().kc.makeApiClient(AppsV1Api);
    const core = lab().kc.makeApiClient(CoreV1Api);
    const net = lab().kc.makeApiClient(NetworkingV1Api);
    await apps.createNamespacedDeployment({
      namespace: TEST_NS,
      body: {
        metadata: { name: "whoami", labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "whoami" } },
          template: { metadata: { labels }, spec: { containers: [{ name: "whoami", image: "traefik/whoami:v1.10", ports: [{ containerPort: 80, name: "http" }] }] } },
        },
      },
    });
    await core.createNamespacedService({ namespace: TEST_NS, body: { metadata: { name: "whoami", labels }, spec: { selector: { app: "whoami" }, ports: [{ name: "http", port: 8080, targetPort: "http" }] } } });
    await net.createNamespacedIngress({
      namespace: TEST_NS,
      body: {
        metadata: { name: "whoami", labels },
        spec: { rules: [{ host: "whoami.lab.test", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "whoami", port: { number: 8080 } } } }] } }] },
      },
    });
    // The Ingress reaches its cache on its own watch: wait for it as well as for the pods.
    const { value } = await within("whoami discovered, ready and routed", 30_000, async () => {
      const s = await discovery.getService(`${TEST_NS}/whoami`);
      return s && s.kube.ready === 2 && s.ingressUrls.length > 0 ? s : undefined;
    });
    expect([value.appKind, value.kindSource, value.displayName, value.ingressUrls, value.inClusterUrl, value.kube.pods.length]).toEqual([
      "other",
      "unknown",
      "whoami",
      ["http://whoami.lab.test/"],
      `http://whoami.${TEST_NS}.svc.cluster.local:8080`,
      2,
    ]);
    const pod = value.kube.pods[0]?.name ?? "";
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    await core.createNamespacedEvent({
      namespace: TEST_NS,
      body: {
        metadata: { name: `${pod}.test-warning`, labels },
        type: "Warning",
        reason: "BackOff",
        message: "Back-off restarting failed container whoami",
        count: 3,
        firstTimestamp: now,
        lastTimestamp: now,
        involvedObject: { kind: "Pod", name: pod, namespace: TEST_NS, apiVersion: "v1" },
        source: { component: "kubelet" },
      },
    });
    const warned = await within("the Warning event on the service", 5_000, async () => {
      const s = await discovery.getService(`${TEST_NS}/whoami`);
      return s?.kube.warnings.length ? s.kube.warnings : undefined;
    });
    expect(warned.value[0]).toMatchObject({ type: "Warning", reason: "BackOff", count: 3, object: `pod/${pod}` });
  });
});
