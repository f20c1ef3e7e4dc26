/**
 * Grafana simulator (v11.2): `GET /api/health`, the unauthenticated endpoint Grafana's own probes
 * and the panel read (its database state and version). Spec: `./specs/grafana.ts`. Served under the
 * sub-path of `GF_SERVER_ROOT_URL` when `GF_SERVER_SERVE_FROM_SUB_PATH` is set, as Grafana does
 * (the lab's discovery reads it). A failing Grafana is the engine's faults (down, slow, HTTP errors,
 * malformed JSON). Unknown paths: Grafana's JSON 404.
 */
import { defineSim } from "./engine/sim-app";
import { grafanaSpec } from "./specs/grafana";

type GrafanaState = Record<string, never>;

const COMMIT = "03f502a94d";

export const grafanaSim = defineSim<GrafanaState>({
  kind: "grafana",
  title: "Grafana",
  spec: { document: grafanaSpec },
  defaultVersion: "11.2.0",
  createState: () => ({}),
  authorize: () => true,
  operations: [
    {
      method: "get",
      path: "/api/health",
      handle: (ctx) => ({ status: 200, json: { commit: COMMIT, database: "ok", version: ctx.app.version() } }),
    },
  ],
  errors: {
    unauthorized: () => ({ status: 401, json: { message: "Unauthorized" } }),
    invalidRequest: (issues) => ({ status: 400, json: { message: issues.map((i) => i.message).join(", ") } }),
    notFound: () => ({ status: 404, json: { message: "Not found" } }),
    serverError: (message) => ({ status: 500, json: { message } }),
  },
  describe: () => ({}),
});
