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
   * For an app that manages a media library (Sonarr's series, Radarr's movies): the download
   * category it uses in the download clients and the root folder the panel creates when it has none
   * (defaults of `integrations.categories` and `integrations.rootFolders`). Null for the others.
   */
  library: { category: string; rootFolder: string } | null;
  /** The Prometheus metrics the community collects for the app (see {@link MetricsFacts}); null when none. */
  metrics: MetricsFacts | null;
}

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

/** The catalogue, in recognition order (the first entry whose rule matches wins). */
export const APP_CATALOGUE = {
  sonarr: { label: "Sonarr", recognize: images("sonarr"), sidecar: false, port: 8989, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("SONARR"), library: { category: "tv", rootFolder: "/data/media/tv" }, metrics: { type: "exportarr", command: "sonarr", figure: { metric: "sonarr_system_health_issues", label: "health issues" } } },
  radarr: { label: "Radarr", recognize: images("radarr"), sidecar: false, port: 7878, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("RADARR"), library: { category: "movies", rootFolder: "/data/media/movies" }, metrics: { type: "exportarr", command: "radarr", figure: { metric: "radarr_system_health_issues", label: "health issues" } } },
  lidarr: { label: "Lidarr", recognize: images("lidarr"), sidecar: false, port: 8686, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("LIDARR"), library: { category: "music", rootFolder: "/data/media/music" }, metrics: { type: "exportarr", command: "lidarr", figure: { metric: "lidarr_system_health_issues", label: "health issues" } } },
  readarr: { label: "Readarr", recognize: images("readarr"), sidecar: false, port: 8787, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("READARR"), library: { category: "books", rootFolder: "/data/media/books" }, metrics: null },
  prowlarr: { label: "Prowlarr", recognize: images("prowlarr"), sidecar: false, port: 9696, fixedPort: null, urlBase: "", health: arrPing, credential: arrKey("PROWLARR"), library: null, metrics: { type: "exportarr", command: "prowlarr", figure: { metric: "prowlarr_system_health_issues", label: "health issues" } } },
  bazarr: {
    label: "Bazarr",
    recognize: images("bazarr"),
    sidecar: false,
    port: 6767,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/api/system/ping"), liveness: http("/api/system/ping"), livenessDelaySeconds: 30, source: "Bazarr's unauthenticated /api/system/ping endpoint" },
    credential: { type: "api-key", secretKey: "BAZARR_API_KEY", workloadEnv: null, neededForHealth: true },
    library: null,
    metrics: { type: "exportarr", command: "bazarr", figure: { metric: "bazarr_system_health_issues", label: "health issues" } },
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
    library: null,
    metrics: { type: "exportarr", command: "sabnzbd", figure: { metric: "sabnzbd_queue_length", label: "queued downloads" } },
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
    library: null,
    metrics: { type: "qbittorrent-exporter", figure: { metric: "qbittorrent_torrents_count", label: "torrents" } },
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
    library: null,
    metrics: { type: "own-endpoint", path: "/metrics", enable: "Dashboard > Networking > Enable Prometheus metrics (EnableMetrics in system.xml)", figure: { metric: "process_resident_memory_bytes", label: "server memory (bytes)" } },
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
    library: null,
    metrics: null,
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
    library: null,
    metrics: null,
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
    library: null,
    metrics: null,
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
    library: null,
    metrics: null,
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
    library: null,
    metrics: null,
  },
  prometheus: {
    label: "Prometheus",
    recognize: images("prometheus", "prom/prometheus"),
    sidecar: false,
    port: 9090,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/-/ready"), liveness: http("/-/healthy"), livenessDelaySeconds: 30, source: "Prometheus' /-/ready and /-/healthy endpoints" },
    credential: { type: "none" },
    library: null,
    metrics: null,
  },
  grafana: {
    label: "Grafana",
    recognize: images("grafana", "grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise"),
    sidecar: false,
    port: 3000,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/api/health"), liveness: http("/api/health"), livenessDelaySeconds: 30, source: "Grafana's /api/health endpoint" },
    credential: { type: "none" },
    library: null,
    metrics: null,
  },
  loki: {
    label: "Loki",
    recognize: images("loki", "grafana/loki"),
    sidecar: false,
    port: 3100,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/ready"), liveness: http("/ready"), livenessDelaySeconds: 45, source: "Loki's /ready endpoint" },
    credential: { type: "none" },
    library: null,
    metrics: null,
  },
  homepage: {
    label: "Homepage",
    recognize: images("homepage", "gethomepage/homepage", "benphelps/homepage"),
    sidecar: false,
    port: 3000,
    fixedPort: null,
    urlBase: "",
    health: { readiness: http("/api/healthcheck", false), liveness: http("/api/healthcheck", false), livenessDelaySeconds: 30, source: "Homepage's /api/healthcheck endpoint" },
    credential: { type: "none" },
    library: null,
    metrics: null,
  },
  argocd: {
    label: "Argo CD",
    recognize: images("argocd", "argoproj/argocd"),
    sidecar: false,
    port: null,
    fixedPort: null,
    urlBase: "",
    health: null,
    credential: { type: "none" },
    library: null,
    metrics: null,
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
