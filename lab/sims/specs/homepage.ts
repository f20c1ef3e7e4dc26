/**
 * OpenAPI description of the endpoint of Homepage (gethomepage.dev) the panel reads, written from
 * Homepage's sources (`src/pages/api/healthcheck.js`: `res.send("up")`; v1). Homepage publishes no spec.
 */
import type { JsonObject } from "../engine/spec";

export const homepageSpec: JsonObject = {
  openapi: "3.0.3",
  info: { title: "Homepage healthcheck (from the Homepage sources)", version: "1" },
  paths: {
    "/api/healthcheck": {
      get: {
        operationId: "healthcheck",
        responses: { "200": { description: "Homepage is up", content: { "text/plain": { schema: { type: "string", enum: ["up"] } } } } },
      },
    },
  },
};
