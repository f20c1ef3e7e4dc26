/**
 * OpenAPI description of the part of Grafana's HTTP API the panel reads without credentials:
 * `GET /api/health`, written from Grafana's sources (`pkg/api/health.go`, `healthResponse`; v11-12)
 * and its published swagger (`public/api-merged.json`, operation `getHealth`). 200 when the database
 * answers, 503 with `database: "failing"` when it does not.
 */
import type { JsonObject } from "../engine/spec";

const health: JsonObject = {
  type: "object",
  required: ["database", "version"],
  properties: {
    commit: { type: "string" },
    database: { type: "string" },
    enterpriseCommit: { type: "string" },
    version: { type: "string" },
  },
};

export const grafanaSpec: JsonObject = {
  openapi: "3.0.3",
  info: { title: "Grafana HTTP API (health)", version: "11.2" },
  paths: {
    "/api/health": {
      get: {
        operationId: "getHealth",
        responses: {
          "200": { description: "The database answers", content: { "application/json": { schema: health } } },
          "503": { description: "The database does not answer", content: { "application/json": { schema: health } } },
        },
      },
    },
  },
};
