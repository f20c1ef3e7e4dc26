import "server-only";
import pino from "pino";

/**
 * Paths redacted from every log line. Secrets must never reach the logs, even by accident in an
 * error's context object.
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "*.*.password",
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "*.*.apiKey",
  "apikey",
  "*.apikey",
  "secret",
  "*.secret",
  "clientSecret",
  "*.clientSecret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "*.headers[\"x-api-key\"]",
  "cookie",
  "*.cookie",
];

/** The panel's structured JSON logger (no transports: worker threads break in the standalone build). */
export const logger = pino({
  level: process.env.PANEL_LOG_LEVEL ?? "info",
  base: { app: "k8s-nas-panel" },
  redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  timestamp: pino.stdTimeFunctions.isoTime,
});
