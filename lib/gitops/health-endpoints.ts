import type { AppKind } from "@/lib/services";

/**
 * What a probe asks of an app: an HTTP GET on a path (under the app's URL base when `underUrlBase`), or
 * a command in the container.
 */
export type ProbeAction =
  | { type: "http"; path: string; underUrlBase: boolean }
  | { type: "exec"; command: string[] };

/** How the panel probes one kind of app. */
export interface HealthEndpoint {
  /** Recognises the app's container by its image. */
  image: RegExp;
  /** Port the app listens on when the container declares none. */
  port?: number;
  readiness: ProbeAction;
  liveness: ProbeAction;
  /** Seconds before the first liveness check (apps that migrate a database on start need longer). */
  livenessDelaySeconds: number;
  /** Where the path comes from, for the pull request body. */
  source: string;
}

const http = (path: string, underUrlBase = true): ProbeAction => ({ type: "http", path, underUrlBase });

/**
 * The known health endpoints, per app kind. Every path answers 200 without credentials; the table is
 * the single place to add an app.
 */
export const HEALTH_ENDPOINTS = {
  jellyfin: {
    image: /(^|\/)jellyfin(:|@|$)|jellyfin\/jellyfin|linuxserver\/jellyfin|hotio\/jellyfin/i,
    port: 8096,
    readiness: http("/health"),
    liveness: http("/health"),
    livenessDelaySeconds: 60,
    source: "Jellyfin's health check endpoint /health (answers \"Healthy\")",
  },
  sonarr: { image: /sonarr/i, port: 8989, readiness: http("/ping"), liveness: http("/ping"), livenessDelaySeconds: 30, source: "the *arr unauthenticated /ping endpoint" },
  radarr: { image: /radarr/i, port: 7878, readiness: http("/ping"), liveness: http("/ping"), livenessDelaySeconds: 30, source: "the *arr unauthenticated /ping endpoint" },
  lidarr: { image: /lidarr/i, port: 8686, readiness: http("/ping"), liveness: http("/ping"), livenessDelaySeconds: 30, source: "the *arr unauthenticated /ping endpoint" },
  prowlarr: { image: /prowlarr/i, port: 9696, readiness: http("/ping"), liveness: http("/ping"), livenessDelaySeconds: 30, source: "the *arr unauthenticated /ping endpoint" },
  bazarr: {
    image: /bazarr/i,
    port: 6767,
    readiness: http("/api/system/ping"),
    liveness: http("/api/system/ping"),
    livenessDelaySeconds: 30,
    source: "Bazarr's unauthenticated /api/system/ping endpoint",
  },
  sabnzbd: {
    image: /sabnzbd/i,
    port: 8080,
    readiness: http("/api?mode=version"),
    liveness: http("/api?mode=version"),
    livenessDelaySeconds: 30,
    source: "SABnzbd's API mode=version, which needs no API key",
  },
  qbittorrent: {
    image: /qbittorrent/i,
    port: 8080,
    // /api/v2/app/version needs a signed-in session and answers 403 to a probe; the WebUI page does not.
    readiness: http("/", false),
    liveness: http("/", false),
    livenessDelaySeconds: 60,
    source: "the qBittorrent WebUI page / (the API, /api/v2/app/version, answers 403 without a session)",
  },
  gluetun: {
    image: /gluetun/i,
    readiness: { type: "exec", command: ["/gluetun-entrypoint", "healthcheck"] },
    liveness: { type: "exec", command: ["/gluetun-entrypoint", "healthcheck"] },
    livenessDelaySeconds: 60,
    source: "Gluetun's own health check command (its health server listens on 127.0.0.1:9999 only)",
  },
  jellyseerr: { image: /jellyseerr|overseerr/i, port: 5055, readiness: http("/api/v1/status", false), liveness: http("/api/v1/status", false), livenessDelaySeconds: 30, source: "the public /api/v1/status endpoint" },
  seerr: { image: /(^|\/)seerr/i, port: 5055, readiness: http("/api/v1/status", false), liveness: http("/api/v1/status", false), livenessDelaySeconds: 30, source: "the public /api/v1/status endpoint" },
  flaresolverr: { image: /flaresolverr/i, port: 8191, readiness: http("/health", false), liveness: http("/health", false), livenessDelaySeconds: 30, source: "FlareSolverr's /health endpoint" },
  prometheus: { image: /(^|\/)prometheus(:|@|$)|prom\/prometheus/i, port: 9090, readiness: http("/-/ready"), liveness: http("/-/healthy"), livenessDelaySeconds: 30, source: "Prometheus' /-/ready and /-/healthy endpoints" },
  grafana: { image: /grafana\/grafana|(^|\/)grafana(:|@|$)/i, port: 3000, readiness: http("/api/health"), liveness: http("/api/health"), livenessDelaySeconds: 30, source: "Grafana's /api/health endpoint" },
  homepage: { image: /gethomepage\/homepage|benphelps\/homepage/i, port: 3000, readiness: http("/api/healthcheck", false), liveness: http("/api/healthcheck", false), livenessDelaySeconds: 30, source: "Homepage's /api/healthcheck endpoint" },
} satisfies Partial<Record<AppKind, HealthEndpoint>>;

export type ProbedKind = keyof typeof HEALTH_ENDPOINTS;

/** The known app of a container image, or undefined. The first match in table order wins. */
export function probedKindOf(image: string): ProbedKind | undefined {
  const name = image.split("@")[0] ?? image;
  for (const [kind, endpoint] of Object.entries(HEALTH_ENDPOINTS) as Array<[ProbedKind, HealthEndpoint]>) {
    if (endpoint.image.test(name)) return kind;
  }
  return undefined;
}

/** `/sonarr/`, `sonarr`, `/` -> `/sonarr`, `/sonarr`, `` (no trailing slash; empty for the root). */
export function normalizeUrlBase(value: string): string {
  const trimmed = value.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** The probe path of `action` for an app served under `urlBase`. */
export function probePath(action: Extract<ProbeAction, { type: "http" }>, urlBase: string): string {
  return action.underUrlBase ? `${normalizeUrlBase(urlBase)}${action.path}` : action.path;
}
