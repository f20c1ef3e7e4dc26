import { normalizeUrlBase } from "../url-base";
import type { Route } from "./routes";
import type { Container, Volume } from "./types";

/**
 * The candidates of an app's URL base (the path prefix it serves under), each with where it was read.
 * None is trusted blindly: the panel tries them, in order, against the app's identity endpoint and
 * keeps the one the app answers as itself (`server/apps/url-base.ts`). The order is how much each
 * source usually says about the app itself: the owner's annotation, the app's own configuration
 * (environment, arguments, the files its scripts and ConfigMaps write), a health probe under a
 * prefix, the routes in front of it (the path the app sees after a rewrite, then the path as routed),
 * and the root. Pure.
 */

/** Where a candidate was read, strongest first. */
export const URL_BASE_SOURCES = ["annotation", "env", "args", "config-file", "config-map", "published-url", "probe", "route", "default"] as const;
export type UrlBaseSource = (typeof URL_BASE_SOURCES)[number];

/** One candidate URL base. */
export interface UrlBaseCandidate {
  /** Normalised (`/sonarr`, `""` for the root). */
  urlBase: string;
  source: UrlBaseSource;
  /** Where exactly, in words: `env SONARR__SERVER__URLBASE`, `Ingress jellyfin path /jellyfin, rewritten by rewrite-target /$2`. */
  reason: string;
}

/** A ConfigMap's data as far as the URL base goes (from wherever the caller could read it). */
export interface ConfigMapData {
  name: string;
  data: Readonly<Record<string, string>>;
}

/** Inputs of the candidates. */
export interface UrlBaseInput {
  /** The `k8s-nas-panel/url-base` annotation. */
  annotation?: string;
  main?: Container;
  initContainers?: readonly Container[];
  volumes?: readonly Volume[];
  routes?: readonly Route[];
  /** ConfigMaps of the namespace the pod reads, when known (the cluster's are not read: see docs/discovery.md). */
  configMaps?: readonly ConfigMapData[];
}

const HEALTH_SUFFIXES = ["/ping", "/health", "/healthz", "/api/health", "/api/v1/status", "/-/healthy", "/-/ready", "/api/v3/system/status", "/identity", "/ready", "/api/system/ping"];

/** Variables that name a URL base: `SONARR__SERVER__URLBASE`, `URL_BASE`, `BASE_URL`, `BASE_PATH`. */
const BASE_VARIABLE = /(^|_)(URL_?BASE|BASE_?URL|BASE_?PATH)$/i;
/** Variables that give the published URL (its path is often the base): Jellyfin's `JELLYFIN_PublishedServerUrl`. */
const PUBLISHED_VARIABLE = /PublishedServerUrl$/i;

/** Settings in configuration files and ConfigMap values: `<UrlBase>/sonarr</UrlBase>`, `url_base = /sabnzbd`, `base_url: /bazarr`. */
const CONFIG_FILE_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/<UrlBase>\s*(\/[A-Za-z0-9._~/-]*)?\s*<\/UrlBase>/i, "<UrlBase>"],
  [/<BaseUrl>\s*(\/[A-Za-z0-9._~/-]*)?\s*<\/BaseUrl>/i, "<BaseUrl>"],
  [/\burl_base\s*[=:]\s*["']?(\/[A-Za-z0-9._~/-]*)/i, "url_base"],
  [/\bbase_url\s*[=:]\s*["']?(\/[A-Za-z0-9._~/-]*)/i, "base_url"],
];

/** A ConfigMap key that holds a URL base itself (Jellyfin's `network.xml_NetworkConfiguration_BaseUrl` override). */
const BASE_KEY = /(BaseUrl|UrlBase|base_url|url_base|URL_?BASE|BASE_?PATH)$/i;

/** The path of a URL or of a path (`https://h/prometheus/` -> `/prometheus/`); undefined for anything else. */
export function pathOfUrlish(value: string): string | undefined {
  const v = value.trim();
  if (v.startsWith("/")) return v;
  const m = /^[^/]*:\/\/[^/]+(\/[^?#\s]*)?/.exec(v);
  if (m) return m[1] ?? "/";
  return undefined;
}

function flagValue(argv: readonly string[], names: readonly string[]): { name: string; value: string } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    for (const n of names) {
      if (a.startsWith(`${n}=`)) return { name: n, value: a.slice(n.length + 1) };
      if (a === n && i + 1 < argv.length) return { name: n, value: argv[i + 1] ?? "" };
    }
  }
  return undefined;
}

/** The ConfigMaps a pod reads: mounted volumes, `envFrom` and `configMapKeyRef`, by name in mount order. */
export function configMapNamesOf(containers: readonly Container[], volumes: readonly Volume[]): string[] {
  const names: string[] = [];
  const add = (n: string | undefined) => {
    if (n && !names.includes(n)) names.push(n);
  };
  for (const v of volumes) add(v.configMap?.name);
  for (const c of containers) {
    for (const ef of c.envFrom ?? []) add(ef.configMapRef?.name);
    for (const e of c.env ?? []) add(e.valueFrom?.configMapKeyRef?.name);
  }
  return names;
}

/**
 * Every URL base candidate of an app, strongest first, one per distinct URL base (the first source
 * to give a URL base names it). Always ends with the root.
 */
export function urlBaseCandidates(input: UrlBaseInput): UrlBaseCandidate[] {
  const out: UrlBaseCandidate[] = [];
  const add = (value: string, source: UrlBaseSource, reason: string) => {
    const urlBase = normalizeUrlBase(value);
    if (!out.some((c) => c.urlBase === urlBase)) out.push({ urlBase, source, reason });
  };
  const configMaps = new Map((input.configMaps ?? []).map((c) => [c.name, c.data]));
  const main = input.main;

  if (input.annotation !== undefined) add(input.annotation, "annotation", "annotation k8s-nas-panel/url-base");

  // The app's environment: literal values, and values a ConfigMap gives (when the ConfigMap is known).
  const env: Array<{ name: string; value: string; from?: string }> = [];
  for (const e of main?.env ?? []) {
    if (e.value !== undefined) env.push({ name: e.name, value: e.value });
    const ref = e.valueFrom?.configMapKeyRef;
    const fromMap = ref?.name ? configMaps.get(ref.name)?.[ref.key] : undefined;
    if (fromMap !== undefined && ref?.name) env.push({ name: e.name, value: fromMap, from: `ConfigMap ${ref.name} key ${ref.key}` });
  }
  for (const ef of main?.envFrom ?? []) {
    const name = ef.configMapRef?.name;
    const data = name ? configMaps.get(name) : undefined;
    for (const [k, v] of Object.entries(data ?? {})) env.push({ name: `${ef.prefix ?? ""}${k}`, value: v, from: `ConfigMap ${name ?? ""} (envFrom)` });
  }
  const via = (e: { from?: string }) => (e.from ? ` (from ${e.from})` : "");
  for (const e of env) {
    if (!BASE_VARIABLE.test(e.name)) continue;
    const p = pathOfUrlish(e.value);
    if (p !== undefined) add(p, "env", `env ${e.name}${via(e)}`);
  }
  const envValue = (n: string) => env.find((e) => e.name === n);
  if (envValue("GF_SERVER_SERVE_FROM_SUB_PATH")?.value.toLowerCase() === "true") {
    const root = envValue("GF_SERVER_ROOT_URL");
    const p = pathOfUrlish((root?.value ?? "").replace(/%\(\w+\)s/g, "x"));
    if (root && p !== undefined) add(p, "env", `env GF_SERVER_ROOT_URL with GF_SERVER_SERVE_FROM_SUB_PATH${via(root)}`);
  }

  // Arguments: Prometheus' route prefix and external URL, Argo CD's root path, the generic flags.
  const argv = [...(main?.command ?? []), ...(main?.args ?? [])];
  const routePrefix = flagValue(argv, ["--web.route-prefix"]);
  if (routePrefix) add(routePrefix.value, "args", `argument ${routePrefix.name}`);
  const external = flagValue(argv, ["--web.external-url"]);
  const externalPath = external ? pathOfUrlish(external.value) : undefined;
  if (external && externalPath !== undefined) add(externalPath, "args", `argument ${external.name}`);
  const generic = flagValue(argv, ["--url-base", "--urlbase", "--base-url", "--base-path", "--rootpath"]);
  const genericPath = generic ? pathOfUrlish(generic.value) : undefined;
  if (generic && genericPath !== undefined) add(genericPath, "args", `argument ${generic.name}`);

  // A configuration file the pod's scripts write.
  for (const c of [...(input.initContainers ?? []), ...(main ? [main] : [])]) {
    const script = [...(c.command ?? []), ...(c.args ?? [])].join("\n");
    for (const [re, what] of CONFIG_FILE_PATTERNS) {
      const m = re.exec(script);
      if (m) add(m[1] ?? "", "config-file", `${what} written by container ${c.name}`);
    }
  }

  // ConfigMaps the pod mounts: keys that hold a base (overrides) first, then the files' settings.
  const mounted = configMapNamesOf([...(input.initContainers ?? []), ...(main ? [main] : [])], input.volumes ?? []).filter((n) => configMaps.has(n));
  for (const name of mounted) {
    for (const [k, v] of Object.entries(configMaps.get(name) ?? {})) {
      if (!BASE_KEY.test(k)) continue;
      const p = pathOfUrlish(v);
      if (p !== undefined) add(p, "config-map", `ConfigMap ${name} key ${k}`);
    }
  }
  for (const name of mounted) {
    for (const [k, v] of Object.entries(configMaps.get(name) ?? {})) {
      for (const [re, what] of CONFIG_FILE_PATTERNS) {
        const m = re.exec(v);
        if (m) add(m[1] ?? "", "config-map", `${what} in ConfigMap ${name} key ${k}`);
      }
    }
  }

  // The published URL's path (Jellyfin's PublishedServerUrl): often, not always, the base.
  for (const e of env) {
    if (!PUBLISHED_VARIABLE.test(e.name)) continue;
    const p = pathOfUrlish(e.value);
    if (p !== undefined) add(p, "published-url", `env ${e.name}${via(e)}`);
  }
  for (const name of mounted) {
    for (const [k, v] of Object.entries(configMaps.get(name) ?? {})) {
      if (!PUBLISHED_VARIABLE.test(k)) continue;
      const p = pathOfUrlish(v);
      if (p !== undefined) add(p, "published-url", `ConfigMap ${name} key ${k}`);
    }
  }

  // A health probe under a prefix (`/lidarr/ping`), or under a routed path.
  const routes = (input.routes ?? []).filter((r) => !r.redirectOrExact);
  for (const probe of [main?.readinessProbe, main?.livenessProbe, main?.startupProbe]) {
    const path = probe?.httpGet?.path;
    if (!path) continue;
    const clean = path.replace(/[?#].*$/, "").replace(/\/+$/, "");
    // The longest health path it ends with: `/-/ready` is Prometheus' own at the root, not `/ready` under `/-`.
    const suffix = HEALTH_SUFFIXES.filter((s) => clean.endsWith(s)).sort((a, b) => b.length - a.length)[0];
    if (suffix && clean.length > suffix.length) add(clean.slice(0, -suffix.length), "probe", `probe path ${path}`);
    const route = routes.find((r) => r.path !== "/" && (clean === r.path || clean.startsWith(`${r.path}/`)));
    if (route) add(route.path, "probe", `probe path ${path} under ${route.kind} ${route.name}`);
  }

  // Routes: the prefix the app sees after each route's rewrite, then the routed paths themselves.
  for (const r of routes) {
    if (r.appPath === undefined) continue;
    const reason = r.rewrites && r.rewrite ? `${r.kind} ${r.name} path ${r.path}, rewritten by ${r.rewrite}` : `${r.kind} ${r.name} path ${r.path}`;
    add(r.appPath, "route", reason);
  }
  for (const r of routes) {
    if (r.path === "/" || r.appPath === r.path) continue;
    add(r.path, "route", `${r.kind} ${r.name} path ${r.path} before its rewrite`);
  }

  add("", "default", "the root");
  return out;
}

/** The best guess before anything is verified: the first candidate. */
export function guessUrlBase(input: UrlBaseInput): UrlBaseCandidate {
  return urlBaseCandidates(input)[0] ?? { urlBase: "", source: "default", reason: "the root" };
}

/**
 * Candidates merged from two lists (discovery's, and ConfigMaps read elsewhere), in source order; the
 * first list wins a tie, and each URL base stays once.
 */
export function mergeCandidates(a: readonly UrlBaseCandidate[], b: readonly UrlBaseCandidate[]): UrlBaseCandidate[] {
  const rank = (c: UrlBaseCandidate) => URL_BASE_SOURCES.indexOf(c.source);
  const all = [...a.map((c, i) => ({ c, i })), ...b.map((c, i) => ({ c, i: a.length + i }))].sort((x, y) => rank(x.c) - rank(y.c) || x.i - y.i);
  const out: UrlBaseCandidate[] = [];
  for (const { c } of all) if (!out.some((o) => o.urlBase === c.urlBase)) out.push(c);
  return out;
}
