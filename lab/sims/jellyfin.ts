/**
 * Jellyfin simulator: `../shared/specs/jellyfin-10.11.openapi.json` (Jellyfin 10.11, the
 * current stable line). Only the operations below are loaded from the 2 MB document.
 *
 * Auth as Jellyfin's `CustomAuthentication`: `Authorization: MediaBrowser Token="<key>"`,
 * `X-Emby-Authorization` (same syntax), `X-Emby-Token`, `X-MediaBrowser-Token`, or the
 * `api_key` / `ApiKey` query parameter. Missing or wrong: 401 with an empty body.
 * `/health` is Jellyfin's ASP.NET health-check endpoint (not part of the API description):
 * `Healthy`, or `Unhealthy` (503) while an error-level health message is pushed.
 *
 * State lives on the `/config` volume as the official image keeps it (`config/system.xml`,
 * `data/jellyfin.db`, `root/default/<library>`; see `./jellyfin-files.ts`), and the 10.11 backup
 * API (`/Backup`, `/Backup/Create`, `/Backup/Manifest`, `/Backup/Restore`) works on real archives
 * in `data/backups`.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Db } from "./engine/db";
import { defineSim } from "./engine/sim-app";
import type { JsonObject } from "./engine/spec";
import { isObject } from "./engine/spec";
import type { SimAppHandle, SimRequest, SimResponse, SimStorage } from "./engine/types";
import { problemDetails } from "./arr/failures";
import {
  backupDir,
  configDir,
  createJellyfinBackup,
  listJellyfinBackups,
  logActivity,
  openJellyfinDb,
  readLibraries,
  readManifest,
  recordApiKey,
  restoreJellyfinBackup,
  seedConfig,
  serverId,
  setXmlElement,
  writeLibrary,
  xmlElement,
  type BackupManifest,
  type BackupOptions,
} from "./jellyfin-files";

interface JellyfinState {
  serverId: string;
  serverName: string;
  libraries: { name: string; type: string; locations: string[] }[];
  startupWizardCompleted: boolean;
  files?: { dir: string; db: Db; systemText: string };
}

/**
 * Archives to restore at the next start, per app (`IServerApplicationHost.RestoreBackupPath`: held
 * by the process across its restart, not on disk).
 */
const pendingRestores = new WeakMap<SimAppHandle, string>();

function systemXml(s: JellyfinState, text: string): string {
  let out = setXmlElement(text, "ServerConfiguration", "ServerName", s.serverName);
  out = setXmlElement(out, "ServerConfiguration", "IsStartupWizardCompleted", String(s.startupWizardCompleted));
  return out;
}

/** config/, data/ and root/ on the `/config` volume. */
const jellyfinStorage: SimStorage<JellyfinState> = {
  layout: ["config/system.xml", "config/network.xml", "data/jellyfin.db", "root/default"],
  load: (dir, seed, app) => {
    const s = seed();
    const pending = pendingRestores.get(app);
    pendingRestores.delete(app);
    if (pending !== undefined) {
      try {
        restoreJellyfinBackup(dir, pending, app.version());
        app.env.log(`Restored Jellyfin system from ${basename(pending)}`);
      } catch (err) {
        // The start fails and the container is restarted; it then starts without the restore.
        app.env.log(`Error while starting server: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    seedConfig(dir, s.serverName);
    s.serverId = serverId(dir);
    const systemText = readFileSync(join(configDir(dir), "system.xml"), "utf8");
    s.serverName = xmlElement(systemText, "ServerName") ?? s.serverName;
    s.startupWizardCompleted = xmlElement(systemText, "IsStartupWizardCompleted") !== "false";
    if (!existsSync(join(dir, "root", "default"))) for (const lib of s.libraries) writeLibrary(dir, lib);
    s.libraries = readLibraries(dir);
    const db = openJellyfinDb(dir, app.version());
    try {
      if (app.apiKey !== undefined) recordApiKey(db, app.apiKey);
    } catch (err) {
      db.close();
      throw err;
    }
    s.files = { dir, db, systemText };
    return s;
  },
  save: (s) => {
    const files = s.files;
    if (files === undefined) return;
    const text = systemXml(s, files.systemText);
    if (text === files.systemText) return;
    writeFileSync(join(configDir(files.dir), "system.xml"), text);
    files.systemText = text;
    logActivity(files.db, "Server configuration updated", "ServerConfigurationUpdated");
  },
  close: (s) => {
    s.files?.db.close();
    s.files = undefined;
  },
};

function traceId(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`;
}

/** ASP.NET's `NotFound()`: a ProblemDetails body. */
function notFoundProblem(): SimResponse {
  return {
    status: 404,
    json: { type: "https://tools.ietf.org/html/rfc9110#section-15.5.5", title: "Not Found", status: 404, traceId: traceId() },
    contentType: "application/problem+json; charset=utf-8",
  };
}

function manifestDto(m: BackupManifest, path: string): JsonObject {
  return { ServerVersion: m.ServerVersion, BackupEngineVersion: m.BackupEngineVersion, DateCreated: m.DateCreated, Path: path, Options: m.Options };
}

/** `SanitizePath`: only the file name counts, inside the backup folder. */
function archiveIn(dir: string, name: string): string {
  return join(backupDir(dir), basename(name.replace(/\\/g, "/")));
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
  spec: { file: "jellyfin-10.11.openapi.json", openOperations: ["get /System/Info/Public", "get /System/Ping", "post /System/Ping"] },
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
  storage: jellyfinStorage,
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
    {
      method: "get",
      path: "/Backup",
      handle: (ctx) => ({ status: 200, json: ctx.state.files === undefined ? [] : listJellyfinBackups(ctx.state.files.dir).map((b) => manifestDto(b.manifest, b.path)) }),
    },
    {
      method: "post",
      path: "/Backup/Create",
      handle: (ctx) => {
        const files = ctx.state.files;
        if (files === undefined) throw new Error("The backup directory is not available.");
        const input = isObject(ctx.body) ? ctx.body : {};
        const options: BackupOptions = {
          Metadata: input.Metadata === true,
          Trickplay: input.Trickplay === true,
          Subtitles: input.Subtitles === true,
          Database: input.Database !== false,
        };
        const { manifest, path } = createJellyfinBackup(files.dir, files.db, ctx.app.version(), options);
        logActivity(files.db, "Backup created", "BackupCreated");
        return { status: 200, json: manifestDto(manifest, path) };
      },
    },
    {
      method: "get",
      path: "/Backup/Manifest",
      handle: (ctx) => {
        const files = ctx.state.files;
        const file = files === undefined ? undefined : archiveIn(files.dir, String(ctx.query.path ?? ""));
        if (files === undefined || file === undefined || !existsSync(file)) return notFoundProblem();
        const manifest = readManifest(file);
        if (manifest === undefined) return { status: 204 };
        return { status: 200, json: manifestDto(manifest, `/config/data/backups/${basename(file)}`) };
      },
    },
    {
      // ScheduleRestoreAndRestartServer: 204, then the server restarts and restores while starting.
      method: "post",
      path: "/Backup/Restore",
      handle: (ctx) => {
        const files = ctx.state.files;
        const input = isObject(ctx.body) ? ctx.body : {};
        const refusal = ctx.app.takeRestoreRefusal();
        if (refusal !== undefined) {
          throw new Error(refusal.message ?? `Access to the path '/config/data/backups/${String(input.ArchiveFileName ?? "")}' is denied.`);
        }
        const file = files === undefined ? undefined : archiveIn(files.dir, String(input.ArchiveFileName ?? ""));
        if (file === undefined || !existsSync(file)) return notFoundProblem();
        pendingRestores.set(ctx.app, file);
        ctx.app.restartSoon(500);
        return { status: 204 };
      },
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
  describe: (state) => ({
    serverId: state.serverId,
    serverName: state.serverName,
    libraries: state.libraries.map((l) => l.name),
    backups: state.files === undefined ? [] : listJellyfinBackups(state.files.dir).map((b) => basename(b.path)),
  }),
});
