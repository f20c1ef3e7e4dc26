/**
 * Jellyseerr (v2.7.3, `../shared/specs/jellyseerr.openapi.yml`) and Seerr (v3.1.0,
 * `../shared/specs/seerr-v3.openapi.yml`) simulators: one definition, two specs.
 *
 * Behaviour read from seerr-team/seerr (`server/index.ts`, `server/middleware/auth.ts`,
 * `server/routes/settings/*.ts`):
 * - `X-Api-Key` equal to the main API key acts as the admin user; otherwise admin routes answer
 *   403 `{status: 403, error: "You do not have permission to access this endpoint"}`;
 * - requests are checked by express-openapi-validator: 400 `{message, errors: [{path, message, errorCode}]}`
 *   (read-only properties in a body are refused too); unknown API paths 404 the same way;
 * - `POST /settings/{sonarr,radarr}/test` calls the *arr API (`/system/status`, `/qualityProfile`,
 *   `/rootfolder`, `/tag`) through the address map; failure: 500 `Failed to connect to Sonarr`;
 * - `POST /settings/jellyfin` calls Jellyfin's `/System/Info` with the given API key.
 *
 * State lives where the apps keep it, in their `/app/config` volume: `settings.json` (main,
 * jellyfin, sonarr, radarr, ...; `server/lib/settings`) and `db/db.sqlite3` (TypeORM: `user`,
 * `session`, `migrations`). Neither app has a backup API.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureTable, openDatabase, readRows, writeRows, type Db, type TableSpec } from "./engine/db";
import { defineSim, type SimKind } from "./engine/sim-app";
import type { JsonObject } from "./engine/spec";
import { isObject } from "./engine/spec";
import type { OpContext, SimEnvironment, SimResponse, SimStorage, ValidationIssue } from "./engine/types";

type Dvr = JsonObject & { id: number };

interface SeerrState {
  main: JsonObject;
  jellyfin: JsonObject;
  sonarr: Dvr[];
  radarr: Dvr[];
  /** Parts of settings.json the simulator does not serve, kept as the file has them. */
  rest: JsonObject;
  files?: { dir: string; db: Db; settingsText: string };
}

const USERS: TableSpec = {
  name: "user",
  columns: [
    ["id", "int"],
    ["email", "text"],
    ["username", "text"],
    ["userType", "int"],
    ["permissions", "int"],
    ["avatar", "text"],
    ["createdAt", "text"],
    ["updatedAt", "text"],
  ],
};
const SESSIONS: TableSpec = { name: "session", noKey: true, columns: [["id", "text"], ["expiredAt", "int"], ["json", "text"]] };
const MIGRATIONS: TableSpec = { name: "migrations", columns: [["id", "int"], ["timestamp", "int"], ["name", "text"]] };

function settingsJson(s: SeerrState): string {
  return `${JSON.stringify({ ...s.rest, main: s.main, jellyfin: s.jellyfin, sonarr: s.sonarr, radarr: s.radarr }, null, 1)}\n`;
}

function saveSeerr(s: SeerrState): void {
  const files = s.files;
  if (files === undefined) return;
  const text = settingsJson(s);
  if (text === files.settingsText) return;
  writeFileSync(join(files.dir, "settings.json"), text);
  files.settingsText = text;
}

/** settings.json and db/db.sqlite3 on the `/app/config` volume. */
const seerrStorage: SimStorage<SeerrState> = {
  layout: ["settings.json", "db/db.sqlite3"],
  load: (dir, seed, app) => {
    const s = seed();
    const file = join(dir, "settings.json");
    let text = "";
    if (existsSync(file)) {
      text = readFileSync(file, "utf8");
      const parsed = JSON.parse(text) as unknown;
      if (!isObject(parsed)) throw new Error(`${file}: not a JSON object`);
      const { main, jellyfin, sonarr, radarr, ...rest } = parsed;
      if (isObject(main)) Object.assign(s.main, main);
      if (isObject(jellyfin)) Object.assign(s.jellyfin, jellyfin);
      if (Array.isArray(sonarr)) s.sonarr = sonarr.filter((x): x is Dvr => isObject(x) && typeof x.id === "number");
      if (Array.isArray(radarr)) s.radarr = radarr.filter((x): x is Dvr => isObject(x) && typeof x.id === "number");
      s.rest = { ...s.rest, ...rest };
      // The lab's key (from the cluster's Secret) is the one clients use.
      if (app.apiKey !== undefined) s.main.apiKey = app.apiKey;
    }
    mkdirSync(join(dir, "db"), { recursive: true });
    const dbFile = join(dir, "db", "db.sqlite3");
    const fresh = !existsSync(dbFile);
    const db = openDatabase(dbFile, { wal: false });
    try {
      db.transaction(() => {
        for (const t of [USERS, SESSIONS, MIGRATIONS]) ensureTable(db, t);
        if (fresh) {
          const now = new Date().toISOString();
          writeRows(db, USERS, [{ id: 1, email: "admin@lab.local", username: "admin", userType: 3, permissions: 2, avatar: "/avatarproxy/1", createdAt: now, updatedAt: now }]);
          writeRows(db, MIGRATIONS, [{ id: 1, timestamp: 1_743_000_000_000, name: "InitialMigration1743000000000" }]);
        }
      })();
      readRows(db, USERS);
    } catch (err) {
      db.close();
      throw err;
    }
    s.files = { dir, db, settingsText: text };
    saveSeerr(s);
    return s;
  },
  save: (s) => saveSeerr(s),
  close: (s) => {
    s.files?.db.close();
    s.files = undefined;
  },
};

interface SeerrFlavor {
  kind: "jellyseerr" | "seerr";
  title: string;
  specFile: string;
  version: string;
  clientName: string;
}

function fail(status: number, message: string): SimResponse {
  return { status, json: { message }, unvalidated: true };
}

function validatorError(issues: ValidationIssue[]): SimResponse {
  const errors = issues.map((i) => {
    const where = i.location === "path" ? "params" : i.location;
    const field = i.keyword === "required" && i.property !== undefined ? [i.field, i.property].filter((x) => x !== "").join("/") : i.field.replace(/\./g, "/");
    const message = i.keyword === "required" && i.property !== undefined ? `must have required property '${i.property}'` : i.message;
    return { path: `/${where}${field !== "" ? `/${field}` : ""}`, message, errorCode: `${i.keyword}.openapi.validation` };
  });
  return {
    status: 400,
    json: { message: errors.map((e) => `request${e.path} ${e.message}`).join(", "), errors },
    unvalidated: true,
  };
}

function dvrUrl(body: JsonObject, api: string): string {
  const scheme = body.useSsl === true ? "https" : "http";
  const base = typeof body.baseUrl === "string" ? body.baseUrl : "";
  return `${scheme}://${String(body.hostname)}:${String(body.port)}${base}${api}`;
}

async function getJson(env: SimEnvironment, url: string, apiKey: string): Promise<unknown> {
  const res = await env.fetch(url, { headers: { "x-api-key": apiKey, accept: "application/json" }, timeoutMs: 10_000 });
  if (res.status >= 300) throw new Error(`Request failed with status code ${res.status}`);
  return JSON.parse(res.text) as unknown;
}

async function testDvr(ctx: OpContext<SeerrState>, app: "Sonarr" | "Radarr"): Promise<SimResponse> {
  const body = isObject(ctx.body) ? ctx.body : {};
  const base = dvrUrl(body, "/api/v3");
  const key = String(body.apiKey ?? "");
  try {
    const status = (await getJson(ctx.env, `${base}/system/status`, key)) as JsonObject;
    const profiles = ((await getJson(ctx.env, `${base}/qualityProfile`, key)) as JsonObject[]).map((p) => ({ ...p }));
    const folders = (await getJson(ctx.env, `${base}/rootfolder`, key)) as JsonObject[];
    const major = Number(String(status.version ?? "0").split(".")[0]);
    const languageProfiles = app === "Sonarr" && major <= 3 ? await getJson(ctx.env, `${base}/languageprofile`, key) : null;
    const tags = await getJson(ctx.env, `${base}/tag`, key);
    const out: JsonObject = {
      profiles,
      rootFolders: folders.map((f) => ({ id: f.id, path: f.path })),
      tags,
      urlBase: status.urlBase,
    };
    if (app === "Sonarr") out.languageProfiles = languageProfiles;
    return { status: 200, json: out };
  } catch (err) {
    ctx.env.log(`Failed to test ${app}: ${err instanceof Error ? err.message : String(err)}`);
    return fail(500, `Failed to connect to ${app}`);
  }
}

function dvrOps(key: "sonarr" | "radarr", app: "Sonarr" | "Radarr") {
  const idParam = `${key}Id`;
  return [
    { method: "get" as const, path: `/settings/${key}`, handle: (ctx: OpContext<SeerrState>): SimResponse => ({ status: 200, json: ctx.state[key] }) },
    {
      method: "post" as const,
      path: `/settings/${key}`,
      handle: (ctx: OpContext<SeerrState>): SimResponse => {
        const body = isObject(ctx.body) ? ctx.body : {};
        const list = ctx.state[key];
        const last = list[list.length - 1];
        const item: Dvr = { ...body, id: last !== undefined ? last.id + 1 : 0 };
        if (body.isDefault === true) for (const d of list) if (d.is4k === body.is4k) d.isDefault = false;
        list.push(item);
        return { status: 201, json: item };
      },
    },
    { method: "post" as const, path: `/settings/${key}/test`, handle: (ctx: OpContext<SeerrState>) => testDvr(ctx, app) },
    {
      method: "put" as const,
      path: `/settings/${key}/{${idParam}}`,
      handle: (ctx: OpContext<SeerrState>): SimResponse => {
        const id = Number(ctx.params[idParam]);
        const list = ctx.state[key];
        const idx = list.findIndex((d) => d.id === id);
        if (idx < 0) return { status: 404, json: { status: "404", message: "Settings instance not found" }, unvalidated: true };
        const body = isObject(ctx.body) ? ctx.body : {};
        if (body.isDefault === true) for (const d of list) if (d.is4k === body.is4k) d.isDefault = false;
        const item: Dvr = { ...body, id };
        list[idx] = item;
        return { status: 200, json: item };
      },
    },
    {
      method: "delete" as const,
      path: `/settings/${key}/{${idParam}}`,
      handle: (ctx: OpContext<SeerrState>): SimResponse => {
        const id = Number(ctx.params[idParam]);
        const list = ctx.state[key];
        const idx = list.findIndex((d) => d.id === id);
        if (idx < 0) return { status: 404, json: { status: "404", message: "Settings instance not found" }, unvalidated: true };
        const [removed] = list.splice(idx, 1);
        return { status: 200, json: removed ?? {} };
      },
    },
  ];
}

function createSeerr(f: SeerrFlavor): SimKind {
  return defineSim<SeerrState>({
    kind: f.kind,
    title: f.title,
    spec: { file: f.specFile, openOperations: ["get /status", "get /status/appdata", "get /settings/public"] },
    pathPrefix: "/api/v1",
    defaultVersion: f.version,
    rejectReadOnly: true,
    createState: (settings) => ({
      main: {
        apiKey: settings.apiKey ?? "",
        applicationTitle: f.title,
        applicationUrl: typeof settings.extra.applicationUrl === "string" ? settings.extra.applicationUrl : "",
        hideAvailable: false,
        partialRequestsEnabled: true,
        localLogin: true,
        mediaServerType: 2,
        newPlexLogin: true,
        defaultPermissions: 32,
        enableSpecialEpisodes: false,
        appLanguage: "en",
      },
      jellyfin: {
        name: "",
        ip: "",
        port: 8096,
        useSsl: false,
        urlBase: "",
        externalHostname: "",
        jellyfinForgotPasswordUrl: "",
        libraries: [],
        serverId: "",
        apiKey: "",
      },
      sonarr: [],
      radarr: [],
      rest: {
        clientId: randomUUID(),
        vapidPublic: randomBytes(32).toString("base64url"),
        vapidPrivate: randomBytes(32).toString("base64url"),
        tautulli: {},
        public: { initialized: true },
      },
    }),
    storage: seerrStorage,
    authorize: (req, app) => {
      const h = req.headers["x-api-key"];
      const key = Array.isArray(h) ? h[0] : h;
      return key !== undefined && key !== "" && key === app.apiKey;
    },
    isPublic: (_method, path) => path === "/status" || path === "/status/appdata" || path === "/settings/public",
    operations: [
      {
        method: "get",
        path: "/status",
        handle: (ctx) => ({ status: 200, json: { version: ctx.app.version(), commitTag: `v${ctx.app.version()}`, updateAvailable: false, commitsBehind: 0, restartRequired: false } }),
      },
      { method: "get", path: "/status/appdata", handle: () => ({ status: 200, json: { appData: true, appDataPath: "/app/config", appDataPermissions: true } }) },
      {
        method: "get",
        path: "/settings/public",
        handle: (ctx) => ({
          status: 200,
          json: {
            initialized: true,
            applicationTitle: ctx.state.main.applicationTitle,
            applicationUrl: ctx.state.main.applicationUrl,
            localLogin: true,
            mediaServerType: 2,
            jellyfinServerName: ctx.state.jellyfin.name,
            movie4kEnabled: ctx.state.radarr.some((r) => r.is4k === true),
            series4kEnabled: ctx.state.sonarr.some((s) => s.is4k === true),
            locale: "en",
          },
        }),
      },
      { method: "get", path: "/settings/main", handle: (ctx) => ({ status: 200, json: ctx.state.main }) },
      {
        method: "get",
        path: "/auth/me",
        handle: () => ({
          status: 200,
          json: {
            id: 1,
            email: "admin@lab.local",
            username: "admin",
            userType: 3,
            permissions: 2,
            avatar: "/avatarproxy/1",
            createdAt: "2025-01-01T00:00:00.000Z",
            updatedAt: "2025-01-01T00:00:00.000Z",
            requestCount: 0,
          },
        }),
      },
      { method: "get", path: "/settings/jellyfin", handle: (ctx) => ({ status: 200, json: ctx.state.jellyfin }) },
      {
        method: "post",
        path: "/settings/jellyfin",
        handle: async (ctx) => {
          const body = isObject(ctx.body) ? ctx.body : {};
          const temp = { ...ctx.state.jellyfin, ...body };
          const scheme = temp.useSsl === true ? "https" : "http";
          const host = `${scheme}://${String(temp.ip)}${temp.port !== undefined && temp.port !== "" ? `:${String(temp.port)}` : ""}${typeof temp.urlBase === "string" ? temp.urlBase : ""}`;
          let res;
          try {
            res = await ctx.env.fetch(`${host}/System/Info`, {
              headers: {
                authorization: `MediaBrowser Client="${f.clientName}", Device="${f.clientName}", DeviceId="BOT_${f.kind}", Version="${ctx.app.version()}", Token="${String(temp.apiKey ?? "")}"`,
                accept: "application/json",
              },
              timeoutMs: 10_000,
            });
          } catch (err) {
            ctx.env.log(`Something went wrong testing Jellyfin connection: ${err instanceof Error ? err.message : String(err)}`);
            return fail(500, "INVALID_URL");
          }
          if (res.status >= 300) return fail(res.status, "INVALID_URL");
          let info: JsonObject;
          try {
            const parsed = JSON.parse(res.text) as unknown;
            info = isObject(parsed) ? parsed : {};
          } catch {
            return fail(500, "UNKNOWN");
          }
          if (typeof info.Id !== "string" || info.Id === "") return fail(500, "INVALID_URL");
          Object.assign(ctx.state.jellyfin, body);
          ctx.state.jellyfin.serverId = info.Id;
          ctx.state.jellyfin.name = typeof info.ServerName === "string" ? info.ServerName : "";
          return { status: 200, json: ctx.state.jellyfin };
        },
      },
      ...dvrOps("sonarr", "Sonarr"),
      ...dvrOps("radarr", "Radarr"),
      {
        method: "get",
        path: "/settings/radarr/{radarrId}/profiles",
        handle: async (ctx) => {
          const r = ctx.state.radarr.find((x) => x.id === Number(ctx.params.radarrId));
          if (r === undefined) return { status: 404, json: { status: "404", message: "Settings instance not found" }, unvalidated: true };
          try {
            const profiles = (await getJson(ctx.env, `${dvrUrl(r, "/api/v3")}/qualityProfile`, String(r.apiKey ?? ""))) as JsonObject[];
            return { status: 200, json: profiles.map((p) => ({ id: p.id, name: p.name })) };
          } catch {
            return fail(500, "Failed to retrieve profiles");
          }
        },
      },
    ],
    errors: {
      unauthorized: () => ({ status: 403, json: { status: 403, error: "You do not have permission to access this endpoint" } }),
      invalidRequest: (issues) => validatorError(issues),
      notFound: (req) =>
        req.path.startsWith("/api/")
          ? { status: 404, json: { message: "not found", errors: [{ path: req.path, message: "not found" }] } }
          : { status: 404, text: "404: This page could not be found", contentType: "text/html; charset=utf-8" },
      serverError: (message) => ({ status: 500, json: { message } }),
    },
    describe: (state) => ({
      jellyfin: { ip: state.jellyfin.ip, port: state.jellyfin.port, serverId: state.jellyfin.serverId },
      sonarr: state.sonarr.map((s) => ({ id: s.id, name: s.name, hostname: s.hostname, port: s.port })),
      radarr: state.radarr.map((r) => ({ id: r.id, name: r.name, hostname: r.hostname, port: r.port })),
    }),
  });
}

export const jellyseerrSim = createSeerr({ kind: "jellyseerr", title: "Jellyseerr", specFile: "jellyseerr.openapi.yml", version: "2.7.3", clientName: "Jellyseerr" });
export const seerrSim = createSeerr({ kind: "seerr", title: "Seerr", specFile: "seerr-v3.openapi.yml", version: "3.1.0", clientName: "Seerr" });
