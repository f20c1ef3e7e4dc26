import { normalizeUrlBase } from "../url-base";
import type { Gateway, HTTPRoute, Ingress, IngressBackend, ParentReference, TraefikIngressRoute, TraefikMiddleware } from "./types";

/**
 * The ways in from outside to a Service, read from the three kinds people route with: Ingresses
 * (ingress-nginx's rewrite annotations, Traefik's middleware annotations), Traefik IngressRoutes with
 * their Middlewares, and Gateway API HTTPRoutes with their Gateways. Each route says where users open
 * the app (host, path, http or https) and which path prefix the app itself sees once the route has
 * rewritten or stripped it: both are candidates of the app's URL base. Pure: the informers' objects in,
 * routes out.
 */

/** The kind of object a route comes from. */
export type RouteKind = "Ingress" | "IngressRoute" | "HTTPRoute";

/** One host and path of a route object that reaches a Service. */
export interface Route {
  kind: RouteKind;
  /** Name of the object (in the Service's namespace). */
  name: string;
  /** Where users open it; `""` when the route names no host (an IngressRoute matching any host). */
  url: string;
  /** Normalised path as routed (`/sonarr`, `/`). */
  path: string;
  /** True when the route changes the path before the app sees it (a rewrite, a stripped prefix, a regular expression path). */
  rewrites: boolean;
  /**
   * The prefix the app sees for `path`: `path` itself when nothing rewrites it, `""` when the prefix is
   * stripped, another prefix when it is rewritten to one; undefined when the rewrite cannot be read.
   */
  appPath: string | undefined;
  /** How the path is rewritten, in the words of the object (`rewrite-target /$2`, `Middleware media/strip (stripPrefix)`). */
  rewrite?: string;
  /** True when the path only redirects or matches one exact path: it says nothing about where the app serves. */
  redirectOrExact: boolean;
  serviceName: string;
  servicePort?: number | string;
  /** Annotations of the object (Homepage's `gethomepage.dev/*` are read from them). */
  annotations: Record<string, string>;
}

/** The objects of one namespace that routes are read from (Gateways from every namespace: an HTTPRoute may attach to a shared one). */
export interface RouteSources {
  ingresses: readonly Ingress[];
  ingressroutes: readonly TraefikIngressRoute[];
  middlewares: readonly TraefikMiddleware[];
  httproutes: readonly HTTPRoute[];
  gateways: readonly Gateway[];
}

const REGEX_CHARS = /[()[\]*$^|?+\\{}]/;

/** `/qbittorrent(/|$)(.*)` -> `/qbittorrent`; `/sonarr/` -> `/sonarr`; `` -> `/`. */
export function normalizeIngressPath(path: string | undefined): string {
  let p = path ?? "/";
  const cut = p.search(REGEX_CHARS);
  if (cut >= 0) p = p.slice(0, cut);
  p = p.replace(/\/+$/, "");
  return p.startsWith("/") ? p || "/" : `/${p}`;
}

function urlPathOf(path: string, regex: boolean): string {
  return path === "/" ? "/" : regex ? `${path}/` : path;
}

/** True when a host is covered by a TLS host entry (exact, or one level under a `*.` wildcard). */
export function hostCovered(patterns: readonly string[], host: string): boolean {
  return patterns.some((h) => h === host || (h.startsWith("*.") && host.endsWith(h.slice(1)) && !host.slice(0, -h.length + 1).includes(".")));
}

/** The prefix a path rewrite leaves: the static part of a rewrite target before its first capture group (`/$2` -> ``, `/app/$1` -> `/app`). */
function rewriteTargetPrefix(target: string): string | undefined {
  const t = target.trim();
  if (t === "") return undefined;
  const cut = t.search(/\$/);
  const stat = cut >= 0 ? t.slice(0, cut) : t;
  if (REGEX_CHARS.test(stat.replace(/\$/g, ""))) return undefined;
  return normalizeUrlBase(stat);
}

// ---------------------------------------------------------------------------------------------
// Traefik middlewares

interface PathEffect {
  /** The prefix the app sees, or undefined when it cannot be read. */
  appPath: string | undefined;
  /** What did it, for the reason. */
  rewrite?: string;
  redirects: boolean;
}

/** `name@kubernetescrd` -> `name`; a reference to another provider (`@file`) is not in the cluster. */
function crdName(ref: string): string | undefined {
  const at = ref.indexOf("@");
  if (at < 0) return ref;
  return ref.slice(at + 1) === "kubernetescrd" ? ref.slice(0, at) : undefined;
}

function findMiddleware(middlewares: readonly TraefikMiddleware[], namespace: string, name: string): TraefikMiddleware | undefined {
  return middlewares.find((m) => m.metadata?.name === name && (m.metadata?.namespace ?? namespace) === namespace);
}

/** Applies a chain of Traefik middlewares to the path a route matched. */
function applyMiddlewares(path: string, refs: ReadonlyArray<{ namespace: string; name: string }>, middlewares: readonly TraefikMiddleware[], depth = 0): PathEffect {
  let appPath: string | undefined = path === "/" ? "" : path;
  const rewrites: string[] = [];
  let redirects = false;
  for (const ref of refs) {
    const mw = findMiddleware(middlewares, ref.namespace, ref.name);
    const spec = mw?.spec;
    if (!spec) continue;
    const label = `Middleware ${ref.namespace}/${ref.name}`;
    if (spec.chain?.middlewares && depth < 5) {
      const inner = applyMiddlewares(appPath === undefined ? path : appPath || "/", spec.chain.middlewares.flatMap((m) => {
        const n = crdName(m.name ?? "");
        return n ? [{ namespace: m.namespace ?? ref.namespace, name: n }] : [];
      }), middlewares, depth + 1);
      if (inner.rewrite) rewrites.push(`${label} (chain: ${inner.rewrite})`);
      appPath = inner.appPath;
      redirects ||= inner.redirects;
    }
    if (appPath !== undefined && spec.stripPrefix?.prefixes) {
      const current = appPath;
      const hit = spec.stripPrefix.prefixes
        .map((p) => normalizeUrlBase(p))
        .filter((p) => p !== "" && (current === p || current.startsWith(`${p}/`)))
        .sort((a, b) => b.length - a.length)[0];
      if (hit !== undefined) {
        appPath = current.slice(hit.length);
        rewrites.push(`${label} (stripPrefix ${hit})`);
      }
    }
    if (appPath !== undefined && spec.stripPrefixRegex?.regex) {
      const current = appPath;
      for (const source of spec.stripPrefixRegex.regex) {
        let m: RegExpExecArray | null = null;
        try {
          m = new RegExp(`^(?:${source})`).exec(current);
        } catch {
          m = null;
        }
        if (m && m[0].length > 0) {
          appPath = normalizeUrlBase(current.slice(m[0].length));
          rewrites.push(`${label} (stripPrefixRegex ${source})`);
          break;
        }
      }
    }
    if (spec.addPrefix?.prefix !== undefined && appPath !== undefined) {
      appPath = normalizeUrlBase(`${spec.addPrefix.prefix}${appPath}`);
      rewrites.push(`${label} (addPrefix ${spec.addPrefix.prefix})`);
    }
    if (spec.replacePath?.path !== undefined || spec.replacePathRegex?.regex !== undefined) {
      appPath = undefined;
      rewrites.push(`${label} (${spec.replacePath ? "replacePath" : "replacePathRegex"})`);
    }
    if (spec.redirectRegex?.regex !== undefined) redirects = true;
  }
  return { appPath, ...(rewrites.length > 0 ? { rewrite: rewrites.join(", ") } : {}), redirects };
}

/** Middlewares named by a Traefik Ingress annotation: `<namespace>-<name>@kubernetescrd`, comma-separated. */
function annotationMiddlewares(value: string | undefined, middlewares: readonly TraefikMiddleware[]): Array<{ namespace: string; name: string }> {
  if (!value) return [];
  const out: Array<{ namespace: string; name: string }> = [];
  for (const raw of value.split(",")) {
    const ref = crdName(raw.trim());
    if (!ref) continue;
    // Namespace and name both may hold dashes: take the split that names a known Middleware.
    const known = middlewares.find((m) => `${m.metadata?.namespace ?? ""}-${m.metadata?.name ?? ""}` === ref);
    if (known) out.push({ namespace: known.metadata?.namespace ?? "", name: known.metadata?.name ?? "" });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ingress

/** True when the ingress rewrites the path before the app sees it (so the app serves at its root). */
export function ingressRewrites(ingress: Ingress): boolean {
  const a = ingress.metadata?.annotations ?? {};
  return Object.keys(a).some((k) => /(^|\/)rewrite-target$/.test(k)) || Object.keys(a).some((k) => k.endsWith("/strip-prefix"));
}

function ingressTls(ingress: Ingress, host: string): boolean {
  const a = ingress.metadata?.annotations ?? {};
  if (a["traefik.ingress.kubernetes.io/router.tls"] === "true") return true;
  if (/(^|,)\s*websecure\s*(,|$)/.test(a["traefik.ingress.kubernetes.io/router.entrypoints"] ?? "")) return true;
  return (ingress.spec?.tls ?? []).some((t) => (t.hosts ?? []).length === 0 || hostCovered(t.hosts ?? [], host));
}

/** Every (host, path) of Ingresses that routes to one of `serviceNames`. */
export function ingressRoutes(ingresses: readonly Ingress[], serviceNames: ReadonlySet<string>, middlewares: readonly TraefikMiddleware[] = []): Route[] {
  const routes: Route[] = [];
  for (const ing of ingresses) {
    const name = ing.metadata?.name ?? "";
    const lb = ing.status?.loadBalancer?.ingress?.[0];
    const fallbackHost = lb?.hostname ?? lb?.ip;
    const annotations = ing.metadata?.annotations ?? {};
    const targetKey = Object.keys(annotations).find((k) => /(^|\/)rewrite-target$/.test(k));
    const stripKey = Object.keys(annotations).find((k) => k.endsWith("/strip-prefix"));
    const traefik = annotationMiddlewares(annotations["traefik.ingress.kubernetes.io/router.middlewares"], middlewares);
    const redirects = Object.keys(annotations).some((k) => /\/(permanent|temporal)-redirect$/.test(k));
    const add = (host: string | undefined, rawPath: string | undefined, backend: IngressBackend | undefined, pathType?: string) => {
      const svc = backend?.service;
      if (!svc || !serviceNames.has(svc.name)) return;
      const h = host ?? fallbackHost;
      if (!h) return;
      const path = normalizeIngressPath(rawPath);
      const regex = rawPath !== undefined && REGEX_CHARS.test(rawPath);
      let appPath: string | undefined = path === "/" ? "" : path;
      let rewrite: string | undefined;
      let rewrites = regex;
      if (targetKey) {
        const target = annotations[targetKey] ?? "";
        appPath = rewriteTargetPrefix(target);
        rewrite = `${targetKey.split("/").pop() ?? targetKey} ${target}`;
        rewrites = true;
      } else if (stripKey) {
        appPath = "";
        rewrite = stripKey;
        rewrites = true;
      } else if (traefik.length > 0) {
        const effect = applyMiddlewares(path, traefik.map((m) => ({ namespace: m.namespace || (ing.metadata?.namespace ?? ""), name: m.name })), middlewares);
        if (effect.rewrite) {
          appPath = effect.appPath;
          rewrite = effect.rewrite;
          rewrites = true;
        }
      }
      routes.push({
        kind: "Ingress",
        name,
        url: `${ingressTls(ing, h) ? "https" : "http"}://${h}${urlPathOf(path, regex)}`,
        path,
        rewrites,
        appPath,
        ...(rewrite ? { rewrite } : {}),
        redirectOrExact: redirects || pathType === "Exact",
        serviceName: svc.name,
        ...(svc.port?.number ?? svc.port?.name) !== undefined ? { servicePort: svc.port?.number ?? svc.port?.name } : {},
        annotations,
      });
    };
    for (const rule of ing.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) add(rule.host, p.path, p.backend, p.pathType);
    }
    if (ing.spec?.defaultBackend) add(undefined, "/", ing.spec.defaultBackend);
  }
  return routes;
}

// ---------------------------------------------------------------------------------------------
// Traefik IngressRoute

/** The arguments of every `Name(...)` matcher of a Traefik rule: backquoted or quoted strings. */
function matcherArgs(rule: string, names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /\b([A-Za-z]+)\(([^()]*)\)/g;
  for (const m of rule.matchAll(re)) {
    const name = m[1] ?? "";
    if (!names.includes(name)) continue;
    const args = [...(m[2] ?? "").matchAll(/`([^`]*)`|"([^"]*)"|'([^']*)'/g)].map((a) => a[1] ?? a[2] ?? a[3] ?? "");
    out.set(name, [...(out.get(name) ?? []), ...args]);
  }
  return out;
}

/** Hosts and paths of a Traefik rule (`Host(\`a\`) && PathPrefix(\`/x\`)`); Traefik v2's comma-separated hosts too. */
export function parseTraefikMatch(rule: string): { hosts: string[]; paths: Array<{ path: string; exact: boolean; regex: boolean }> } {
  const args = matcherArgs(rule, ["Host", "PathPrefix", "Path", "PathRegexp"]);
  const hosts = (args.get("Host") ?? []).flatMap((h) => h.split(",")).map((h) => h.trim()).filter(Boolean);
  const paths = [
    ...(args.get("PathPrefix") ?? []).map((p) => ({ path: p, exact: false, regex: REGEX_CHARS.test(p) })),
    ...(args.get("Path") ?? []).map((p) => ({ path: p, exact: true, regex: false })),
    ...(args.get("PathRegexp") ?? []).map((p) => ({ path: p.replace(/^\^/, ""), exact: false, regex: true })),
  ];
  return { hosts, paths };
}

/** Every (host, path) of Traefik IngressRoutes that reaches one of `serviceNames`. */
export function traefikRoutes(ingressRoutes: readonly TraefikIngressRoute[], middlewares: readonly TraefikMiddleware[], serviceNames: ReadonlySet<string>): Route[] {
  const routes: Route[] = [];
  for (const ir of ingressRoutes) {
    const name = ir.metadata?.name ?? "";
    const namespace = ir.metadata?.namespace ?? "";
    const annotations = ir.metadata?.annotations ?? {};
    const tls = (ir.spec?.tls !== undefined && ir.spec.tls !== null) || (ir.spec?.entryPoints ?? []).includes("websecure");
    for (const r of ir.spec?.routes ?? []) {
      const services = (r.services ?? []).filter((s) => (s.kind ?? "Service") === "Service" && s.name && serviceNames.has(s.name) && (s.namespace ?? namespace) === namespace);
      if (services.length === 0) continue;
      const { hosts, paths } = parseTraefikMatch(r.match ?? "");
      const refs = (r.middlewares ?? []).flatMap((m) => {
        const n = crdName(m.name ?? "");
        return n ? [{ namespace: m.namespace ?? namespace, name: n }] : [];
      });
      for (const host of hosts.length > 0 ? hosts : [undefined]) {
        for (const p of paths.length > 0 ? paths : [{ path: "/", exact: false, regex: false }]) {
          const path = normalizeIngressPath(p.path);
          const effect = applyMiddlewares(path, refs, middlewares);
          for (const svc of services) {
            routes.push({
              kind: "IngressRoute",
              name,
              url: host ? `${tls ? "https" : "http"}://${host}${urlPathOf(path, p.regex)}` : "",
              path,
              rewrites: effect.rewrite !== undefined || p.regex,
              appPath: effect.appPath,
              ...(effect.rewrite ? { rewrite: effect.rewrite } : {}),
              redirectOrExact: effect.redirects || p.exact,
              serviceName: svc.name ?? "",
              ...(svc.port !== undefined ? { servicePort: svc.port } : {}),
              annotations,
            });
          }
        }
      }
    }
  }
  return routes;
}

// ---------------------------------------------------------------------------------------------
// Gateway API

type Listener = NonNullable<NonNullable<Gateway["spec"]>["listeners"]>[number];

function listenersOf(ref: ParentReference, routeNamespace: string, gateways: readonly Gateway[]): { gateway?: Gateway; listeners: Listener[] } {
  if ((ref.kind ?? "Gateway") !== "Gateway") return { listeners: [] };
  const ns = ref.namespace ?? routeNamespace;
  const gateway = gateways.find((g) => g.metadata?.name === ref.name && (g.metadata?.namespace ?? "") === ns);
  const all = gateway?.spec?.listeners ?? [];
  const listeners = all.filter((l) => (ref.sectionName === undefined || l.name === ref.sectionName) && (ref.port === undefined || l.port === ref.port));
  return { ...(gateway ? { gateway } : {}), listeners };
}

function listenerTakes(l: Listener, host: string | undefined): boolean {
  if (!l.hostname || host === undefined) return true;
  return hostCovered([l.hostname], host);
}

function isSecure(l: Listener): boolean {
  return l.protocol === "HTTPS" || l.protocol === "TLS";
}

/** Every (host, path) of Gateway API HTTPRoutes that reaches one of `serviceNames`, with the scheme and hosts of their Gateways' listeners. */
export function gatewayRoutes(httpRoutes: readonly HTTPRoute[], gateways: readonly Gateway[], serviceNames: ReadonlySet<string>): Route[] {
  const routes: Route[] = [];
  for (const hr of httpRoutes) {
    const name = hr.metadata?.name ?? "";
    const namespace = hr.metadata?.namespace ?? "";
    const annotations = hr.metadata?.annotations ?? {};
    const parents = (hr.spec?.parentRefs ?? []).map((ref) => ({ ref, ...listenersOf(ref, namespace, gateways) }));
    const listeners = parents.flatMap((p) => p.listeners);
    // Hosts: the route's own, else its listeners' (not wildcards), else the Gateways' addresses.
    let hosts = hr.spec?.hostnames ?? [];
    if (hosts.length === 0) hosts = listeners.map((l) => l.hostname ?? "").filter((h) => h !== "" && !h.startsWith("*"));
    if (hosts.length === 0) hosts = parents.flatMap((p) => (p.gateway?.status?.addresses ?? []).map((a) => a.value ?? "")).filter(Boolean);
    const schemeOf = (host: string | undefined): "http" | "https" => {
      const matching = listeners.filter((l) => listenerTakes(l, host));
      if (matching.length > 0) return matching.some(isSecure) ? "https" : "http";
      // The Gateway is not readable (another namespace): the listener's name is the only hint.
      return parents.some((p) => /https|tls|secure/i.test(p.ref.sectionName ?? "")) ? "https" : "http";
    };
    for (const rule of hr.spec?.rules ?? []) {
      const backends = (rule.backendRefs ?? []).filter(
        (b) => (b.kind ?? "Service") === "Service" && (b.group ?? "") === "" && b.name && serviceNames.has(b.name) && (b.namespace ?? namespace) === namespace,
      );
      if (backends.length === 0) continue;
      const redirect = (rule.filters ?? []).some((f) => f.type === "RequestRedirect");
      const rewrite = (rule.filters ?? []).find((f) => f.type === "URLRewrite" && f.urlRewrite?.path);
      const matches = (rule.matches ?? []).length > 0 ? (rule.matches ?? []) : [{ path: { type: "PathPrefix", value: "/" } }];
      for (const m of matches) {
        const type = m.path?.type ?? "PathPrefix";
        const raw = m.path?.value ?? "/";
        const regex = type === "RegularExpression";
        const path = normalizeIngressPath(raw);
        let appPath: string | undefined = path === "/" ? "" : path;
        let how: string | undefined;
        const rp = rewrite?.urlRewrite?.path;
        if (rp?.type === "ReplacePrefixMatch" && rp.replacePrefixMatch !== undefined) {
          appPath = normalizeUrlBase(rp.replacePrefixMatch);
          how = `URLRewrite ReplacePrefixMatch ${rp.replacePrefixMatch}`;
        } else if (rp?.type === "ReplaceFullPath") {
          appPath = undefined;
          how = `URLRewrite ReplaceFullPath ${rp.replaceFullPath ?? ""}`;
        }
        for (const host of hosts.length > 0 ? hosts : [undefined]) {
          for (const b of backends) {
            routes.push({
              kind: "HTTPRoute",
              name,
              url: host ? `${schemeOf(host)}://${host}${urlPathOf(path, regex)}` : "",
              path,
              rewrites: how !== undefined || regex,
              appPath,
              ...(how ? { rewrite: how } : {}),
              redirectOrExact: redirect || type === "Exact",
              serviceName: b.name ?? "",
              ...(b.port !== undefined ? { servicePort: b.port } : {}),
              annotations,
            });
          }
        }
      }
    }
  }
  return routes;
}

// ---------------------------------------------------------------------------------------------

/** Every route of a namespace to one of `serviceNames`: Ingresses, then IngressRoutes, then HTTPRoutes. */
export function routesTo(sources: RouteSources, serviceNames: ReadonlySet<string>): Route[] {
  return [
    ...ingressRoutes(sources.ingresses, serviceNames, sources.middlewares),
    ...traefikRoutes(sources.ingressroutes, sources.middlewares, serviceNames),
    ...gatewayRoutes(sources.httproutes, sources.gateways, serviceNames),
  ];
}

/** User-facing URLs: one per host+path, https preferred, in route order. */
export function userUrls(routes: readonly Route[]): string[] {
  const byKey = new Map<string, string>();
  for (const r of routes) {
    if (r.url === "") continue;
    const key = r.url.replace(/^https?:\/\//, "").replace(/\/$/, "");
    const prev = byKey.get(key);
    if (prev === undefined || (prev.startsWith("http:") && r.url.startsWith("https:"))) byKey.set(key, r.url);
  }
  return [...byKey.values()];
}
