import { afterEach, describe, expect, it } from "vitest";
import { startFakeApp, type FakeApp, type FakeHandler } from "@/scripts/fake-apps";
import { parsePanelConfig, type PanelConfig } from "@/lib/config-schema";
import { urlBaseCandidates, type UrlBaseCandidate } from "@/lib/k8s/url-base";
import type { Route } from "@/lib/k8s/routes";
import type { DiscoveredService } from "@/lib/services";
import type { AppKind } from "@/lib/apps/catalogue";
import { Prober } from "@/server/probes/prober";
import { AppInstances } from "./instances";
import { baseUrlOf, resolveApp, type ResolveDeps } from "./resolve";
import { APP_MODULES, getHealthModule } from "./registry";
import { UrlBaseVerifier } from "./url-base";

const apps: FakeApp[] = [];
async function serve(handler: FakeHandler): Promise<FakeApp> {
  const app = await startFakeApp(handler);
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function config(raw: unknown = {}): PanelConfig {
  const parsed = parsePanelConfig(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

const rewritten = (path: string, rewrite = "rewrite-target /$2"): Route => ({
  kind: "Ingress",
  name: `${path.slice(1)}-ingress`,
  url: `https://home.example${path}/`,
  path,
  rewrites: true,
  appPath: "",
  rewrite,
  redirectOrExact: false,
  serviceName: path.slice(1),
  annotations: {},
});

function service(name: string, appKind: AppKind, candidates: UrlBaseCandidate[], over: Partial<DiscoveredService> = {}): DiscoveredService {
  return {
    id: `media/${name}`,
    namespace: "media",
    name,
    workloadKind: "Deployment",
    appKind,
    kindSource: "image",
    displayName: name,
    images: [],
    service: { name, ports: [{ name: "http", port: 80 }] },
    urlBase: candidates[0]?.urlBase ?? "",
    urlBaseSource: candidates[0]?.source ?? "default",
    urlBaseCandidates: candidates,
    inClusterUrl: `http://${name}.media.svc.cluster.local:80${candidates[0]?.urlBase ?? ""}`,
    ingressUrls: [],
    pvcs: [],
    kube: { desired: 1, ready: 1, available: 1, updated: 1, pods: [], warnings: [], conditions: [] },
    ...over,
  };
}

function deps(addressMap: Record<string, string>, urlBases: UrlBaseVerifier): ResolveDeps {
  return { config: config({ addressMap }), readSecretValue: () => Promise.resolve(undefined), readWorkloadEnv: () => Promise.resolve([]), env: {}, timeoutMs: 1000, urlBases };
}

/** A Jellyfin serving under `base` (its network.xml BaseUrl), answering nothing outside it. */
function jellyfinAt(base: string, version = "10.11.0"): FakeHandler {
  return (req) => {
    if (req.path === `${base}/System/Info/Public`) return { json: { ServerName: "media", Version: version, ProductName: "Jellyfin Server", Id: "abc", StartupWizardCompleted: true } };
    if (req.path === `${base}/health`) return { text: "Healthy" };
    return undefined;
  };
}

describe("URL base verification", () => {
  it("a stripped prefix in front of an app-side base: the guess (the root) fails, the path before the rewrite is verified; one request per candidate", async () => {
    const jellyfin = await serve(jellyfinAt("/jellyfin"));
    const candidates = urlBaseCandidates({ routes: [rewritten("/jellyfin")] });
    expect(candidates.map((c) => c.urlBase)).toEqual(["", "/jellyfin"]);
    const svc = service("jellyfin", "jellyfin", candidates);
    const verifier = new UrlBaseVerifier();
    const d = deps({ "jellyfin.media": jellyfin.url }, verifier);
    const r = await resolveApp(svc, d);
    expect(r?.target.baseUrl).toBe(`${jellyfin.url}/jellyfin`);
    expect(r?.inClusterUrl).toBe("http://jellyfin.media.svc.cluster.local:80/jellyfin");
    expect(r?.urlBase).toMatchObject({
      urlBase: "/jellyfin",
      source: "route",
      reason: "Ingress jellyfin-ingress path /jellyfin before its rewrite",
      state: "verified",
      tried: [
        { urlBase: "", ok: false, outcome: "HTTP 404" },
        { urlBase: "/jellyfin", ok: true, outcome: "answered as Jellyfin 10.11.0" },
      ],
    });
    expect(r?.urlBaseCheckedNow).toBe(true);
    expect(jellyfin.requests.map((q) => q.path)).toEqual(["/System/Info/Public", "/jellyfin/System/Info/Public"]);

    // Remembered: no request at all the next times.
    for (let i = 0; i < 3; i++) expect((await resolveApp(svc, d))?.urlBaseCheckedNow).toBe(false);
    expect(jellyfin.requests).toHaveLength(2);
    // And the health of the app under it is up.
    const h = await APP_MODULES.jellyfin.connect(r!.target).health();
    expect([h.status, h.version]).toEqual(["up", "10.11.0"]);
  });

  it("an app that does not answer at all: the guess, unverified, after one request; tried again after the retry delay", async () => {
    let now = 1_000_000;
    const down = await serve(() => ({ hang: true }));
    const verifier = new UrlBaseVerifier({ now: () => now, retryMs: 60_000 });
    const svc = service("jellyfin", "jellyfin", urlBaseCandidates({ routes: [rewritten("/jellyfin")] }));
    const d = { ...deps({ "jellyfin.media": down.url }, verifier), timeoutMs: 200 };
    const r = await resolveApp(svc, d);
    expect(r?.urlBase).toMatchObject({ urlBase: "", state: "unverified", tried: [{ urlBase: "", ok: false, outcome: expect.stringMatching(/did not answer/) }] });
    expect(down.requests).toHaveLength(1);
    await resolveApp(svc, d);
    expect(down.requests).toHaveLength(1);
    now += 61_000;
    await resolveApp(svc, d);
    expect(down.requests).toHaveLength(2);
  });

  it("a wrong explicit annotation is reported as such, and the base that works is used", async () => {
    const sonarr = await serve((req) => (req.path === "/tv/ping" ? { json: { status: "OK" } } : undefined));
    const candidates = urlBaseCandidates({ annotation: "/sonarr", main: { name: "sonarr", env: [{ name: "SONARR__SERVER__URLBASE", value: "/tv" }] } });
    const verifier = new UrlBaseVerifier();
    const r = await resolveApp(service("sonarr", "sonarr", candidates), deps({ "sonarr.media": sonarr.url }, verifier));
    expect(r?.urlBase?.urlBase).toBe("/tv");
    expect(r?.urlBase?.wrongAnnotation).toBe(
      "The annotation k8s-nas-panel/url-base says /sonarr, but Sonarr does not answer there (HTTP 404); it answers under /tv (env SONARR__SERVER__URLBASE). Fix or remove the annotation.",
    );
    // A right annotation is not reported.
    const right = await resolveApp(service("sonarr", "sonarr", urlBaseCandidates({ annotation: "/tv" })), deps({ "sonarr.media": sonarr.url }, new UrlBaseVerifier()));
    expect(right?.urlBase).toMatchObject({ urlBase: "/tv", source: "annotation", state: "verified" });
    expect(right?.urlBase?.wrongAnnotation).toBeUndefined();
  });

  it("an app without identity endpoint keeps the guess, unchecked, without a request", async () => {
    const verifier = new UrlBaseVerifier();
    const r = await resolveApp(service("vpn", "gluetun", urlBaseCandidates({})), deps({ "vpn.media": "http://127.0.0.1:9" }, verifier));
    expect(r?.urlBase).toMatchObject({ urlBase: "", state: "unchecked", tried: [] });
  });

  it("more candidates from elsewhere (ConfigMaps of the repository) are merged in source order", async () => {
    const jellyfin = await serve(jellyfinAt("/jellyfin"));
    const verifier = new UrlBaseVerifier({
      moreCandidates: () => Promise.resolve([{ urlBase: "/jellyfin", source: "config-map", reason: "<BaseUrl> in ConfigMap jellyfin-network key network.xml" }]),
    });
    const r = await resolveApp(service("jellyfin", "jellyfin", urlBaseCandidates({ routes: [rewritten("/jellyfin")] })), deps({ "jellyfin.media": jellyfin.url }, verifier));
    expect(r?.urlBase).toMatchObject({ urlBase: "/jellyfin", source: "config-map", state: "verified", tried: [{ urlBase: "/jellyfin", ok: true }] });
    expect(jellyfin.requests).toHaveLength(1);
  });

  it("the prober verifies again, once, when a remembered base stops working (the app moved to another base)", async () => {
    let base = "/jellyfin";
    const jellyfin = await serve((req) => jellyfinAt(base)(req));
    const verifier = new UrlBaseVerifier();
    const svc = service("jellyfin", "jellyfin", urlBaseCandidates({ routes: [rewritten("/jellyfin")] }));
    const d = deps({ "jellyfin.media": jellyfin.url }, verifier);
    const prober = new Prober(
      { listServices: () => Promise.resolve([svc]), resolve: (s, ctx) => resolveApp(s, d, ctx), urlBases: verifier, db: null, registry: null, instances: new AppInstances() },
      { intervalMs: 60_000, timeoutMs: 2000, concurrency: 2, thresholds: { slowMs: 2000, restartsPerHourDegraded: 3 }, retention: { rawHours: 1, hourDays: 1 } },
    );
    const first = (await prober.probeNow()).results[0];
    expect([first?.verdict.status, first?.access?.urlBase.urlBase]).toEqual(["up", "/jellyfin"]);
    base = "";
    jellyfin.requests.length = 0;
    const second = (await prober.probeNow()).results[0];
    expect([second?.verdict.status, second?.access?.urlBase.urlBase, second?.access?.urlBase.state]).toEqual(["up", "", "verified"]);
    // The failed health read, one verification request (the root answers first), and the health again.
    expect(jellyfin.requests.map((q) => q.path).filter((p) => p.endsWith("/System/Info/Public"))).toEqual(["/jellyfin/System/Info/Public", "/System/Info/Public", "/System/Info/Public"]);
  });
});

describe("endpoints on a port of their own (a controller's health server)", () => {
  const nginx = (over: Partial<DiscoveredService> = {}) =>
    service("ingress-nginx-controller", "ingress-nginx", urlBaseCandidates({}), {
      service: { name: "ingress-nginx-controller", ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "https", port: 443, targetPort: "https" }] },
      kube: { desired: 1, ready: 1, available: 1, updated: 1, warnings: [], conditions: [], pods: [{ name: "c-1", phase: "Running", ready: true, restarts: 0, restartsLastHour: 0, podIP: "10.42.0.7", containers: [] }] },
      ...over,
    });
  const controller = getHealthModule("ingress-nginx")!;

  it("calls a ready pod's address when no Service port reaches the port", () => {
    expect(controller.fixedPort).toBe(10254);
    expect(baseUrlOf(nginx(), controller, {})).toBe("http://10.42.0.7:10254");
  });

  it("calls the Service port that reaches it when there is one, and the port the workload's probe names", () => {
    expect(baseUrlOf(nginx({ service: { name: "ingress-nginx-controller", ports: [{ name: "metrics", port: 9913, targetPort: 10254 }] } }), controller, {})).toBe(
      "http://ingress-nginx-controller.media.svc.cluster.local:9913",
    );
    const traefik = getHealthModule("traefik")!;
    const svc = service("traefik", "traefik", urlBaseCandidates({}), {
      probePorts: { "/ping": 8080 },
      kube: { desired: 1, ready: 1, available: 1, updated: 1, warnings: [], conditions: [], pods: [{ name: "t", phase: "Running", ready: true, restarts: 0, restartsLastHour: 0, podIP: "10.42.0.9", containers: [] }] },
    });
    expect(baseUrlOf(svc, traefik, {})).toBe("http://10.42.0.9:8080");
  });

  it("outside the cluster, only a `service.namespace:port` entry of the address map reaches it", () => {
    expect(baseUrlOf(nginx(), controller, { "ingress-nginx-controller.media": "http://127.0.0.1:1" })).toBe("http://10.42.0.7:10254");
    expect(baseUrlOf(nginx(), controller, { "ingress-nginx-controller.media:10254": "http://127.0.0.1:2" })).toBe("http://127.0.0.1:2");
  });
});
