/**
 * SABnzbd simulator: `GET <url_base>/api?mode=...&apikey=...&output=json` for the modes the
 * panel and the *arr download-client tests use (version, auth, queue, fullstatus/status,
 * get_config, get_cats, warnings, history). Spec: `./specs/sabnzbd.ts` (from the SABnzbd 5.0
 * API page). Key checks and error answers follow `sabnzbd/interface.py`: `version` and `auth`
 * need no key; a missing or wrong key is a 403 with the plain-text reason.
 *
 * The configuration lives in `sabnzbd.ini` on the `/config` volume (see `./sabnzbd-files.ts`):
 * `set_config` (misc) changes it, `config&name=create_backup` zips it, the web interface's
 * `config/general/uploadConfig` takes a backup to restore at the next restart (`mode=restart`).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_APP_KINDS, libraryOf } from "../../lib/apps/catalogue";
import type { Db } from "./engine/db";
import { multipartBoundary, parseMultipart } from "./engine/multipart";
import { defineSim } from "./engine/sim-app";
import type { JsonObject } from "./engine/spec";
import type { SimAppHandle, SimRequest, SimResponse, SimStorage } from "./engine/types";
import { applySabRestore, createSabBackup, openHistoryDb, parseIni, renderIni, section, validSabBackup, type IniFile } from "./sabnzbd-files";
import { sabnzbdSpec } from "./specs/sabnzbd";

interface SabCategory {
  name: string;
  order: number;
  pp: string;
  script: string;
  dir: string;
  priority: number;
}

interface SabState {
  startTime: number;
  paused: boolean;
  categories: SabCategory[];
  slots: JsonObject[];
  /** sabnzbd.ini: `[misc]` holds the settings `get_config`/`set_config` read and write. */
  ini: IniFile;
  /** A configuration backup uploaded for the next restart (`sabnzbd.RESTORE_DATA`). */
  pendingRestore?: Buffer;
  files?: { dir: string; db: Db; iniText: string };
}

/**
 * The categories a user's SABnzbd has: the default, one per app that manages a library (the
 * download category the panel writes into it, from the app catalogue: `tv`, `movies`, ...) and
 * Prowlarr's.
 */
export const SABNZBD_CATEGORIES = ["*", ...LIBRARY_APP_KINDS.map((kind) => libraryOf(kind).category), "prowlarr"];

function misc(s: SabState): Map<string, string> {
  return section(s.ini, "misc").values;
}

/** Settings `get_config` reports as strings even when they look numeric. */
const STRING_KEYS = new Set(["port", "https_port", "api_key", "nzb_key", "username", "password"]);

function typedMisc(values: Map<string, string>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of values) {
    if (k === "api_key" || k === "nzb_key" || k === "password") continue;
    out[k] = !STRING_KEYS.has(k) && /^-?\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}

/** sabnzbd.ini of a fresh install (the keys the simulator serves). */
function defaultIni(apiKey: string | undefined, urlBase: string): IniFile {
  const ini: IniFile = { top: new Map([["__version__", "19"], ["__encoding__", "utf-8"]]), sections: new Map() };
  const m = section(ini, "misc").values;
  for (const [k, v] of [
    ["api_key", apiKey ?? ""],
    ["nzb_key", `${apiKey ?? "nzb"}-nzb`.slice(0, 32)],
    ["url_base", urlBase],
    ["host_whitelist", "home.brettswift.com, home.brettswift.com:443, localhost, 127.0.0.1, sabnzbd, sabnzbd.media.svc.cluster.local"],
    ["download_dir", "/data/usenet/incomplete"],
    ["complete_dir", "/data/usenet/complete"],
    // A folder on the configuration volume, so configuration backups stay with the configuration.
    ["backup_dir", "/config/backups"],
    ["port", "8080"],
    ["pre_check", "0"],
    ["history_retention_option", "all"],
    ["enable_tv_sorting", "0"],
    ["enable_movie_sorting", "0"],
    ["enable_date_sorting", "0"],
  ] as const) {
    m.set(k, v);
  }
  section(ini, "servers").subs.set(
    "news.example.net",
    new Map([
      ["name", "news.example.net"],
      ["displayname", "news.example.net"],
      ["host", "news.example.net"],
      ["port", "563"],
      ["username", "user"],
      ["password", "secret"],
      ["connections", "20"],
      ["ssl", "1"],
      ["enable", "1"],
    ]),
  );
  return ini;
}

function categoriesFromIni(ini: IniFile): SabCategory[] | undefined {
  const subs = ini.sections.get("categories")?.subs;
  if (subs === undefined || subs.size === 0) return undefined;
  return [...subs.values()].map((v, i) => ({
    name: v.get("name") ?? "",
    order: Number(v.get("order") ?? i),
    pp: v.get("pp") ?? "",
    script: v.get("script") ?? "Default",
    dir: v.get("dir") ?? "",
    priority: Number(v.get("priority") ?? -100),
  }));
}

function categoriesToIni(s: SabState): void {
  const subs = section(s.ini, "categories").subs;
  subs.clear();
  for (const c of s.categories) {
    subs.set(c.name, new Map([["name", c.name], ["order", String(c.order)], ["pp", c.pp], ["script", c.script], ["dir", c.dir], ["priority", String(c.priority)]]));
  }
}

function saveSab(s: SabState): void {
  const files = s.files;
  if (files === undefined) return;
  categoriesToIni(s);
  const text = renderIni(s.ini);
  if (text === files.iniText) return;
  writeFileSync(join(files.dir, "sabnzbd.ini"), text);
  files.iniText = text;
}

/** sabnzbd.ini and admin/history1.db on the `/config` volume. */
const sabStorage: SimStorage<SabState> = {
  layout: ["sabnzbd.ini", "admin/history1.db"],
  load: (dir, seed) => {
    const s = seed();
    const file = join(dir, "sabnzbd.ini");
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    const fromFile = parseIni(text);
    // SABnzbd reads what the file has and writes every setting back with its default filled in.
    for (const [k, v] of s.ini.top) if (!fromFile.top.has(k)) fromFile.top.set(k, v);
    for (const [name, sec] of s.ini.sections) {
      const target = section(fromFile, name);
      for (const [k, v] of sec.values) if (!target.values.has(k)) target.values.set(k, v);
      if (target.subs.size === 0) for (const [subName, values] of sec.subs) target.subs.set(subName, new Map(values));
    }
    s.ini = fromFile;
    s.categories = categoriesFromIni(fromFile) ?? s.categories;
    const db = openHistoryDb(dir);
    s.files = { dir, db, iniText: text };
    saveSab(s);
    return s;
  },
  save: (s) => saveSab(s),
  close: (s) => {
    s.files?.db.close();
    s.files = undefined;
  },
};

function keyError(req: SimRequest, keyFromForm: string | undefined, app: SimAppHandle): SimResponse | undefined {
  const key = req.query.get("apikey") ?? keyFromForm ?? "";
  if (key === "") return { status: 403, text: "API Key Required" };
  if (key !== app.apiKey) return { status: 403, text: "API Key Incorrect" };
  return undefined;
}

function report(data: JsonObject): SimResponse {
  return { status: 200, json: data, contentType: "application/json;charset=UTF-8", headers: { pragma: "no-cache" } };
}

function error(message: string): SimResponse {
  return { status: 200, json: { status: false, error: message }, contentType: "application/json;charset=UTF-8", headers: { pragma: "no-cache" } };
}

function uptime(start: number): string {
  const s = Math.floor((Date.now() - start) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

export const sabnzbdSim = defineSim<SabState>({
  kind: "sabnzbd",
  title: "SABnzbd",
  spec: { document: sabnzbdSpec },
  defaultVersion: "4.5.5",
  createState: (settings) => ({
    startTime: Date.now(),
    paused: false,
    categories: SABNZBD_CATEGORIES.map((name, order) => ({ name, order, pp: name === "*" ? "3" : "", script: name === "*" ? "None" : "Default", dir: name === "*" ? "" : name, priority: name === "*" ? 0 : -100 })),
    slots: [],
    ini: defaultIni(settings.apiKey, settings.urlBase),
  }),
  storage: sabStorage,
  // Key checks depend on the mode, so the handler does them (`check_apikey`).
  authorize: () => true,
  operations: [
    {
      method: "get",
      path: "/api",
      handle: (ctx) => {
        const mode = String(ctx.query.mode ?? "");
        const app = ctx.app;
        if (mode !== "version" && mode !== "auth") {
          const key = typeof ctx.query.apikey === "string" ? ctx.query.apikey : "";
          if (key === "") return { status: 403, text: "API Key Required", unvalidated: true };
          if (key !== app.apiKey) return { status: 403, text: "API Key Incorrect", unvalidated: true };
        }
        const st = ctx.state;
        const warnings = app.pushedHealth().map((h, i) => ({
          text: h.message,
          type: h.level === "error" ? "ERROR" : "WARNING",
          time: Math.floor(st.startTime / 1000) + i,
        }));
        switch (mode) {
          case "version":
            return report({ version: app.version() });
          case "auth": {
            const k = typeof ctx.query.key === "string" ? ctx.query.key : "";
            return report({ auth: k === "" ? "apikey" : k === app.apiKey ? "apikey" : k === misc(st).get("nzb_key") ? "nzbkey" : "badkey" });
          }
          case "queue": {
            const start = typeof ctx.query.start === "number" ? ctx.query.start : 0;
            const limit = typeof ctx.query.limit === "number" && ctx.query.limit > 0 ? ctx.query.limit : st.slots.length;
            const slots = st.slots.slice(start, start + limit);
            return report({
              queue: {
                status: st.paused ? "Paused" : "Idle",
                speedlimit: "100",
                speedlimit_abs: "",
                paused: st.paused,
                noofslots_total: st.slots.length,
                noofslots: slots.length,
                limit,
                start,
                timeleft: "0:00:00",
                speed: "0  ",
                kbpersec: "0.00",
                size: "0 B",
                sizeleft: "0 B",
                mb: "0.00",
                mbleft: "0.00",
                slots,
                diskspace1: "1464.84",
                diskspace2: "1464.84",
                diskspacetotal1: "3721.58",
                diskspacetotal2: "3721.58",
                diskspace1_norm: "1.4 T",
                diskspace2_norm: "1.4 T",
                have_warnings: String(warnings.length),
                pause_int: "0",
                left_quota: "0 ",
                version: app.version(),
                finish: 0,
                cache_art: "0",
                cache_size: "0 B",
                finishaction: null,
                paused_all: false,
                quota: "0 ",
                have_quota: false,
              },
            });
          }
          case "fullstatus":
          case "status":
            return report({
              status: {
                localipv4: "10.42.0.31",
                ipv6: null,
                publicipv4: null,
                dnslookup: "OK",
                folders: [],
                cpumodel: "Lab CPU",
                pystone: 150000,
                loadavg: "0.12 | 0.10 | 0.08 | V=512M R=96M",
                downloaddir: "/data/usenet/incomplete",
                downloaddirspeed: 0,
                completedir: "/data/usenet/complete",
                completedirspeed: 0,
                loglevel: "1",
                logfile: "/config/logs/sabnzbd.log",
                configfn: "/config/sabnzbd.ini",
                nt: false,
                darwin: false,
                confighelpuri: "https://sabnzbd.org/wiki/configuration/4.5/",
                uptime: uptime(st.startTime),
                color_scheme: "Default",
                webdir: "/app/sabnzbd/interfaces/Glitter/templates",
                active_lang: "en",
                restart_req: false,
                power_options: true,
                pp_pause_event: false,
                pid: 125,
                weblogfile: null,
                new_release: false,
                new_rel_url: null,
                have_warnings: String(warnings.length),
                warnings,
                servers: [{ servername: "news.example.net", servertotalconn: 20, serverssl: 1, serveractiveconn: 0, serveroptional: 0, serveractive: true, servererror: "", serverpriority: 0, serverbps: "0 ", serverconnections: [] }],
              },
            });
          case "get_config": {
            const only = typeof ctx.query.section === "string" ? ctx.query.section : undefined;
            const config: JsonObject = {
              // The URL base the app serves under is the lab's (from the manifests).
              misc: { ...typedMisc(misc(st)), url_base: app.urlBase },
              categories: st.categories,
              servers: [...section(st.ini, "servers").subs.values()].map((v) => ({
                name: v.get("name") ?? "",
                displayname: v.get("displayname") ?? v.get("name") ?? "",
                host: v.get("host") ?? "",
                port: Number(v.get("port") ?? 563),
                username: v.get("username") ?? "",
                password: "*****",
                connections: Number(v.get("connections") ?? 8),
                ssl: Number(v.get("ssl") ?? 0),
                enable: Number(v.get("enable") ?? 1),
              })),
              sorters: [],
            };
            if (only !== undefined) {
              const part = config[only];
              if (part === undefined) return error("not implemented");
              return report({ config: { [only]: part } });
            }
            return report({ config });
          }
          case "get_cats":
            return report({ categories: st.categories.map((c) => c.name) });
          case "warnings":
            return report({ warnings });
          case "history":
            return report({ history: { noofslots: 0, ppslots: 0, day_size: "0 B", week_size: "0 B", month_size: "0 B", total_size: "0 B", last_history_update: 1, slots: [] } });
          case "config": {
            if (ctx.query.name !== "create_backup") return error("not implemented");
            if (st.files === undefined) return report({ value: { result: false, message: false } });
            const file = createSabBackup(st.files.dir, misc(st), app.version());
            return report({ value: { result: file !== false, message: file } });
          }
          case "set_config": {
            if (ctx.query.section !== "misc") return error("not implemented");
            const keyword = typeof ctx.query.keyword === "string" ? ctx.query.keyword : "";
            if (!misc(st).has(keyword) || keyword === "api_key") return error("Config item does not exist");
            misc(st).set(keyword, typeof ctx.query.value === "string" ? ctx.query.value : "");
            app.persist();
            return report({ config: { misc: { [keyword]: typedMisc(new Map([[keyword, misc(st).get(keyword) ?? ""]]))[keyword] } } });
          }
          case "restart": {
            // SABnzbd applies an uploaded configuration backup while it restarts.
            const restore = st.pendingRestore;
            if (restore !== undefined && st.files !== undefined) {
              st.pendingRestore = undefined;
              applySabRestore(st.files.dir, restore);
              st.files.iniText = readFileSync(join(st.files.dir, "sabnzbd.ini"), "utf8");
            }
            app.restartSoon();
            return report({ status: true });
          }
          default:
            return error("not implemented");
        }
      },
    },
  ],
  rawRoutes: [
    {
      // interface.py ConfigGeneral.uploadConfig: the backup is kept for the next restart.
      method: "POST",
      pattern: /^\/config\/general\/uploadConfig\/?$/,
      secured: false,
      handle: (ctx) => {
        const boundary = multipartBoundary(Array.isArray(ctx.req.headers["content-type"]) ? ctx.req.headers["content-type"][0] : ctx.req.headers["content-type"]);
        const parts = boundary === undefined ? [] : parseMultipart(ctx.req.bytes, boundary);
        const denied = keyError(ctx.req, parts.find((p) => p.name === "apikey")?.data.toString("utf8"), ctx.app);
        if (denied !== undefined) return denied;
        const refusal = ctx.app.takeRestoreRefusal();
        if (refusal !== undefined) return error(refusal.message ?? "Invalid backup archive");
        const file = parts.find((p) => p.name === "config_backup_file");
        if (file === undefined || !validSabBackup(file.data)) return error("Invalid backup archive");
        ctx.state.pendingRestore = file.data;
        return report({ value: { success: true, restart_req: true } });
      },
    },
    {
      // The web interface root: the readiness probe of the user's manifests lands here.
      method: "GET",
      pattern: /^\/?$/,
      secured: false,
      handle: () => ({ status: 200, text: "<!DOCTYPE html><html><head><title>SABnzbd</title></head><body>SABnzbd</body></html>", contentType: "text/html;charset=utf-8" }),
    },
  ],
  errors: {
    unauthorized: () => ({ status: 403, text: "API Key Incorrect" }),
    // A request outside the documented parameters gets SABnzbd's generic JSON error.
    invalidRequest: (issues) => error(issues.some((i) => i.field === "mode" || i.property === "mode") ? "not implemented" : `invalid parameter: ${issues[0]?.field ?? ""}`),
    notFound: (req) => ({ status: 404, text: `404 Not Found: The path '${req.originalPath}' was not found.`, contentType: "text/html;charset=utf-8" }),
    serverError: (message) => ({ status: 500, text: `500 Internal Server Error: ${message}`, contentType: "text/html;charset=utf-8" }),
  },
  // CherryPy serves the web interface under url_base; the bare root redirects there.
  missingUrlBase: (req, app) =>
    req.originalPath === "/" || req.originalPath === ""
      ? { status: 303, headers: { location: `${app.urlBase}/` } }
      : { status: 404, text: `404 Not Found: The path '${req.originalPath}' was not found.`, contentType: "text/html;charset=utf-8" },
  control: (state, patch) => {
    if (typeof patch.paused === "boolean") {
      state.paused = patch.paused;
      return undefined;
    }
    if (Array.isArray(patch.categories)) {
      state.categories = patch.categories
        .filter((c): c is string => typeof c === "string")
        .map((name, order) => ({ name, order, pp: "", script: "Default", dir: name === "*" ? "" : name, priority: -100 }));
      return undefined;
    }
    return "unknown patch: use paused (boolean) or categories (string[])";
  },
  describe: (state) => ({
    paused: state.paused,
    categories: state.categories.map((c) => c.name),
    queue: state.slots.length,
    restorePending: state.pendingRestore !== undefined,
  }),
});
