import { describe, expect, it } from "vitest";
import type { Route } from "./routes";
import { guessUrlBase, mergeCandidates, urlBaseCandidates, type UrlBaseInput } from "./url-base";

const route = (path: string, appPath: string | undefined = path === "/" ? "" : path, rewrite?: string): Route => ({
  kind: "Ingress",
  name: "i",
  url: `https://h${path}`,
  path,
  rewrites: rewrite !== undefined,
  appPath,
  ...(rewrite ? { rewrite } : {}),
  redirectOrExact: false,
  serviceName: "s",
  annotations: {},
});

describe("the first candidate: discovery's guess", () => {
  const cases: Array<[string, UrlBaseInput, string, string]> = [
    ["annotation beats everything", { annotation: "/tv", main: { name: "c", env: [{ name: "URL_BASE", value: "/x" }] } }, "/tv", "annotation"],
    ["Sonarr v4 env", { main: { name: "c", env: [{ name: "SONARR__SERVER__URLBASE", value: "/sonarr" }] } }, "/sonarr", "env"],
    ["URL_BASE env", { main: { name: "c", env: [{ name: "URL_BASE", value: "/app/" }] } }, "/app", "env"],
    ["BASE_URL env holding a full URL", { main: { name: "c", env: [{ name: "BASE_URL", value: "https://h.example/app" }] } }, "/app", "env"],
    ["env from an unknown ConfigMap cannot be read: skipped", { main: { name: "c", env: [{ name: "URL_BASE", valueFrom: { configMapKeyRef: { name: "cm", key: "base" } } }] } }, "", "default"],
    ["Grafana sub path", { main: { name: "c", env: [{ name: "GF_SERVER_ROOT_URL", value: "%(protocol)s://%(domain)s/grafana/" }, { name: "GF_SERVER_SERVE_FROM_SUB_PATH", value: "true" }] } }, "/grafana", "env"],
    ["Grafana root URL without sub path serving", { main: { name: "c", env: [{ name: "GF_SERVER_ROOT_URL", value: "https://h/grafana" }] } }, "", "default"],
    ["Prometheus route prefix", { main: { name: "c", args: ["--web.route-prefix=/prom", "--web.external-url=https://h/x/"] } }, "/prom", "args"],
    ["Prometheus external URL", { main: { name: "c", args: ["--web.external-url", "https://h/prometheus/"] } }, "/prometheus", "args"],
    ["generic flag", { main: { name: "c", command: ["/app", "--url-base=/tools"] } }, "/tools", "args"],
    ["Argo CD's root path", { main: { name: "c", args: ["/usr/local/bin/argocd-server", "--rootpath", "/argocd"] } }, "/argocd", "args"],
    ["config.xml written by an init container", { initContainers: [{ name: "i", args: ["cat > /config/config.xml <<EOF\n<UrlBase>/radarr</UrlBase>\nEOF"] }] }, "/radarr", "config-file"],
    ["sabnzbd.ini", { initContainers: [{ name: "i", args: ['print "url_base = /sabnzbd"'] }] }, "/sabnzbd", "config-file"],
    ["bazarr config.yaml", { initContainers: [{ name: "i", args: ['echo "base_url: /bazarr" > "$CONFIG"'] }] }, "/bazarr", "config-file"],
    ["a sed pattern is not a value", { initContainers: [{ name: "i", args: ["sed -i 's|<UrlBase>.*</UrlBase>||'"] }] }, "", "default"],
    ["probe under a prefix", { main: { name: "c", readinessProbe: { httpGet: { path: "/lidarr/ping" } } } }, "/lidarr", "probe"],
    ["probe at the root says nothing", { main: { name: "c", readinessProbe: { httpGet: { path: "/ping" } } } }, "", "default"],
    ["Prometheus' probe at the root says nothing", { main: { name: "c", readinessProbe: { httpGet: { path: "/-/ready" } }, livenessProbe: { httpGet: { path: "/-/healthy" } } } }, "", "default"],
    ["Prometheus' probe under a prefix", { main: { name: "c", readinessProbe: { httpGet: { path: "/prometheus/-/ready" } } } }, "/prometheus", "probe"],
    ["probe inside the routed path", { main: { name: "c", livenessProbe: { httpGet: { path: "/app/status" } } }, routes: [route("/app", "", "rewrite-target /")] }, "/app", "probe"],
    ["route path not rewritten", { routes: [route("/sonarr")] }, "/sonarr", "route"],
    ["route path rewritten: the app sees the root", { routes: [route("/flaresolverr", "", "rewrite-target /$2")] }, "", "route"],
    ["root route", { routes: [route("/")] }, "", "route"],
    ["nothing at all", {}, "", "default"],
  ];
  for (const [name, input, urlBase, source] of cases) it(name, () => expect(guessUrlBase(input)).toMatchObject({ urlBase, source }));
});

describe("every candidate, strongest first", () => {
  it("a stripped prefix in front of an app with its own base: the app's setting, then the route after and before its rewrite, then the root", () => {
    const jellyfin: UrlBaseInput = {
      main: { name: "jellyfin", env: [{ name: "JELLYFIN_PublishedServerUrl", valueFrom: { configMapKeyRef: { name: "jellyfin-config", key: "JELLYFIN_PublishedServerUrl" } } }] },
      initContainers: [{ name: "apply-xml-overrides", args: ["cp /seed/network.xml /config/network.xml"] }],
      volumes: [{ name: "seed", configMap: { name: "jellyfin-network" } }],
      routes: [route("/jellyfin", "", "rewrite-target /$1")],
      configMaps: [
        { name: "jellyfin-network", data: { "network.xml": "<NetworkConfiguration>\n  <BaseUrl>/jellyfin</BaseUrl>\n</NetworkConfiguration>" } },
        { name: "jellyfin-config", data: { JELLYFIN_PublishedServerUrl: "https://home.example/media" } },
      ],
    };
    expect(urlBaseCandidates(jellyfin)).toEqual([
      { urlBase: "/jellyfin", source: "config-map", reason: "<BaseUrl> in ConfigMap jellyfin-network key network.xml" },
      { urlBase: "/media", source: "published-url", reason: "env JELLYFIN_PublishedServerUrl (from ConfigMap jellyfin-config key JELLYFIN_PublishedServerUrl)" },
      { urlBase: "", source: "route", reason: "Ingress i path /jellyfin, rewritten by rewrite-target /$1" },
    ]);
    // Without the ConfigMaps (the panel does not read them from the cluster), the route's two readings remain.
    expect(urlBaseCandidates({ ...jellyfin, configMaps: [] }).map((c) => [c.urlBase, c.reason])).toEqual([
      ["", "Ingress i path /jellyfin, rewritten by rewrite-target /$1"],
      ["/jellyfin", "Ingress i path /jellyfin before its rewrite"],
    ]);
  });

  it("a ConfigMap key that overrides the base beats a seed file's setting; envFrom ConfigMaps count as env", () => {
    const c = urlBaseCandidates({
      main: { name: "app", envFrom: [{ configMapRef: { name: "common" } }] },
      volumes: [
        { name: "seed", configMap: { name: "seed" } },
        { name: "overrides", configMap: { name: "overrides" } },
      ],
      configMaps: [
        { name: "seed", data: { "network.xml": "<BaseUrl>/jellyfin</BaseUrl>" } },
        { name: "overrides", data: { "network.xml_NetworkConfiguration_BaseUrl": "/" } },
        { name: "common", data: { TZ: "UTC", APP__SERVER__URLBASE: "/svc" } },
      ],
    });
    expect(c.map((x) => [x.urlBase, x.source, x.reason])).toEqual([
      ["/svc", "env", "env APP__SERVER__URLBASE (from ConfigMap common (envFrom))"],
      ["", "config-map", "ConfigMap overrides key network.xml_NetworkConfiguration_BaseUrl"],
      ["/jellyfin", "config-map", "<BaseUrl> in ConfigMap seed key network.xml"],
    ]);
  });

  it("an annotation stays a candidate among the others (it is verified like them)", () => {
    const c = urlBaseCandidates({ annotation: "/wrong", main: { name: "c", env: [{ name: "URL_BASE", value: "/right" }] }, routes: [route("/right")] });
    expect(c.map((x) => [x.urlBase, x.source])).toEqual([
      ["/wrong", "annotation"],
      ["/right", "env"],
      ["", "default"],
    ]);
  });

  it("a rewrite that cannot be read gives the routed path only", () => {
    expect(urlBaseCandidates({ routes: [route("/x", undefined, "Middleware m/r (replacePathRegex)")] }).map((c) => c.urlBase)).toEqual(["/x", ""]);
  });

  it("merging keeps the source order and each base once", () => {
    const fromCluster = urlBaseCandidates({ routes: [route("/jellyfin", "", "rewrite-target /$1")] });
    const fromRepo = urlBaseCandidates({ volumes: [{ name: "v", configMap: { name: "cm" } }], configMaps: [{ name: "cm", data: { "network.xml": "<BaseUrl>/jellyfin</BaseUrl>" } }] });
    expect(mergeCandidates(fromCluster, fromRepo).map((c) => [c.urlBase, c.source])).toEqual([
      ["/jellyfin", "config-map"],
      ["", "route"],
    ]);
  });
});
