import { describe, expect, it } from "vitest";
import { gatewayRoutes, ingressRoutes, normalizeIngressPath, parseTraefikMatch, routesTo, traefikRoutes, userUrls } from "./routes";
import type { Gateway, HTTPRoute, Ingress, TraefikIngressRoute, TraefikMiddleware } from "./types";

const S = new Set(["s"]);

describe("ingress paths and URLs", () => {
  const paths: Array<[string | undefined, string]> = [
    ["/sonarr", "/sonarr"],
    ["/sonarr/", "/sonarr"],
    ["/qbittorrent(/|$)(.*)", "/qbittorrent"],
    ["/jellyfin(/|$)(.*)", "/jellyfin"],
    ["/", "/"],
    [undefined, "/"],
    ["/api/v[0-9]+", "/api/v"],
  ];
  for (const [p, want] of paths) it(`${p} -> ${want}`, () => expect(normalizeIngressPath(p)).toBe(want));

  it("https only for hosts the TLS section covers (wildcards one level deep); host-less rules use the load balancer address", () => {
    const ing: Ingress = {
      metadata: { name: "i", namespace: "media" },
      spec: {
        tls: [{ hosts: ["*.example.com"] }],
        rules: [
          { host: "a.example.com", http: { paths: [{ path: "/", backend: { service: { name: "s" } } }] } },
          { host: "a.b.example.com", http: { paths: [{ path: "/", backend: { service: { name: "s" } } }] } },
          { http: { paths: [{ path: "/x", backend: { service: { name: "s" } } }] } },
          { host: "c.example.com", http: { paths: [{ path: "/", backend: { service: { name: "other" } } }] } },
        ],
      },
      status: { loadBalancer: { ingress: [{ ip: "192.168.1.10" }] } },
    };
    expect(userUrls(ingressRoutes([ing], S))).toEqual(["https://a.example.com/", "http://a.b.example.com/", "http://192.168.1.10/x"]);
  });

  it("one URL per host and path, https preferred", () => {
    const mk = (name: string, tls: boolean, path: string, pathType = "Prefix"): Ingress => ({
      metadata: { name, namespace: "media" },
      spec: { ...(tls ? { tls: [{ hosts: ["h"] }] } : {}), rules: [{ host: "h", http: { paths: [{ path, pathType, backend: { service: { name: "s" } } }] } }] },
    });
    expect(userUrls(ingressRoutes([mk("redirect", false, "/jellyfin", "Exact"), mk("main", true, "/jellyfin(/|$)(.*)")], S))).toEqual(["https://h/jellyfin/"]);
  });
});

describe("what the app sees behind an Ingress", () => {
  const ing = (path: string, annotations: Record<string, string> = {}): Ingress => ({
    metadata: { name: "app", namespace: "media", annotations },
    spec: { rules: [{ host: "h", http: { paths: [{ path, backend: { service: { name: "s", port: { number: 80 } } } }] } }] },
  });
  const one = (i: Ingress, middlewares: TraefikMiddleware[] = []) => {
    const [r] = ingressRoutes([i], S, middlewares);
    return { path: r?.path, appPath: r?.appPath, rewrites: r?.rewrites, rewrite: r?.rewrite };
  };

  it("a plain path reaches the app as it is", () => expect(one(ing("/sonarr"))).toEqual({ path: "/sonarr", appPath: "/sonarr", rewrites: false, rewrite: undefined }));
  it("rewrite-target /$2 strips the prefix", () =>
    expect(one(ing("/jellyfin(/|$)(.*)", { "nginx.ingress.kubernetes.io/rewrite-target": "/$2" }))).toEqual({
      path: "/jellyfin",
      appPath: "",
      rewrites: true,
      rewrite: "rewrite-target /$2",
    }));
  it("rewrite-target /app/$1 moves it under another prefix", () =>
    expect(one(ing("/tools/(.*)", { "nginx.ingress.kubernetes.io/rewrite-target": "/app/$1" })).appPath).toBe("/app"));
  it("rewrite-target / sends everything to the root", () => expect(one(ing("/prometheus", { "nginx.ingress.kubernetes.io/rewrite-target": "/" })).appPath).toBe(""));
  it("a regular expression without a rewrite reaches the app unchanged", () => expect(one(ing("/qbt(/|$)(.*)"))).toMatchObject({ appPath: "/qbt", rewrites: true }));

  it("a Traefik Ingress names its strip-prefix Middleware by annotation (<namespace>-<name>@kubernetescrd)", () => {
    const mw: TraefikMiddleware = { metadata: { name: "strip-sonarr", namespace: "media-apps" }, spec: { stripPrefix: { prefixes: ["/sonarr"] } } };
    const i = ing("/sonarr", { "traefik.ingress.kubernetes.io/router.middlewares": "media-apps-strip-sonarr@kubernetescrd", "traefik.ingress.kubernetes.io/router.tls": "true" });
    expect(one(i, [mw])).toEqual({ path: "/sonarr", appPath: "", rewrites: true, rewrite: "Middleware media-apps/strip-sonarr (stripPrefix /sonarr)" });
    expect(ingressRoutes([i], S, [mw])[0]?.url).toBe("https://h/sonarr");
    expect(one(ing("/sonarr", { "traefik.ingress.kubernetes.io/router.middlewares": "other@file" }), [mw]).appPath).toBe("/sonarr");
  });
});

describe("Traefik IngressRoutes", () => {
  it("reads hosts and paths from rules (v3 and v2 syntax)", () => {
    expect(parseTraefikMatch("Host(`home.example`) && PathPrefix(`/sonarr`)")).toEqual({ hosts: ["home.example"], paths: [{ path: "/sonarr", exact: false, regex: false }] });
    expect(parseTraefikMatch("Host(`a.example`,`b.example`) && (PathPrefix(`/x`) || Path(`/y`))")).toEqual({
      hosts: ["a.example", "b.example"],
      paths: [
        { path: "/x", exact: false, regex: false },
        { path: "/y", exact: true, regex: false },
      ],
    });
    expect(parseTraefikMatch('Host("q.example")').hosts).toEqual(["q.example"]);
  });

  const middlewares: TraefikMiddleware[] = [
    { metadata: { name: "strip", namespace: "media" }, spec: { stripPrefix: { prefixes: ["/radarr", "/sonarr"] } } },
    { metadata: { name: "strip-re", namespace: "media" }, spec: { stripPrefixRegex: { regex: ["/[a-z]+"] } } },
    { metadata: { name: "add", namespace: "media" }, spec: { addPrefix: { prefix: "/app" } } },
    { metadata: { name: "both", namespace: "media" }, spec: { chain: { middlewares: [{ name: "strip" }, { name: "add" }] } } },
    { metadata: { name: "headers", namespace: "media" }, spec: {} },
  ];
  const route = (match: string, mws: string[], extra: Partial<NonNullable<TraefikIngressRoute["spec"]>> = {}): TraefikIngressRoute => ({
    metadata: { name: "r", namespace: "media" },
    spec: { entryPoints: ["web"], routes: [{ match, kind: "Rule", middlewares: mws.map((name) => ({ name })), services: [{ name: "s", port: 8989 }] }], ...extra },
  });

  const cases: Array<[string, TraefikIngressRoute, { url: string; path: string; appPath: string | undefined; rewrite?: string }]> = [
    ["no middleware", route("Host(`h`) && PathPrefix(`/sonarr`)", []), { url: "http://h/sonarr", path: "/sonarr", appPath: "/sonarr" }],
    ["stripPrefix", route("Host(`h`) && PathPrefix(`/sonarr`)", ["strip"]), { url: "http://h/sonarr", path: "/sonarr", appPath: "", rewrite: "Middleware media/strip (stripPrefix /sonarr)" }],
    ["stripPrefixRegex", route("Host(`h`) && PathPrefix(`/sonarr/ui`)", ["strip-re"]), { url: "http://h/sonarr/ui", path: "/sonarr/ui", appPath: "/ui", rewrite: "Middleware media/strip-re (stripPrefixRegex /[a-z]+)" }],
    ["a chain: strip then add", route("Host(`h`) && PathPrefix(`/radarr`)", ["both"]), { url: "http://h/radarr", path: "/radarr", appPath: "/app", rewrite: "Middleware media/both (chain: Middleware media/strip (stripPrefix /radarr), Middleware media/add (addPrefix /app))" }],
    ["a middleware that leaves the path alone", route("Host(`h`) && PathPrefix(`/sonarr`)", ["headers@kubernetescrd"]), { url: "http://h/sonarr", path: "/sonarr", appPath: "/sonarr" }],
    ["TLS makes it https", route("Host(`h`) && PathPrefix(`/s`)", [], { tls: { certResolver: "le" } }), { url: "https://h/s", path: "/s", appPath: "/s" }],
    ["the websecure entry point is https", route("Host(`h`)", [], { entryPoints: ["websecure"] }), { url: "https://h/", path: "/", appPath: "" }],
  ];
  for (const [name, ir, want] of cases) {
    it(name, () => {
      const [r] = traefikRoutes([ir], middlewares, S);
      expect({ url: r?.url, path: r?.path, appPath: r?.appPath, ...(r?.rewrite ? { rewrite: r.rewrite } : {}) }).toEqual(want);
      expect(r?.kind).toBe("IngressRoute");
    });
  }

  it("skips services of other kinds and other Services; a route without Host has no URL", () => {
    const ir: TraefikIngressRoute = {
      metadata: { name: "r", namespace: "media" },
      spec: { routes: [{ match: "PathPrefix(`/x`)", services: [{ name: "s", kind: "TraefikService" }, { name: "other" }, { name: "s", port: "http" }] }] },
    };
    const routes = traefikRoutes([ir], [], S);
    expect(routes.map((r) => [r.url, r.servicePort])).toEqual([["", "http"]]);
    expect(userUrls(routes)).toEqual([]);
  });
});

describe("Gateway API HTTPRoutes", () => {
  const gateway: Gateway = {
    metadata: { name: "main", namespace: "gateway" },
    spec: {
      listeners: [
        { name: "http", port: 80, protocol: "HTTP" },
        { name: "https", port: 443, protocol: "HTTPS", hostname: "*.home.example" },
      ],
    },
  };
  const hr = (spec: NonNullable<HTTPRoute["spec"]>): HTTPRoute => ({ metadata: { name: "prowlarr", namespace: "media" }, spec });

  it("an HTTPS listener for the host makes it https; the route's hostnames are the URLs", () => {
    const routes = gatewayRoutes(
      [hr({ parentRefs: [{ name: "main", namespace: "gateway", sectionName: "https" }], hostnames: ["prowlarr.home.example"], rules: [{ backendRefs: [{ name: "s", port: 9696 }] }] })],
      [gateway],
      S,
    );
    expect(routes.map((r) => [r.kind, r.url, r.path, r.appPath, r.servicePort])).toEqual([["HTTPRoute", "https://prowlarr.home.example/", "/", "", 9696]]);
  });

  it("a path prefix with URLRewrite ReplacePrefixMatch strips it", () => {
    const [r] = gatewayRoutes(
      [
        hr({
          parentRefs: [{ name: "main", namespace: "gateway" }],
          hostnames: ["apps.home.example"],
          rules: [
            {
              matches: [{ path: { type: "PathPrefix", value: "/prowlarr" } }],
              filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }],
              backendRefs: [{ name: "s", port: 9696 }],
            },
          ],
        }),
      ],
      [gateway],
      S,
    );
    expect(r).toMatchObject({ url: "https://apps.home.example/prowlarr", path: "/prowlarr", appPath: "", rewrites: true, rewrite: "URLRewrite ReplacePrefixMatch /" });
  });

  it("without hostnames the listeners' hosts are used; an unreadable Gateway leaves only its listener's name as a hint", () => {
    const ownHost: Gateway = { metadata: { name: "own", namespace: "media" }, spec: { listeners: [{ name: "web", protocol: "HTTP", hostname: "media.lan" }] } };
    expect(gatewayRoutes([hr({ parentRefs: [{ name: "own" }], rules: [{ backendRefs: [{ name: "s" }] }] })], [ownHost], S).map((r) => r.url)).toEqual(["http://media.lan/"]);
    const hidden = gatewayRoutes([hr({ parentRefs: [{ name: "elsewhere", namespace: "infra", sectionName: "websecure" }], hostnames: ["x.example"], rules: [{ backendRefs: [{ name: "s" }] }] })], [], S);
    expect(hidden.map((r) => r.url)).toEqual(["https://x.example/"]);
  });

  it("exact matches and redirects say nothing about the base; other backends are skipped", () => {
    const routes = gatewayRoutes(
      [
        hr({
          parentRefs: [{ name: "main", namespace: "gateway" }],
          hostnames: ["h.home.example"],
          rules: [
            { matches: [{ path: { type: "Exact", value: "/p" } }], backendRefs: [{ name: "s" }] },
            { filters: [{ type: "RequestRedirect", requestRedirect: { statusCode: 301 } }], backendRefs: [{ name: "s" }] },
            { backendRefs: [{ name: "s", kind: "ServiceImport", group: "multicluster.x-k8s.io" }, { name: "other" }] },
          ],
        }),
      ],
      [gateway],
      S,
    );
    expect(routes.map((r) => [r.path, r.redirectOrExact])).toEqual([
      ["/p", true],
      ["/", true],
    ]);
  });
});

describe("routesTo", () => {
  it("joins the three kinds: Ingresses first, then IngressRoutes, then HTTPRoutes", () => {
    const ingress: Ingress = { metadata: { name: "i", namespace: "m" }, spec: { rules: [{ host: "a", http: { paths: [{ path: "/i", backend: { service: { name: "s" } } }] } }] } };
    const ir: TraefikIngressRoute = { metadata: { name: "t", namespace: "m" }, spec: { routes: [{ match: "Host(`b`) && PathPrefix(`/t`)", services: [{ name: "s" }] }] } };
    const route: HTTPRoute = { metadata: { name: "g", namespace: "m" }, spec: { hostnames: ["c"], rules: [{ matches: [{ path: { value: "/g" } }], backendRefs: [{ name: "s" }] }] } };
    const routes = routesTo({ ingresses: [ingress], ingressroutes: [ir], middlewares: [], httproutes: [route], gateways: [] }, S);
    expect(routes.map((r) => `${r.kind} ${r.url}`)).toEqual(["Ingress http://a/i", "IngressRoute http://b/t", "HTTPRoute http://c/g"]);
  });
});
