/**
 * OpenAPI description of FlareSolverr's HTTP API, written from FlareSolverr's sources
 * (`src/flaresolverr.py`, `src/dtos.py`, `src/flaresolverr_service.py`; v3.5). FlareSolverr
 * publishes no spec.
 */
import type { JsonObject } from "../engine/spec";

const str = { type: "string" };
const num = { type: "number" };

const v1Response: JsonObject = {
  type: "object",
  required: ["status", "message", "startTimestamp", "endTimestamp", "version"],
  properties: {
    status: { type: "string", enum: ["ok", "error"] },
    message: str,
    session: str,
    sessions: { type: "array", items: str },
    startTimestamp: num,
    endTimestamp: num,
    version: str,
    solution: {
      type: "object",
      required: ["url", "status"],
      properties: {
        url: str,
        status: num,
        headers: { type: "object" },
        response: str,
        cookies: { type: "array" },
        userAgent: str,
      },
    },
  },
};

export const flaresolverrSpec: JsonObject = {
  openapi: "3.0.3",
  info: { title: "FlareSolverr API (from the FlareSolverr sources)", version: "3.5" },
  paths: {
    "/": {
      get: {
        responses: {
          "200": {
            description: "Welcome message",
            content: { "application/json": { schema: { type: "object", required: ["msg", "version", "userAgent"], properties: { msg: str, version: str, userAgent: str } } } },
          },
        },
      },
    },
    "/health": {
      get: {
        responses: {
          "200": { description: "Health", content: { "application/json": { schema: { type: "object", required: ["status"], properties: { status: { type: "string", enum: ["ok"] } } } } } },
        },
      },
    },
    "/v1": {
      post: {
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: {
                  cmd: str,
                  url: str,
                  session: str,
                  session_ttl_minutes: { type: "integer" },
                  maxTimeout: { type: "integer", minimum: 0 },
                  cookies: { type: "array" },
                  proxy: { type: "object" },
                  postData: str,
                  returnOnlyCookies: { type: "boolean" },
                  returnScreenshot: { type: "boolean" },
                  waitInSeconds: { type: "integer" },
                  disableMedia: { type: "boolean" },
                  tabs_till_verify: { type: "integer" },
                  headers: { type: "array" },
                  userAgent: str,
                },
              },
            },
          },
        },
        responses: {
          "200": { description: "Command result", content: { "application/json": { schema: v1Response } } },
          "500": { description: "Command failed (`__error_500__`)", content: { "application/json": { schema: v1Response } } },
        },
      },
    },
  },
};
