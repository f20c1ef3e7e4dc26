/**
 * The app catalogue: every fact the panel knows about each kind of app, in one entry per kind.
 * Recognition (`lib/k8s/recognize.ts`), the health probes the panel proposes
 * (`lib/gitops/health-endpoints.ts`), the app modules (`server/apps`, through `defineApp`) and the
 * configuration schema read it; nothing else lists app kinds. Framework-free data: it runs in the
 * browser, the server and the tools alike.
 *
 * Adding a kind is one entry below. Every field is required (a fact the app lacks is `null` or
 * `{ type: "none" }`), so an entry that forgets one does not compile. A kind the panel only
 * recognises (Kubernetes health, no app module) needs nothing else; talking to its API adds a
 * folder under `server/apps/` and a line in its registry.
 */

/** What a probe asks of an app: an HTTP GET (under the app's URL base when `underUrlBase`), or a command in the container. */
export type ProbeAction = { type: "http"; path: string; underUrlBase: boolean } | { type: "exec"; command: readonly string[] };

/** The endpoints Kubernetes probes of the app should use (unauthenticated ones). */
export interface HealthEndpoints {
  readiness: ProbeAction;
  liveness: ProbeAction;
  /** Seconds before the first liveness check (apps that migrate a database on start need longer). */
  livenessDelaySeconds: number;
  /** Where the endpoints come from, said in the pull request that adds the probes. */
  source: string;
}

/**
 * How the app's credential is found. Keys are read from the apps' Secret (`apps.secretRefs`), a
 * second instance's own key first (`SONARR_4K_API_KEY` for workload `sonarr-4k`).
 */
export type CredentialFacts =
  /** The app needs none (or the panel uses none of its authenticated endpoints). */
  | { type: "none" }
  | {
      type: "api-key";
      /** Key in the apps' Secret, e.g. `SONARR_API_KEY`. */
      secretKey: string;
      /** Environment variable the app itself reads its key from (`SONARR__AUTH__APIKEY`); null when it has none. */
      workloadEnv: string | null;
      /** False when the app answers its health endpoints without the key (then a missing key costs only the integrations). */
      neededForHealth: boolean;
    }
  | {
      type: "login";
      /** Keys in the apps' Secret holding the user name and the password. */
      usernameKey: string;
      passwordKey: string;
      /** The app's own default user name, used when neither the config nor the Secret names one. */
      defaultUsername: string;
    };

/**
 * What an unauthenticated endpoint of the app answers when the app itself answers it.
 * `json`: every listed field (a dotted path, `data.version`) is present, equal to the value when one
 * is given (`null`: any value); `version` names the field holding the app's version.
 * `text`: the body matches `pattern` (a regular expression, case-insensitive); with `version`, its
 * first group is the version.
 * `any`: any 2xx answer (a controller's `/healthz`).
 */
export type EndpointAnswer =
  | { type: "json"; fields: Readonly<Record<string, string | boolean | null>>; version: string | null }
  | { type: "text"; pattern: string; version: boolean }
  | { type: "any" };

/** One unauthenticated HTTP endpoint of the app. */
export interface AppEndpoint {
  /** Path (with its query when it has one), relative to the URL base when `underUrlBase`. */
  path: string;
  underUrlBase: boolean;
  /**
   * Port of the endpoint when it is not the app's own port (a controller's health port); null: the
   * app's port. A container probe of the same path names the port the workload really uses.
   */
  port: number | null;
  answer: EndpointAnswer;
  /** The answer as the app's documentation (or its source) shows it; the tests serve it. */
  example: string;
}

/**
 * How a workload is recognised as the app. `images`: repository paths without registry and tag; an
 * entry `name` matches any publisher's image whose last path segment is `name` (linuxserver/sonarr,
 * hotio/sonarr, ghcr.io/home-operations/sonarr, binhex/arch-sonarr), an entry with a slash matches
 * that repository exactly (official images). `labels`: pod-template labels that must all be present
 * with these values; an entry with labels is checked before image-only entries, so apps that share
 * one image (Argo CD's server, repo server and controller) can each have their own entry.
 */
export interface RecognitionRule {
  images: readonly string[];
  labels: Readonly<Record<string, string>> | null;
}

/** One kind of app. */
export interface AppEntry {
  /** Display name ("Sonarr"); a workload named like its kind is shown under it. */
  label: string;
  recognize: RecognitionRule;
  /**
   * True for an app that runs beside another one in its pod (a VPN client): a pod holding it and
   * another known app is that other app, and it is that app's sidecar.
   */
  sidecar: boolean;
  /** Port the app listens on when the Service or the container does not say; null when it serves nothing the panel uses. */
  port: number | null;
  /**
   * Port the panel calls whatever the Service lists (Gluetun's control server, a container port the
   * users' Services usually leave out; the address map can still route `service.namespace:8000`).
   */
  fixedPort: number | null;
  /** URL base the app serves under when discovery finds none (`""`: the root). */
  urlBase: string;
  /** The endpoints its Kubernetes probes should use; null when the panel knows none. */
  health: HealthEndpoints | null;
  credential: CredentialFacts;
  /**
   * The endpoint that answers as the app itself, without credentials, with its version when it gives
   * one. The URL base is verified against it (the candidate under which the app answers it is the
   * one used), and an app without its own module gets its health from it. Null when nothing the app
   * serves says who it is.
   */
  identity: AppEndpoint | null;
  /** The app's unauthenticated readiness endpoint (2xx when ready); null when the identity answer says it. */
  ready: AppEndpoint | null;
  /**
   * For an app that manages a media library (Sonarr's series, Radarr's movies): the download
   * category it uses in the download clients and the root folder the panel creates when it has none
   * (defaults of `integrations.categories` and `integrations.rootFolders`). Null for the others.
   */
  library: { category: string; rootFolder: string } | null;
  /** The Prometheus metrics the community collects for the app (see {@link MetricsFacts}); null when none. */
  metrics: MetricsFacts | null;
  /**
   * Typical requests and limits of the app's container on a home server (what "set resources"
   * proposes when the pod's measured usage says nothing higher); null when the panel knows none.
   */
  resources: ResourceFacts | null;
}

/**
 * Requests and limits of one container, as Kubernetes quantities. A memory limit and no CPU limit: a
 * container over its memory limit is restarted instead of starving the node, while a CPU limit would
 * only throttle the app (slow pages, missed health checks) when the node has CPU to spare.
 */
export interface ResourceFacts {
  requests: { cpu: string; memory: string };
  limits: { memory: string };
}

/** Requests and limits. */
const res = (cpu: string, memory: string, memoryLimit: string): ResourceFacts => ({ requests: { cpu, memory }, limits: { memory: memoryLimit } });

/** A figure the service page charts from the app's metrics: a PromQL expression over the exporter's series. */
export interface MetricFigure {
  /** Series name; the chart sums it over the service's exporter (`sum(<metric>{job="<exporter job>"})`). */
  metric: string;
  /** What it counts ("series", "torrents"). */
  label: string;
}

/**
 * Where the app's metrics come from: exportarr (one instance per app, `exportarr <command>`, the
 * app's URL and API key), the qBittorrent exporter (esanchezm/prometheus-qbittorrent-exporter, the
 * WebUI login), or the app's own endpoint (Jellyfin's `/metrics` once enabled in its settings).
 */
export type MetricsFacts =
  | { type: "exportarr"; command: string; figure: MetricFigure }
  | { type: "qbittorrent-exporter"; figure: MetricFigure }
  | { type: "own-endpoint"; path: string; enable: string; figure: MetricFigure };

const http = (path: string, underUrlBase = true): ProbeAction => ({ type: "http", path, underUrlBase });

const arrPing: HealthEndpoints = { readiness: http("/ping"), liveness: http("/ping"), livenessDelaySeconds: 30, source: "the *arr unauthenticated /ping endpoint" };
const seerrStatus: HealthEndpoints = {
  readiness: http("/api/v1/status", false),
  liveness: http("/api/v1/status", false),
  livenessDelaySeconds: 30,
  source: "the public /api/v1/status endpoint",
};

const arrKey = (id: string): Extract<CredentialFacts, { type: "api-key" }> => ({ type: "api-key", secretKey: `${id}_API_KEY`, workloadEnv: `${id}__AUTH__APIKEY`, neededForHealth: true });
const images = (...list: string[]): RecognitionRule => ({ images: list, labels: null });
const labelled = (name: string, ...list: string[]): RecognitionRule => ({ images: list, labels: { "app.kubernetes.io/name": name } });

/** A JSON endpoint under the URL base on the app's port. */
const json = (path: string, fields: Readonly<Record<string, string | boolean | null>>, version: string | null, example: string): AppEndpoint => ({
  path,
  underUrlBase: true,
  port: null,
  answer: { type: "json", fields, version },
  example,
});
/** A text endpoint under the URL base on the app's port. */
const text = (path: string, pattern: string, example: string, version = false): AppEndpoint => ({ path, underUrlBase: true, port: null, answer: { type: "text", pattern, version }, example });
/** An endpoint on a port of its own (a controller's health server), answering 2xx when healthy. */
const healthz = (path: string, port: number, example = "ok"): AppEndpoint => ({ path, underUrlBase: false, port, answer: { type: "any" }, example });

/** The *arr apps' unauthenticated `/ping` (PingController). */
const arrIdentity = json("/ping", { status: "OK" }, null, '{"status":"OK"}');
/** Prometheus' own readiness text, shared by Alertmanager and the Pushgateway's `/-/ready`. */
const promReady = (pattern: string, example: string): AppEndpoint => text("/-/ready", pattern, example);
/** An entry without credential nor library (what the types of the app modules read stays literal). */
type PlainEntry = Omit<AppEntry, "credential" | "library"> & { credential: { readonly type: "none" }; library: null };

/** Argo CD's components answer `ok` on `/healthz` of their own port. */
const argocdComponent = (name: string, label: string, port: number | null, ready: AppEndpoint | null): PlainEntry => ({
  label,
  recognize: labelled(name, "argocd", "argoproj/argocd"),
  sidecar: false,
  port,
  fixedPort: null,
  urlBase: "",
  health: null,
  credential: { type: "none" },
  identity: null,
  ready,
  library: null,
  metrics: null,
  resources: null,
});
/** An app the panel only checks through its public endpoints (no key, no library). */
function infra(label: string, recognize: RecognitionRule, port: number | null, identity: AppEndpoint | null, ready: AppEndpoint | null, health: HealthEndpoints | null = null): PlainEntry {
  return { label, recognize, sidecar: false, port, fixedPort: null, urlBase: "", health, credential: { type: "none" }, identity, ready, library: null, metrics: null, resources: null };
}

/** The catalogue, in recognition order (the first entry whose rule matches wins). */
export const APP_CATALOGUE = {
  sonarr: { label: "Sonarr", recognize: images("sonarr"), sidecar: false, port: 8989, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("SONARR"), identity: arrIdentity, ready: null, library: { category: "tv", rootFolder: "/data/media/tv" }, metrics: { type: "exportarr", command: "sonarr", figure: { metric: "sonarr_system_health_issues", label: "health issues" } }, resources: res("100m", "256Mi", "1Gi") },
  radarr: { label: "Radarr", recognize: images("radarr"), sidecar: false, port: 7878, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("RADARR"), identity: arrIdentity, ready: null, library: { category: "movies", rootFolder: "/data/media/movies" }, metrics: { type: "exportarr", command: "radarr", figure: { metric: "radarr_system_health_issues", label: "health issues" } }, resources: res("100m", "256Mi", "1Gi") },
  lidarr: { label: "Lidarr", recognize: images("lidarr"), sidecar: false, port: 8686, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("LIDARR"), identity: arrIdentity, ready: null, library: { category: "music", rootFolder: "/data/media/music" }, metrics: { type: "exportarr", command: "lidarr", figure: { metric: "lidarr_system_health_issues", label: "health issues" } }, resources: res("100m", "256Mi", "1Gi") },
  readarr: { label: "Readarr", recognize: images("readarr"), sidecar: false, port: 8787, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("READARR"), identity: arrIdentity, ready: null, library: { category: "books", rootFolder: "/data/media/books" }, metrics: null, resources: res("100m", "256Mi", "1Gi") },
  prowlarr: { label: "Prowlarr", recognize: images("prowlarr"), sidecar: false, port: 9696, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("PROWLARR"), identity: arrIdentity, ready: null, library: null, metrics: { type: "exportarr", command: "prowlarr", figure: { metric: "prowlarr_system_health_issues", label: "health issues" } }, resources: res("50m", "128Mi", "512Mi") },
  bazarr: {
    label: "Bazarr",
    recognize: images("bazarr"),
    sidecar: false,
    port: 6767,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/api/system/ping"), liveness: http("/api/system/ping"), livenessDelaySeconds: 30, source: "Bazarr's unauthenticated /api/system/ping endpoint" },
    credential: { type: "api-key", secretKey: "BAZARR_API_KEY", workloadEnv: null, neededForHealth: true },
    identity: json("/api/system/ping", { status: "OK" }, null, '{"status":"OK"}'),
    ready: null,
    library: null,
    metrics: { type: "exportarr", command: "bazarr", figure: { metric: "bazarr_system_health_issues", label: "health issues" } },
    resources: res("50m", "256Mi", "512Mi"),
  },
  sabnzbd: {
    label: "SABnzbd",
    recognize: images("sabnzbd"),
    sidecar: false,
    port: 8080,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/api?mode=version"), liveness: http("/api?mode=version"), livenessDelaySeconds: 30, source: "SABnzbd's API mode=version, which needs no API key" },
    credential: { type: "api-key", secretKey: "SABNZBD_API_KEY", workloadEnv: null, neededForHealth: true },
    identity: json("/api?mode=version&output=json", { version: null }, "version", '{"version":"4.4.1"}'),
    ready: null,
    library: null,
    metrics: { type: "exportarr", command: "sabnzbd", figure: { metric: "sabnzbd_queue_length", label: "queued downloads" } },
    resources: res("200m", "256Mi", "1Gi"),
  },
  qbittorrent: {
    label: "qBittorrent",
    recognize: images("qbittorrent", "qbittorrent-nox"),
    sidecar: false,
    port: 8080,
    fixedPort: null,
    urlBase: "",
    // /api/v2/app/version needs a signed-in session and answers 403 to a probe; the WebUI page does not.
    health: {
      readiness: http("/", false),
      liveness: http("/", false),
      livenessDelaySeconds: 60,
      source: "the qBittorrent WebUI page / (the API, /api/v2/app/version, answers 403 without a session)",
    },
    credential: { type: "login", usernameKey: "QBITTORRENT_USERNAME", passwordKey: "QBITTORRENT_PASSWORD", defaultUsername: "admin" },
    // qBittorrent has no URL base of its own (a reverse proxy strips it): its login page says who it is.
    identity: text("/", "<title>\\s*qBittorrent", "<!DOCTYPE html><html><head><title>qBittorrent Web UI</title>"),
    ready: null,
    library: null,
    metrics: { type: "qbittorrent-exporter", figure: { metric: "qbittorrent_torrents_count", label: "torrents" } },
    resources: res("200m", "256Mi", "2Gi"),
  },
  jellyfin: {
    label: "Jellyfin",
    recognize: images("jellyfin"),
    sidecar: false,
    port: 8096,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/health"), liveness: http("/health"), livenessDelaySeconds: 60, source: "Jellyfin's health check endpoint /health (answers \"Healthy\")" },
    credential: { type: "api-key", secretKey: "JELLYFIN_API_KEY", workloadEnv: null, neededForHealth: false },
    identity: json(
      "/System/Info/Public",
      { ProductName: "Jellyfin Server", Id: null },
      "Version",
      '{"LocalAddress":"http://10.42.0.40:8096","ServerName":"media","Version":"10.11.0","ProductName":"Jellyfin Server","OperatingSystem":"","Id":"d4c1b7","StartupWizardCompleted":true}',
    ),
    ready: null,
    library: null,
    metrics: { type: "own-endpoint", path: "/metrics", enable: "Dashboard > Networking > Enable Prometheus metrics (EnableMetrics in system.xml)", figure: { metric: "process_resident_memory_bytes", label: "server memory (bytes)" } },
    resources: res("500m", "1Gi", "4Gi"),
  },
  jellyseerr: {
    label: "Jellyseerr",
    recognize: images("jellyseerr", "fallenbagel/jellyseerr"),
    sidecar: false,
    port: 5055,
    fixedPort: null,
    urlBase: "",
    health: seerrStatus,
    credential: { type: "api-key", secretKey: "JELLYSEERR_API_KEY", workloadEnv: null, neededForHealth: false },
    identity: json("/api/v1/status", { version: null, commitTag: null }, "version", '{"version":"2.7.3","commitTag":"v2.7.3","updateAvailable":false,"commitsBehind":0,"restartRequired":false}'),
    ready: null,
    library: null,
    metrics: null,
    resources: res("50m", "256Mi", "1Gi"),
  },
  seerr: {
    label: "Seerr",
    recognize: images("seerr", "seerr-team/seerr"),
    sidecar: false,
    port: 5055,
    fixedPort: null,
    urlBase: "",
    health: seerrStatus,
    credential: { type: "api-key", secretKey: "SEERR_API_KEY", workloadEnv: null, neededForHealth: false },
    identity: json("/api/v1/status", { version: null, commitTag: null }, "version", '{"version":"3.0.0","commitTag":"v3.0.0","updateAvailable":false,"commitsBehind":0,"restartRequired":false}'),
    ready: null,
    library: null,
    metrics: null,
    resources: res("50m", "256Mi", "1Gi"),
  },
  flaresolverr: {
    label: "FlareSolverr",
    recognize: images("flaresolverr"),
    sidecar: false,
    port: 8191,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/health", false), liveness: http("/health", false), livenessDelaySeconds: 30, source: "FlareSolverr's /health endpoint" },
    credential: { type: "none" },
    identity: json("/", { msg: null, version: null }, "version", '{"msg":"FlareSolverr is ready!","version":"3.3.21","userAgent":"Mozilla/5.0"}'),
    ready: null,
    library: null,
    metrics: null,
    resources: res("100m", "256Mi", "1Gi"),
  },
  unpackerr: {
    label: "Unpackerr",
    recognize: images("unpackerr", "golift/unpackerr"),
    sidecar: false,
    port: null,
    fixedPort: null,
    urlBase: "",
    health: null,
    credential: { type: "none" },
    identity: null,
    ready: null,
    library: null,
    metrics: null,
    resources: res("50m", "64Mi", "512Mi"),
  },
  gluetun: {
    label: "Gluetun",
    recognize: images("gluetun", "qmcgaw/gluetun"),
    sidecar: true,
    port: 8000,
    fixedPort: 8000,
    urlBase: "",
    health: {
      readiness: { type: "exec", command: ["/gluetun-entrypoint", "healthcheck"] },
      liveness: { type: "exec", command: ["/gluetun-entrypoint", "healthcheck"] },
      livenessDelaySeconds: 60,
      source: "Gluetun's own health check command (its health server listens on 127.0.0.1:9999 only)",
    },
    credential: { type: "api-key", secretKey: "GLUETUN_API_KEY", workloadEnv: null, neededForHealth: false },
    // Its control server needs the key on every route and serves no URL base.
    identity: null,
    ready: null,
    library: null,
    metrics: null,
    resources: res("50m", "64Mi", "256Mi"),
  },
  prometheus: infra(
    "Prometheus",
    images("prometheus", "prom/prometheus"),
    9090,
    json("/api/v1/status/buildinfo", { status: "success", "data.version": null }, "data.version", '{"status":"success","data":{"version":"2.42.0","revision":"225c61122d88b01d1f0eaaee0e05b6f3e0567ac0","branch":"HEAD","buildUser":"","buildDate":"","goVersion":"go1.19.8"}}'),
    promReady("Prometheus.* is Ready", "Prometheus Server is Ready.\n"),
    { readiness: http("/-/ready"), liveness: http("/-/healthy"), livenessDelaySeconds: 30, source: "Prometheus' /-/ready and /-/healthy endpoints" },
  ),
  alertmanager: infra(
    "Alertmanager",
    images("alertmanager", "prom/alertmanager"),
    9093,
    json("/api/v2/status", { "cluster.status": null, "versionInfo.version": null }, "versionInfo.version", '{"cluster":{"name":"01H","peers":[],"status":"disabled"},"config":{"original":""},"uptime":"2026-01-01T00:00:00.000Z","versionInfo":{"branch":"debian/sid","buildDate":"","buildUser":"","goVersion":"go1.19.8","revision":"","version":"0.25.0"}}'),
    promReady("", "OK"),
    { readiness: http("/-/ready"), liveness: http("/-/healthy"), livenessDelaySeconds: 30, source: "Alertmanager's /-/ready and /-/healthy endpoints" },
  ),
  pushgateway: infra(
    "Pushgateway",
    images("pushgateway", "prom/pushgateway"),
    9091,
    json("/api/v1/status", { status: "success", "data.build_information.version": null }, "data.build_information.version", '{"status":"success","data":{"build_information":{"branch":"HEAD","buildDate":"","buildUser":"","goVersion":"go1.23.4","revision":"","version":"1.11.0"},"flags":{},"start_time":"2026-01-01T00:00:00Z"}}'),
    promReady("", "OK"),
    { readiness: http("/-/ready"), liveness: http("/-/healthy"), livenessDelaySeconds: 10, source: "the Pushgateway's /-/ready and /-/healthy endpoints" },
  ),
  grafana: infra(
    "Grafana",
    images("grafana", "grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise"),
    3000,
    // Answers 503 with `database: failing` when its database is not reachable.
    json("/api/health", { database: "ok", version: null }, "version", '{"commit":"03f502a94d","database":"ok","version":"11.2.0"}'),
    null,
    { readiness: http("/api/health"), liveness: http("/api/health"), livenessDelaySeconds: 30, source: "Grafana's /api/health endpoint" },
  ),
  loki: infra(
    "Loki",
    images("loki", "grafana/loki"),
    3100,
    json("/loki/api/v1/status/buildinfo", { version: null, revision: null }, "version", '{"version":"3.2.0","revision":"659f5421","branch":"","buildUser":"","buildDate":"","goVersion":"go1.22.6"}'),
    // Answers 503 with the reason ("Ingester not ready: ...") until every module is ready.
    text("/ready", "^ready", "ready\n"),
    { readiness: http("/ready"), liveness: http("/ready"), livenessDelaySeconds: 45, source: "Loki's /ready endpoint" },
  ),
  alloy: infra("Grafana Alloy", images("alloy", "grafana/alloy"), 12345, text("/-/ready", "Alloy is ready", "Alloy is ready.\n"), null, {
    readiness: http("/-/ready"),
    liveness: http("/-/healthy"),
    livenessDelaySeconds: 30,
    source: "Alloy's /-/ready and /-/healthy endpoints",
  }),
  promtail: infra("Promtail", images("promtail", "grafana/promtail"), 9080, null, text("/ready", "^ready", "Ready\n"), {
    readiness: http("/ready"),
    liveness: http("/ready"),
    livenessDelaySeconds: 30,
    source: "Promtail's /ready endpoint",
  }),
  "uptime-kuma": infra(
    "Uptime Kuma",
    images("uptime-kuma", "louislam/uptime-kuma"),
    3001,
    json("/api/entry-page", { type: "entryPage" }, null, '{"type":"entryPage","entryPage":"dashboard"}'),
    null,
    { readiness: http("/api/entry-page", false), liveness: http("/api/entry-page", false), livenessDelaySeconds: 30, source: "Uptime Kuma's public /api/entry-page endpoint" },
  ),
  "home-assistant": infra(
    "Home Assistant",
    images("home-assistant", "homeassistant", "homeassistant/home-assistant"),
    8123,
    // Its API needs a token; the web app manifest is public and names it.
    json("/manifest.json", { name: "Home Assistant" }, null, '{"background_color":"#FFFFFF","description":"Home automation platform that puts local control and privacy first.","display":"standalone","name":"Home Assistant","short_name":"Home Assistant","start_url":"/?homescreen=1"}'),
    null,
    { readiness: http("/manifest.json", false), liveness: http("/manifest.json", false), livenessDelaySeconds: 60, source: "Home Assistant's public /manifest.json" },
  ),
  ntfy: infra(
    "ntfy",
    images("ntfy", "binwiederhier/ntfy"),
    80,
    // Its version endpoint is for admins only; /v1/health is public.
    json("/v1/health", { healthy: true }, null, '{"healthy":true}'),
    null,
    { readiness: http("/v1/health", false), liveness: http("/v1/health", false), livenessDelaySeconds: 30, source: "ntfy's public /v1/health endpoint" },
  ),
  "ingress-nginx": infra("ingress-nginx", images("ingress-nginx/controller", "ingress-nginx-controller"), 80, null, healthz("/healthz", 10254)),
  traefik: infra("Traefik", images("traefik", "rancher/mirrored-library-traefik"), 8000, null, { ...healthz("/ping", 9000, "OK"), answer: { type: "text", pattern: "^OK", version: false } }),
  "cert-manager": infra("cert-manager", images("cert-manager-controller", "jetstack/cert-manager-controller"), 9402, null, healthz("/livez", 9403)),
  "cert-manager-webhook": infra("cert-manager webhook", images("cert-manager-webhook", "jetstack/cert-manager-webhook"), 10250, null, healthz("/healthz", 6080)),
  "cert-manager-cainjector": infra("cert-manager cainjector", images("cert-manager-cainjector", "jetstack/cert-manager-cainjector"), null, null, null),
  "argocd-repo-server": argocdComponent("argocd-repo-server", "Argo CD repo server", 8081, healthz("/healthz?full=true", 8084)),
  "argocd-application-controller": argocdComponent("argocd-application-controller", "Argo CD application controller", 8082, healthz("/healthz", 8082)),
  "argocd-applicationset-controller": argocdComponent("argocd-applicationset-controller", "Argo CD ApplicationSet controller", 7000, healthz("/healthz", 8081)),
  "argocd-notifications-controller": argocdComponent("argocd-notifications-controller", "Argo CD notifications controller", 9001, null),
  "argocd-dex-server": { ...argocdComponent("argocd-dex-server", "Argo CD Dex", 5556, healthz("/healthz", 5558)), recognize: labelled("argocd-dex-server", "dex", "dexidp/dex") },
  "argocd-redis": { ...argocdComponent("argocd-redis", "Argo CD Redis", 6379, null), recognize: labelled("argocd-redis", "redis") },
  homepage: {
    label: "Homepage",
    recognize: images("homepage", "gethomepage/homepage", "benphelps/homepage"),
    sidecar: false,
    port: 3000,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/api/healthcheck", false), liveness: http("/api/healthcheck", false), livenessDelaySeconds: 30, source: "Homepage's /api/healthcheck endpoint" },
    credential: { type: "none" },
    identity: text("/api/healthcheck", "^up", "up"),
    ready: null,
    library: null,
    metrics: null,
    resources: res("50m", "128Mi", "512Mi"),
  },
  argocd: {
    // The API server (and the UI); the other components have labelled entries above.
    label: "Argo CD",
    recognize: images("argocd", "argoproj/argocd"),
    sidecar: false,
    port: 8080,
    fixedPort: null,
    urlBase: "",
    health: null,
    credential: { type: "none" },
    // --rootpath (`server.rootpath` in argocd-cmd-params-cm) is its URL base; /healthz is served at the root.
    identity: json("/api/version", { Version: null }, "Version", '{"Version":"v3.1.8+becb020","BuildDate":"2025-09-30T15:33:46Z","GitCommit":"becb020064fe9be5381bf6e5818ff8587ca8f377","GoVersion":"go1.24.6","Compiler":"gc","Platform":"linux/amd64"}'),
    ready: { path: "/healthz", underUrlBase: false, port: null, answer: { type: "text", pattern: "^ok", version: false }, example: "ok" },
    library: null,
    metrics: null,
    resources: null,
  },
} as const satisfies Record<string, AppEntry>;

/** A kind of app the catalogue knows. */
export type KnownAppKind = keyof typeof APP_CATALOGUE;

/** Every kind of app: the catalogue's, then `other` (any workload the panel does not know: Kubernetes health only). */
export const APP_KINDS = [...(Object.keys(APP_CATALOGUE) as KnownAppKind[]), "other"] as [...KnownAppKind[], "other"];
export type AppKind = KnownAppKind | "other";

/** The known kinds, in catalogue order. */
export const KNOWN_APP_KINDS = Object.keys(APP_CATALOGUE) as KnownAppKind[];

/** The kinds that manage a media library (they have download categories and root folders). */
export type LibraryAppKind = { [K in KnownAppKind]: (typeof APP_CATALOGUE)[K]["library"] extends null ? never : K }[KnownAppKind];

/** The kinds that manage a media library, in catalogue order. */
export const LIBRARY_APP_KINDS = KNOWN_APP_KINDS.filter((k): k is LibraryAppKind => APP_CATALOGUE[k].library !== null);

/** The library facts of a kind that has them. */
export function libraryOf(kind: LibraryAppKind): { category: string; rootFolder: string } {
  return APP_CATALOGUE[kind].library;
}

/** True for a string that names a kind of app (`other` included). */
export function isAppKind(value: string | undefined): value is AppKind {
  return value !== undefined && (APP_KINDS as readonly string[]).includes(value);
}

/** True for a kind the catalogue has an entry for. */
export function isKnownAppKind(value: string | undefined): value is KnownAppKind {
  return value !== undefined && Object.hasOwn(APP_CATALOGUE, value);
}

/** The catalogue entry of a kind. */
export function appEntry(kind: KnownAppKind): AppEntry {
  return APP_CATALOGUE[kind];
}

/** Display name of a kind ("Sonarr"; "Other" for `other`). */
export function appLabel(kind: AppKind): string {
  return kind === "other" ? "Other" : APP_CATALOGUE[kind].label;
}
