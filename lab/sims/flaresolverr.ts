/**
 * FlareSolverr simulator (v3.5): `GET /` (welcome), `GET /health`, `POST /v1` commands
 * `sessions.create|list|destroy` and `request.get|post` (answered without a browser: the
 * solution is a small page with status 200). Spec: `./specs/flaresolverr.ts`. Errors as
 * FlareSolverr's `controller_v1_endpoint`: HTTP 500 with `{status: "error", message: "Error: ..."}`;
 * unknown paths as Bottle's JSON 404 (`{error, status_code}`). No authentication.
 */
import { randomUUID } from "node:crypto";
import { defineSim } from "./engine/sim-app";
import type { JsonObject } from "./engine/spec";
import { isObject } from "./engine/spec";
import type { SimResponse } from "./engine/types";
import { flaresolverrSpec } from "./specs/flaresolverr";

interface FlareState {
  sessions: string[];
}

const USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";

function v1(version: string, start: number, body: JsonObject, error = false): SimResponse {
  return { status: error ? 500 : 200, json: { status: error ? "error" : "ok", message: "", startTimestamp: start, endTimestamp: Date.now(), version, ...body } };
}

export const flaresolverrSim = defineSim<FlareState>({
  kind: "flaresolverr",
  title: "FlareSolverr",
  spec: { document: flaresolverrSpec },
  defaultVersion: "3.5.0",
  createState: () => ({ sessions: [] }),
  authorize: () => true,
  operations: [
    { method: "get", path: "/", handle: (ctx) => ({ status: 200, json: { msg: "FlareSolverr is ready!", version: ctx.app.version(), userAgent: USER_AGENT } }) },
    { method: "get", path: "/health", handle: () => ({ status: 200, json: { status: "ok" } }) },
    {
      method: "post",
      path: "/v1",
      handle: (ctx) => {
        const start = Date.now();
        const version = ctx.app.version();
        const req = isObject(ctx.body) ? ctx.body : {};
        const cmd = req.cmd;
        const fail = (message: string) => v1(version, start, { message: `Error: ${message}` }, true);
        if (typeof cmd !== "string" || cmd === "") return fail("Request parameter 'cmd' is mandatory.");
        switch (cmd) {
          case "sessions.create": {
            const id = typeof req.session === "string" && req.session !== "" ? req.session : randomUUID();
            if (ctx.state.sessions.includes(id)) return v1(version, start, { message: "Session already exists.", session: id });
            ctx.state.sessions.push(id);
            return v1(version, start, { message: "Session created successfully.", session: id });
          }
          case "sessions.list":
            return v1(version, start, { sessions: [...ctx.state.sessions] });
          case "sessions.destroy": {
            const id = typeof req.session === "string" ? req.session : "";
            if (!ctx.state.sessions.includes(id)) return fail("The session doesn't exist.");
            ctx.state.sessions = ctx.state.sessions.filter((s) => s !== id);
            return v1(version, start, { message: "The session has been removed." });
          }
          case "request.get":
          case "request.post": {
            if (typeof req.url !== "string" || req.url === "") return fail(`Request parameter 'url' is mandatory in '${cmd}' command.`);
            if (cmd === "request.post" && typeof req.postData !== "string") return fail("Request parameter 'postData' is mandatory in 'request.post' command.");
            return v1(version, start, {
              message: "Challenge not detected!",
              solution: { url: req.url, status: 200, headers: {}, response: "<html><head></head><body>ok</body></html>", cookies: [], userAgent: USER_AGENT },
            });
          }
          default:
            return fail(`Request parameter 'cmd' = '${cmd}' is invalid.`);
        }
      },
    },
  ],
  errors: {
    unauthorized: () => ({ status: 401, json: { error: "Unauthorized", status_code: 401 } }),
    invalidRequest: (issues) => ({
      status: 500,
      json: { status: "error", message: `Error: ${issues.map((i) => `${i.field || i.location} ${i.message}`).join(", ")}`, startTimestamp: Date.now(), endTimestamp: Date.now(), version: "3.5.0" },
    }),
    notFound: (req) => ({ status: 404, json: { error: `Not found: '${req.path}'`, status_code: 404 } }),
    serverError: (message) => ({ status: 500, json: { error: message, status_code: 500 } }),
  },
  describe: (state) => ({ sessions: state.sessions.length }),
});
