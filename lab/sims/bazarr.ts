/**
 * Bazarr simulator (v1.5.2): `../shared/specs/bazarr.openapi.json` (generated from the
 * flask-restx app; paths and parameters, no response bodies) under `<base_url>/api`.
 *
 * Bazarr hides its settings endpoint from the generated spec (`@ns.hide` on `system/settings`);
 * the simulator adds it as a marked extension read from `bazarr/api/system/settings.py` and
 * `bazarr/app/config.py`: `GET` returns the settings, `POST` takes form fields named
 * `settings-<section>-<key>` (e.g. `settings-sonarr-ip`), answers 204, or 406 with Dynaconf's
 * validation message. The web UI's connection probe `GET <base_url>/test/<protocol>/<url>`
 * (`bazarr/app/ui.py`) is served as a route outside the API description.
 *
 * Auth (`bazarr/api/utils.py`): `X-API-KEY` header, `apikey` query or form field; else 401.
 *
 * State lives on the `/config` volume as Bazarr keeps it (`config/config.yaml`, `db/bazarr.db`,
 * see `./bazarr-files.ts`); `system/backups` makes, lists, restores and deletes real archives.
 */
import { rmSync } from "node:fs";
import { defineSim } from "./engine/sim-app";
import type { JsonObject } from "./engine/spec";
import { isObject } from "./engine/spec";
import type { SimEnvironment, SimRequest, SimResponse, SimStorage } from "./engine/types";
import {
  applyRestore,
  createBazarrBackup,
  listBazarrBackups,
  openBazarrDb,
  prepareBazarrRestore,
  readConfigYaml,
  readLanguageProfiles,
  writeConfigYaml,
  writeLanguageProfiles,
  type BazarrBackupSettings,
  type BazarrFiles,
  type BazarrSettingsFile,
} from "./bazarr-files";

interface ArrConnection {
  ip: string;
  port: number;
  base_url: string;
  ssl: boolean;
  apikey: string;
  http_timeout: number;
  only_monitored: boolean;
  series_sync?: number;
  movies_sync?: number;
  excluded_tags: string[];
}

interface BazarrState {
  general: JsonObject & { use_sonarr: boolean; use_radarr: boolean };
  auth: JsonObject;
  sonarr: ArrConnection;
  radarr: ArrConnection;
  backup: BazarrBackupSettings;
  languageProfiles: JsonObject[];
  /** Open files while the app runs with a volume. */
  files?: BazarrFiles;
  startTime: number;
  /** Last versions read from Sonarr/Radarr (Bazarr caches them for 60 s). */
  versionCache: Map<string, { value: string; at: number }>;
}

const HTTP_TIMEOUTS = [60, 120, 180, 240, 300, 600];
const STR_KEYS = new Set(["apikey", "ip", "base_url", "password", "username", "path_mappings"]);

const settingsExtension = {
  get: {
    "x-sim-extension": "hidden route: bazarr/api/system/settings.py (SystemSettings.get), v1.5.2",
    security: [{ apikey: [] }],
    responses: { "200": { description: "All settings as JSON", content: { "application/json": { schema: { type: "object" } } } }, "401": { description: "Not Authenticated" } },
  },
  post: {
    "x-sim-extension": "hidden route: bazarr/api/system/settings.py (SystemSettings.post) and app/config.py save_settings, v1.5.2",
    security: [{ apikey: [] }],
    requestBody: {
      required: true,
      content: {
        "application/x-www-form-urlencoded": {
          schema: {
            type: "object",
            additionalProperties: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
          },
        },
      },
    },
    responses: { "204": { description: "Saved" }, "401": { description: "Not Authenticated" }, "406": { description: "Dynaconf validation message (text)" } },
  },
};

function bazarrAuthorize(req: SimRequest, key: string | undefined): boolean {
  if (key === undefined || key === "") return false;
  const header = req.headers["x-api-key"];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const fromForm = isObject(req.body) && typeof req.body.apikey === "string" ? req.body.apikey : undefined;
  return [req.query.get("apikey"), fromHeader, fromForm].includes(key);
}

function connection(port: number): ArrConnection {
  return { ip: "127.0.0.1", port, base_url: "/", ssl: false, apikey: "", http_timeout: 60, only_monitored: false, excluded_tags: [] };
}

function arrUrl(c: ArrConnection): string {
  let base = c.base_url === "" ? "/" : c.base_url;
  if (!base.startsWith("/")) base = `/${base}`;
  if (base.endsWith("/")) base = base.slice(0, -1);
  return `${c.ssl ? "https" : "http"}://${c.ip}:${c.port}${base}`;
}

async function arrVersion(state: BazarrState, which: "sonarr" | "radarr", env: SimEnvironment): Promise<string> {
  const enabled = which === "sonarr" ? state.general.use_sonarr : state.general.use_radarr;
  if (!enabled) return "";
  const cached = state.versionCache.get(which);
  if (cached !== undefined && Date.now() - cached.at < 60_000) return cached.value;
  const c = state[which];
  let value = "unknown";
  try {
    const res = await env.fetch(`${arrUrl(c)}/api/v3/system/status?apikey=${encodeURIComponent(c.apikey)}`, { timeoutMs: c.http_timeout * 1000 });
    const json = JSON.parse(res.text) as unknown;
    if (isObject(json) && typeof json.version === "string") value = json.version;
  } catch {
    value = "unknown";
  }
  state.versionCache.set(which, { value, at: Date.now() });
  return value;
}

/** `save_settings`: casts form values and applies them; returns Dynaconf's message on failure. */
function saveSettings(state: BazarrState, form: Record<string, unknown>): string | undefined {
  const next = structuredClone({ general: state.general, sonarr: state.sonarr, radarr: state.radarr });
  for (const [key, raw] of Object.entries(form)) {
    const parts = key.split("-");
    if (parts[0] !== "settings" || parts.length < 3) continue;
    const section = parts[1] ?? "";
    const name = parts.slice(2).join("-");
    let value: unknown = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
    if (typeof value === "string" && !STR_KEYS.has(name) && /^-?\d+$/.test(value)) value = Number(value);
    if (value === "true") value = true;
    else if (value === "false") value = false;
    if (name === "base_url" && typeof value === "string") value = value === "" ? "/" : value.replace(/\/+$/, "") || "/";
    if (section === "general" || section === "sonarr" || section === "radarr") {
      (next[section] as Record<string, unknown>)[name] = value;
    }
  }
  for (const which of ["sonarr", "radarr"] as const) {
    const c = next[which];
    if (typeof c.port !== "number" || !Number.isInteger(c.port)) return `${which}.port must is_type_of <class 'int'> but it is ${String(c.port)} in env main`;
    if (c.port < 1) return `${which}.port must gte 1 but it is ${c.port} in env main`;
    if (c.port > 65535) return `${which}.port must lte 65535 but it is ${c.port} in env main`;
    if (typeof c.ip !== "string") return `${which}.ip must is_type_of <class 'str'> but it is ${String(c.ip)} in env main`;
    if (typeof c.ssl !== "boolean") return `${which}.ssl must is_type_of <class 'bool'> but it is ${String(c.ssl)} in env main`;
    if (!HTTP_TIMEOUTS.includes(c.http_timeout)) return `${which}.http_timeout must is_in [60, 120, 180, 240, 300, 600] but it is ${String(c.http_timeout)} in env main`;
  }
  state.general = next.general;
  state.sonarr = next.sonarr;
  state.radarr = next.radarr;
  state.versionCache.clear();
  return undefined;
}


const restxError = (status: number, message: string): SimResponse => ({ status, json: { message } });

/** What flask-restx answers for `return 'text', status`: the text as a JSON string. */
const restxText = (status: number, text: string): SimResponse => ({ status, json: text, unvalidated: true });

function settingsFile(s: BazarrState): BazarrSettingsFile {
  return { general: s.general, auth: s.auth, sonarr: s.sonarr as unknown as JsonObject, radarr: s.radarr as unknown as JsonObject, backup: s.backup };
}

/** config/config.yaml and db/bazarr.db on the `/config` volume. */
const bazarrStorage: SimStorage<BazarrState> = {
  layout: ["config/config.yaml", "db/bazarr.db"],
  load: (dir, seed, app) => {
    const s = seed();
    applyRestore(dir, app);
    const { values, text } = readConfigYaml(dir);
    for (const section of ["general", "auth", "sonarr", "radarr", "backup"] as const) {
      const v = values[section];
      if (isObject(v)) Object.assign(s[section], v);
    }
    const { db, fresh } = openBazarrDb(dir);
    try {
      if (fresh) writeLanguageProfiles(db, s.languageProfiles);
      else s.languageProfiles = readLanguageProfiles(db);
      s.files = { dir, db, configText: text ?? "" };
      // Dynaconf's validators fill what the file lacks; Bazarr writes the result back.
      writeConfigYaml(s.files, settingsFile(s));
    } catch (err) {
      db.close();
      s.files = undefined;
      throw err;
    }
    return s;
  },
  save: (s) => {
    if (s.files === undefined) return;
    writeConfigYaml(s.files, settingsFile(s));
    writeLanguageProfiles(s.files.db, s.languageProfiles);
  },
  close: (s) => {
    s.files?.db.close();
    s.files = undefined;
  },
};

export const bazarrSim = defineSim<BazarrState>({
  kind: "bazarr",
  title: "Bazarr",
  spec: { file: "bazarr.openapi.json", extensions: { "/system/settings": settingsExtension } },
  pathPrefix: "/api",
  defaultVersion: "1.5.2",
  createState: (settings) => {
    const seedProfile = settings.extra.seedLanguageProfile !== false;
    return {
      general: { use_sonarr: false, use_radarr: false, base_url: settings.urlBase === "" ? "/" : settings.urlBase, ip: "*", port: 6767, single_language: false, minimum_score: 90, minimum_score_movie: 70 },
      auth: { type: null, apikey: settings.apiKey ?? "", username: "", password: "" },
      sonarr: connection(8989),
      radarr: connection(7878),
      backup: { folder: "/config/backup", retention: 31, frequency: "Weekly", day: 6, hour: 3 },
      languageProfiles: seedProfile
        ? [{ profileId: 1, name: "English", cutoff: null, items: [{ id: 1, language: "en", audio_exclude: "False", audio_only_include: "False", hi: "False", forced: "False" }], mustContain: [], mustNotContain: [], originalFormat: false, tag: null }]
        : [],
      startTime: Date.now(),
      versionCache: new Map(),
    };
  },
  storage: bazarrStorage,
  authorize: (req, app) => bazarrAuthorize(req, app.apiKey),
  isPublic: (_method, path) => path === "/system/ping",
  operations: [
    { method: "get", path: "/system/ping", handle: () => ({ status: 200, json: { status: "OK" } }) },
    {
      method: "get",
      path: "/system/status",
      handle: async (ctx) => ({
        status: 200,
        json: {
          data: {
            bazarr_version: ctx.app.version(),
            package_version: "",
            sonarr_version: await arrVersion(ctx.state, "sonarr", ctx.env),
            radarr_version: await arrVersion(ctx.state, "radarr", ctx.env),
            operating_system: "Linux-6.8.0-x86_64-with",
            python_version: "3.12.11",
            database_engine: "Sqlite 3.49.2",
            database_migration: "4274a5dfc4ad",
            bazarr_directory: "/app/bazarr/bin",
            bazarr_config_directory: "/config",
            start_time: Math.floor(ctx.state.startTime / 1000),
            timezone: "America/Denver",
          },
        },
      }),
    },
    {
      method: "get",
      path: "/system/health",
      handle: (ctx) => {
        const issues: JsonObject[] = [];
        if (ctx.state.languageProfiles.length === 0) {
          issues.push({ object: "Missing languages profile", issue: "You must create at least one languages profile and assign it to your content." });
        }
        for (const h of ctx.app.pushedHealth()) issues.push({ object: h.source ?? "Lab fault", issue: h.message });
        return { status: 200, json: { data: issues } };
      },
    },
    { method: "get", path: "/system/languages/profiles", handle: (ctx) => ({ status: 200, json: ctx.state.languageProfiles }) },
    {
      method: "get",
      path: "/system/backups",
      handle: (ctx) => ({
        status: 200,
        json: { data: ctx.state.files === undefined ? [] : listBazarrBackups(ctx.state.files.dir, ctx.state.backup).map((b) => ({ date: b.date, filename: b.filename, size: b.size, type: b.type })) },
      }),
    },
    {
      method: "post",
      path: "/system/backups",
      handle: async (ctx) => {
        if (ctx.state.files === undefined) return restxError(500, "The server encountered an internal error and was unable to complete your request.");
        await createBazarrBackup(ctx.state.files, ctx.state.backup, ctx.app.version());
        return { status: 204 };
      },
    },
    {
      // prepare_restore: extract into restore/, restart; Bazarr applies it while starting.
      method: "patch",
      path: "/system/backups",
      handle: (ctx) => {
        const filename = typeof ctx.query.filename === "string" ? ctx.query.filename : "";
        if (filename === "") return restxText(400, "Filename not provided");
        const refusal = ctx.app.takeRestoreRefusal();
        if (refusal !== undefined) {
          ctx.env.log(`Unable to copy backup archive to restore/${filename}: ${refusal.message ?? "[Errno 13] Permission denied"}`);
          return restxText(500, refusal.message ?? "Error while restoring backup. Check logs.");
        }
        const files = ctx.state.files;
        if (files === undefined || !prepareBazarrRestore(files, ctx.state.backup, filename, ctx.env.log)) return restxText(500, "Error while restoring backup. Check logs.");
        ctx.app.restartSoon();
        return { status: 204 };
      },
    },
    {
      method: "delete",
      path: "/system/backups",
      handle: (ctx) => {
        const filename = typeof ctx.query.filename === "string" ? ctx.query.filename : "";
        const backup = ctx.state.files === undefined ? undefined : listBazarrBackups(ctx.state.files.dir, ctx.state.backup).find((b) => b.filename === filename);
        if (backup === undefined) return restxText(400, "Filename not provided");
        rmSync(backup.file, { force: true });
        return { status: 204 };
      },
    },
    {
      method: "get",
      path: "/system/settings",
      handle: (ctx) => ({
        status: 200,
        json: {
          general: ctx.state.general,
          auth: { ...ctx.state.auth, apikey: ctx.app.apiKey ?? "" },
          sonarr: ctx.state.sonarr,
          radarr: ctx.state.radarr,
          notifications: { providers: [] },
        },
      }),
    },
    {
      method: "post",
      path: "/system/settings",
      handle: (ctx) => {
        const form = isObject(ctx.body) ? ctx.body : {};
        const languageProfiles = form["languages-profiles"];
        if (typeof languageProfiles === "string") {
          try {
            const parsed = JSON.parse(languageProfiles) as unknown;
            if (Array.isArray(parsed)) ctx.state.languageProfiles = parsed.filter(isObject);
          } catch {
            return { status: 500, text: "languages-profiles is not JSON" };
          }
        }
        const err = saveSettings(ctx.state, form);
        if (err !== undefined) return { status: 406, text: err, contentType: "text/html; charset=utf-8" };
        return { status: 204 };
      },
    },
  ],
  rawRoutes: [
    {
      // bazarr/app/ui.py `proxy`: the Settings page's "Test" button.
      method: "GET",
      pattern: /^\/test\/([^/]+)\/(.+)$/,
      secured: false,
      handle: async (ctx, m) => {
        const protocol = (m[1] ?? "").toLowerCase();
        if (protocol !== "http" && protocol !== "https") return { status: 200, json: { status: false, error: "Unsupported protocol", code: 0 } };
        const target = `${protocol}://${decodeURIComponent(m[2] ?? "")}${ctx.req.query.toString() !== "" ? `?${ctx.req.query.toString()}` : ""}`;
        try {
          const res = await ctx.env.fetch(target, { timeoutMs: 5_000 });
          if (res.status === 200) {
            try {
              const json = JSON.parse(res.text) as unknown;
              const version = isObject(json) ? json.version : undefined;
              if (typeof version !== "string") throw new Error("no version");
              return { status: 200, json: { status: true, version, code: 200 } };
            } catch {
              return { status: 200, json: { status: false, error: "Error Occurred. Check your settings.", code: res.status } };
            }
          }
          if (res.status === 401) return { status: 200, json: { status: false, error: "Access Denied. Check API key.", code: 401 } };
          if (res.status === 404) return { status: 200, json: { status: false, error: "Cannot get version. Maybe unsupported legacy API call?", code: 404 } };
          if (res.status >= 300 && res.status <= 399) return { status: 200, json: { status: false, error: "Wrong URL Base.", code: res.status } };
          return { status: 200, json: { status: false, error: `${res.status} Server Error`, code: res.status } };
        } catch (err) {
          return { status: 200, json: { status: false, error: `ConnectionError(${JSON.stringify(err instanceof Error ? err.message : String(err))})` } };
        }
      },
    },
  ],
  errors: {
    unauthorized: () =>
      restxError(
        401,
        "The server could not verify that you are authorized to access the URL requested. You either supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the credentials required.",
      ),
    invalidRequest: (issues) => ({
      status: 400,
      json: {
        errors: Object.fromEntries(issues.map((i) => [i.property ?? (i.field !== "" ? i.field : i.location), i.message])),
        message: "Input payload validation failed",
      },
    }),
    notFound: () =>
      restxError(404, "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."),
    serverError: () =>
      restxError(500, "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application."),
  },
  control: (state, patch) => {
    if (Array.isArray(patch.languageProfiles)) {
      state.languageProfiles = patch.languageProfiles.filter(isObject);
      return undefined;
    }
    return "unknown patch: use languageProfiles";
  },
  describe: (state) => ({
    use_sonarr: state.general.use_sonarr,
    use_radarr: state.general.use_radarr,
    sonarr: { ip: state.sonarr.ip, port: state.sonarr.port, base_url: state.sonarr.base_url },
    radarr: { ip: state.radarr.ip, port: state.radarr.port, base_url: state.radarr.base_url },
    languageProfiles: state.languageProfiles.length,
    backups: state.files === undefined ? [] : listBazarrBackups(state.files.dir, state.backup).map((b) => b.filename),
  }),
});
