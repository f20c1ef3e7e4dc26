/**
 * SABnzbd simulator: `GET <url_base>/api?mode=...&apikey=...&output=json` for the modes the
 * panel and the *arr download-client tests use (version, auth, queue, fullstatus/status,
 * get_config, get_cats, warnings, history). Spec: `./specs/sabnzbd.ts` (from the SABnzbd 5.0
 * API page). Key checks and error answers follow `sabnzbd/interface.py`: `version` and `auth`
 * need no key; a missing or wrong key is a 403 with the plain-text reason.
 */
import { defineSim } from "./engine/sim-app";
import type { JsonObject } from "./engine/spec";
import type { SimResponse } from "./engine/types";
import { sabnzbdSpec } from "./specs/sabnzbd";

interface SabState {
  startTime: number;
  paused: boolean;
  categories: { name: string; order: number; pp: string; script: string; dir: string; priority: number }[];
  slots: JsonObject[];
  nzbKey: string;
}

const CATEGORIES = ["*", "movies", "tv", "music", "prowlarr"];

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
    categories: CATEGORIES.map((name, order) => ({ name, order, pp: name === "*" ? "3" : "", script: name === "*" ? "None" : "Default", dir: name === "*" ? "" : name, priority: name === "*" ? 0 : -100 })),
    slots: [],
    nzbKey: `${settings.apiKey ?? "nzb"}-nzb`.slice(0, 32),
  }),
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
            return report({ auth: k === "" ? "apikey" : k === app.apiKey ? "apikey" : k === st.nzbKey ? "nzbkey" : "badkey" });
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
            const section = typeof ctx.query.section === "string" ? ctx.query.section : undefined;
            const config: JsonObject = {
              misc: {
                url_base: app.urlBase,
                host_whitelist: "home.brettswift.com, home.brettswift.com:443, localhost, 127.0.0.1, sabnzbd, sabnzbd.media.svc.cluster.local",
                download_dir: "/data/usenet/incomplete",
                complete_dir: "/data/usenet/complete",
                pre_check: 0,
                history_retention_option: "all",
                enable_tv_sorting: 0,
                enable_movie_sorting: 0,
                enable_date_sorting: 0,
                port: "8080",
              },
              categories: st.categories,
              servers: [{ name: "news.example.net", displayname: "news.example.net", host: "news.example.net", port: 563, username: "user", password: "*****", connections: 20, ssl: 1, enable: 1 }],
              sorters: [],
            };
            if (section !== undefined) {
              const only = config[section];
              if (only === undefined) return error("not implemented");
              return report({ config: { [section]: only } });
            }
            return report({ config });
          }
          case "get_cats":
            return report({ categories: st.categories.map((c) => c.name) });
          case "warnings":
            return report({ warnings });
          case "history":
            return report({ history: { noofslots: 0, ppslots: 0, day_size: "0 B", week_size: "0 B", month_size: "0 B", total_size: "0 B", last_history_update: 1, slots: [] } });
          default:
            return error("not implemented");
        }
      },
    },
  ],
  rawRoutes: [
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
  describe: (state) => ({ paused: state.paused, categories: state.categories.map((c) => c.name), queue: state.slots.length }),
});
