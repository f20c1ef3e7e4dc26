/**
 * Jellyfin simulator: `../shared/specs/jellyfin-10.11.openapi.json` (Jellyfin 10.11, the
 * current stable line). Only the operations below are loaded from the 2 MB document.
 *
 * Auth as Jellyfin's `CustomAuthentication`: `Authorization: MediaBrowser Token="<key>"`,
 * `X-Emby-Authorization` (same syntax), `X-Emby-Token`, `X-MediaBrowser-Token`, or the
 * `api_key` / `ApiKey` query parameter. Missing or wrong: 401 with an empty body.
 * `/health` is Jellyfin's ASP.NET health-check endpoint (not part of the API description):
 * `Healthy`, or `Unhealthy` (503) while an error-level health message is pushed.
 */
import { createHash } from "node:crypto";
import { defineSim } from "./engine/sim-app";
import type { JsonObject } from "./engine/spec";
import type { SimRequest } from "./engine/types";
import { problemDetails } from "./arr/failures";

interface JellyfinState {
  serverId: string;
  serverName: string;
  libraries: { name: string; type: string; locations: string[] }[];
  startupWizardCompleted: boolean;
}

function tokenFrom(req: SimRequest): string | undefined {
  const q = req.query.get("api_key") ?? req.query.get("ApiKey") ?? req.query.get("api_Key");
  if (q !== null) return q;
  for (const h of ["authorization", "x-emby-authorization"]) {
    const v = req.headers[h];
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === "string") {
      const m = /Token="([^"]*)"/i.exec(value);
      if (m?.[1] !== undefined) return m[1];
    }
  }
  for (const h of ["x-emby-token", "x-mediabrowser-token"]) {
    const v = req.headers[h];
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

function publicInfo(state: JellyfinState, version: string): JsonObject {
  return {
    LocalAddress: `http://10.42.0.40:8096`,
    ServerName: state.serverName,
    Version: version,
    ProductName: "Jellyfin Server",
    OperatingSystem: "",
    Id: state.serverId,
    StartupWizardCompleted: state.startupWizardCompleted,
  };
}

export const jellyfinSim = defineSim<JellyfinState>({
  kind: "jellyfin",
  title: "Jellyfin",
  spec: { file: "jellyfin-10.11.openapi.json" },
  defaultVersion: "10.11.3",
  createState: (settings) => ({
    serverId: createHash("md5").update(`lab-jellyfin-${settings.id}`).digest("hex"),
    serverName: typeof settings.extra.serverName === "string" ? settings.extra.serverName : "jellyfin",
    libraries: [
      { name: "Movies", type: "movies", locations: ["/data/media/movies"] },
      { name: "Shows", type: "tvshows", locations: ["/data/media/tv"] },
      { name: "Music", type: "music", locations: ["/data/media/music"] },
    ],
    startupWizardCompleted: true,
  }),
  caseInsensitivePaths: true,
  authorize: (req, app) => {
    const t = tokenFrom(req);
    return t !== undefined && app.apiKey !== undefined && t === app.apiKey;
  },
  operations: [
    { method: "get", path: "/System/Info/Public", handle: (ctx) => ({ status: 200, json: publicInfo(ctx.state, ctx.app.version()) }) },
    {
      method: "get",
      path: "/System/Info",
      handle: (ctx) => ({
        status: 200,
        json: {
          ...publicInfo(ctx.state, ctx.app.version()),
          OperatingSystemDisplayName: "Linux",
          PackageName: "jellyfin-server",
          HasPendingRestart: false,
          IsShuttingDown: false,
          SupportsLibraryMonitor: true,
          WebSocketPortNumber: 8096,
          CompletedInstallations: [],
          CanSelfRestart: false,
          CanLaunchWebBrowser: false,
          ProgramDataPath: "/config",
          WebPath: "/jellyfin/jellyfin-web",
          ItemsByNamePath: "/config/metadata",
          CachePath: "/cache",
          LogPath: "/config/log",
          InternalMetadataPath: "/config/metadata",
          TranscodingTempPath: "/cache/transcodes",
          CastReceiverApplications: [],
          HasUpdateAvailable: false,
          EncoderLocation: "System",
          SystemArchitecture: "X64",
        },
      }),
    },
    { method: "get", path: "/System/Ping", handle: () => ({ status: 200, json: "Jellyfin Server" }) },
    { method: "post", path: "/System/Ping", handle: () => ({ status: 200, json: "Jellyfin Server" }) },
    {
      method: "get",
      path: "/Library/VirtualFolders",
      handle: (ctx) => ({
        status: 200,
        json: ctx.state.libraries.map((l, i) => ({
          Name: l.name,
          Locations: l.locations,
          CollectionType: l.type,
          ItemId: createHash("md5").update(`${ctx.state.serverId}-${i}`).digest("hex"),
          RefreshStatus: "Idle",
        })),
      }),
    },
  ],
  rawRoutes: [
    {
      method: "GET",
      pattern: /^\/health$/,
      secured: false,
      handle: (ctx) =>
        ctx.app.pushedHealth().some((h) => h.level === "error")
          ? { status: 503, text: "Unhealthy" }
          : { status: 200, text: "Healthy" },
    },
  ],
  errors: {
    unauthorized: () => ({ status: 401 }),
    invalidRequest: (issues, req) => problemDetails(issues, req),
    notFound: () => ({ status: 404 }),
    serverError: (message) => ({
      status: 500,
      json: { type: "https://tools.ietf.org/html/rfc9110#section-15.6.1", title: "An error occurred while processing your request.", status: 500, detail: message },
      contentType: "application/problem+json; charset=utf-8",
    }),
  },
  control: (state, patch) => {
    if (typeof patch.serverName === "string") {
      state.serverName = patch.serverName;
      return undefined;
    }
    if (typeof patch.startupWizardCompleted === "boolean") {
      state.startupWizardCompleted = patch.startupWizardCompleted;
      return undefined;
    }
    return "unknown patch: use serverName or startupWizardCompleted";
  },
  describe: (state) => ({ serverId: state.serverId, serverName: state.serverName, libraries: state.libraries.map((l) => l.name) }),
});
