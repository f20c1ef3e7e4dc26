/**
 * OpenAPI description of the SABnzbd API subset the simulator serves, written from the
 * official API page (`../shared/specs/sabnzbd-api.html`, SABnzbd 5.0 wiki) and SABnzbd's
 * `sabnzbd/api.py` / `sabnzbd/interface.py` for the error answers. SABnzbd publishes no
 * machine-readable description; every field below is named as on that page.
 */
import type { JsonObject } from "../engine/spec";

const str = { type: "string" };
const num = { type: "number" };
const bool = { type: "boolean" };

const queueSlot: JsonObject = {
  type: "object",
  required: ["status", "index", "filename", "cat", "nzo_id", "mb", "mbleft", "percentage", "timeleft", "priority"],
  properties: {
    status: str,
    index: num,
    password: str,
    avg_age: str,
    time_added: num,
    script: str,
    direct_unpack: { type: "string", nullable: true },
    mb: str,
    mbleft: str,
    mbmissing: str,
    size: str,
    sizeleft: str,
    filename: str,
    labels: { type: "array", items: str },
    priority: str,
    cat: str,
    timeleft: str,
    percentage: str,
    nzo_id: str,
    unpackopts: str,
  },
};

export const SABNZBD_MODES = ["version", "auth", "queue", "fullstatus", "status", "get_config", "set_config", "config", "get_cats", "warnings", "history", "restart"] as const;

/** SABnzbd API (subset): one route, `GET /api?mode=...`. */
export const sabnzbdSpec: JsonObject = {
  openapi: "3.0.3",
  info: { title: "SABnzbd API (subset, from the SABnzbd 5.0 API documentation)", version: "5.0" },
  paths: {
    "/api": {
      get: {
        parameters: [
          { name: "mode", in: "query", required: true, schema: { type: "string", enum: [...SABNZBD_MODES] } },
          { name: "output", in: "query", schema: { type: "string", enum: ["json"] } },
          { name: "apikey", in: "query", schema: str },
          { name: "ma_username", in: "query", schema: str },
          { name: "ma_password", in: "query", schema: str },
          { name: "key", in: "query", schema: str },
          { name: "name", in: "query", schema: str },
          { name: "value", in: "query", schema: str },
          { name: "section", in: "query", schema: str },
          { name: "keyword", in: "query", schema: str },
          { name: "start", in: "query", schema: { type: "integer", minimum: 0 } },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 0 } },
          { name: "cat", in: "query", schema: str },
          { name: "category", in: "query", schema: str },
          { name: "search", in: "query", schema: str },
          { name: "nzo_ids", in: "query", schema: str },
          { name: "skip_dashboard", in: "query", schema: { type: "string", enum: ["0", "1"] } },
          { name: "calculate_performance", in: "query", schema: { type: "string", enum: ["0", "1"] } },
        ],
        responses: {
          "200": {
            description: "JSON report (`report()` in sabnzbd/api.py): the data under its keyword, or a status/error report",
            content: {
              "application/json": {
                schema: {
                  anyOf: [
                    { type: "object", required: ["version"], properties: { version: str } },
                    { type: "object", required: ["auth"], properties: { auth: { type: "string", enum: ["apikey", "nzbkey", "badkey", "None", "login"] } } },
                    {
                      type: "object",
                      required: ["queue"],
                      properties: {
                        queue: {
                          type: "object",
                          required: ["status", "paused", "slots", "noofslots", "version", "speed", "kbpersec"],
                          properties: {
                            status: str,
                            speedlimit: str,
                            speedlimit_abs: str,
                            paused: bool,
                            noofslots_total: num,
                            noofslots: num,
                            limit: num,
                            start: num,
                            timeleft: str,
                            speed: str,
                            kbpersec: str,
                            size: str,
                            sizeleft: str,
                            mb: str,
                            mbleft: str,
                            slots: { type: "array", items: queueSlot },
                            diskspace1: str,
                            diskspace2: str,
                            diskspacetotal1: str,
                            diskspacetotal2: str,
                            diskspace1_norm: str,
                            diskspace2_norm: str,
                            have_warnings: str,
                            pause_int: str,
                            left_quota: str,
                            version: str,
                            finish: num,
                            cache_art: str,
                            cache_size: str,
                            finishaction: { type: "string", nullable: true },
                            paused_all: bool,
                            quota: str,
                            have_quota: bool,
                          },
                        },
                      },
                    },
                    {
                      type: "object",
                      required: ["status"],
                      properties: {
                        status: {
                          type: "object",
                          required: ["localipv4", "servers", "warnings"],
                          properties: {
                            localipv4: str,
                            ipv6: { type: "string", nullable: true },
                            publicipv4: { type: "string", nullable: true },
                            dnslookup: { type: "string", nullable: true },
                            folders: { type: "array", items: str },
                            cpumodel: str,
                            pystone: num,
                            loadavg: str,
                            downloaddir: str,
                            downloaddirspeed: num,
                            completedir: str,
                            completedirspeed: num,
                            loglevel: str,
                            logfile: str,
                            configfn: str,
                            nt: bool,
                            darwin: bool,
                            confighelpuri: str,
                            uptime: str,
                            color_scheme: str,
                            webdir: str,
                            active_lang: str,
                            restart_req: bool,
                            power_options: bool,
                            pp_pause_event: bool,
                            pid: num,
                            weblogfile: { type: "string", nullable: true },
                            new_release: { oneOf: [bool, str] },
                            new_rel_url: { type: "string", nullable: true },
                            have_warnings: str,
                            warnings: { type: "array" },
                            servers: { type: "array", items: { type: "object", required: ["servername", "serveractive"], properties: { servername: str, serveractive: bool, servererror: str } } },
                          },
                        },
                      },
                    },
                    {
                      type: "object",
                      required: ["config"],
                      properties: {
                        config: {
                          type: "object",
                          properties: {
                            misc: { type: "object" },
                            categories: { type: "array", items: { type: "object", required: ["name", "dir"], properties: { name: str, order: num, pp: str, script: str, dir: str, priority: num } } },
                            servers: { type: "array" },
                            sorters: { type: "array" },
                          },
                        },
                      },
                    },
                    { type: "object", required: ["categories"], properties: { categories: { type: "array", items: str } } },
                    {
                      type: "object",
                      required: ["warnings"],
                      properties: { warnings: { type: "array", items: { type: "object", required: ["text", "type", "time"], properties: { text: str, type: str, time: num } } } },
                    },
                    { type: "object", required: ["history"], properties: { history: { type: "object", required: ["slots"], properties: { slots: { type: "array" } } } } },
                    {
                      // `config&name=create_backup` (`_api_config_create_backup`): the archive's path, or false.
                      type: "object",
                      required: ["value"],
                      properties: {
                        value: {
                          type: "object",
                          required: ["result", "message"],
                          properties: { result: bool, message: { oneOf: [str, { type: "boolean", enum: [false] }] } },
                        },
                      },
                    },
                    { type: "object", required: ["status"], properties: { status: { type: "boolean", enum: [true] } } },
                    { type: "object", required: ["status", "error"], properties: { status: { type: "boolean", enum: [false] }, error: str } },
                  ],
                },
              },
            },
          },
          "403": { description: "API key missing or wrong: plain text `API Key Required` / `API Key Incorrect`", content: { "text/plain": { schema: str } } },
        },
      },
    },
  },
};
