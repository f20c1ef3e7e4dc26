import "server-only";
import type { Migration } from "./types";

/**
 * The readiness history: a service's score (and the stack's, under the empty service id) when it
 * changed, and at least once a day it was computed, for the trend on the Readiness page.
 */
export const migration: Migration = {
  id: 9,
  name: "readiness history",
  sql: `
    CREATE TABLE readiness_history (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      service TEXT NOT NULL,
      day TEXT NOT NULL,
      at INTEGER NOT NULL,
      passed INTEGER NOT NULL,
      applicable INTEGER NOT NULL,
      percent INTEGER NOT NULL
    );
    CREATE INDEX readiness_history_service_at ON readiness_history (service, at);
  `,
};
