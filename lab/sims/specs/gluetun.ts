/**
 * OpenAPI description of Gluetun's HTTP control server, written from the official wiki page
 * (`../shared/specs/gluetun-control-server.md`) and the routes and JSON shapes in qdm12/gluetun
 * (`internal/server/*.go`, `internal/models/publicip.go`; v3.41). Gluetun publishes no spec.
 */
import type { JsonObject } from "../engine/spec";

const str = { type: "string" };
const status = { type: "object", required: ["status"], properties: { status: str }, additionalProperties: false };
const statusBody = {
  required: true,
  content: { "application/json": { schema: { type: "object", required: ["status"], properties: { status: { type: "string", enum: ["running", "stopped"] } } } } },
};
const outcome = { type: "object", required: ["outcome"], properties: { outcome: str }, additionalProperties: false };
const json = (schema: JsonObject) => ({ "200": { description: "OK", content: { "application/json": { schema } } } });
const secured = [{ apiKey: [] }];

export const gluetunSpec: JsonObject = {
  openapi: "3.0.3",
  info: { title: "Gluetun HTTP control server (from the gluetun wiki and sources)", version: "v3.41" },
  security: secured,
  components: { securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "X-API-Key" } } },
  paths: {
    "/v1/version": {
      get: { responses: json({ type: "object", required: ["version"], properties: { version: str, commit: str, created: str } }) },
    },
    "/v1/vpn/status": {
      get: { responses: json(status) },
      put: { requestBody: statusBody, responses: json(outcome) },
    },
    "/v1/vpn/settings": { get: { responses: json({ type: "object" }) } },
    "/v1/openvpn/status": {
      get: { responses: json(status) },
      put: { requestBody: statusBody, responses: json(outcome) },
    },
    "/v1/openvpn/portforwarded": { get: { responses: json({ type: "object", required: ["port"], properties: { port: { type: "integer" } } }) } },
    "/v1/dns/status": {
      get: { responses: json(status) },
      put: { requestBody: statusBody, responses: json(outcome) },
    },
    "/v1/updater/status": {
      get: { responses: json(status) },
      put: { requestBody: statusBody, responses: json(outcome) },
    },
    "/v1/publicip/ip": {
      get: {
        responses: json({
          type: "object",
          required: ["public_ip"],
          properties: {
            public_ip: str,
            region: str,
            country: str,
            city: str,
            hostname: str,
            location: str,
            organization: str,
            postal_code: str,
            timezone: str,
          },
          additionalProperties: false,
        }),
      },
    },
    "/v1/portforward": {
      get: {
        responses: json({
          type: "object",
          required: ["port", "ports"],
          properties: { port: { type: "integer" }, ports: { type: "array", items: { type: "integer", minimum: 1, maximum: 65535 } } },
          additionalProperties: false,
        }),
      },
      put: {
        requestBody: {
          required: true,
          content: { "application/json": { schema: { type: "object", required: ["ports"], properties: { ports: { type: "array", items: { type: "integer", minimum: 1, maximum: 65535 } } } } } },
        },
        responses: { "200": { description: "OK (empty body)" } },
      },
    },
  },
};
