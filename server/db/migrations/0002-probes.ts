import "server-only";
import type { Migration } from "./types";

/** Probe history: raw results, per-minute and per-hour counters (see `schema-probes.ts`). */
export const migration: Migration = {
  id: 2,
  name: "probe results and rollups",
  sql: `
    CREATE TABLE probe_results (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      service_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('up', 'degraded', 'down', 'unknown')),
      app_status TEXT CHECK (app_status IN ('up', 'degraded', 'down', 'unknown')),
      latency_ms REAL,
      version TEXT,
      error_code TEXT,
      detail TEXT,
      checks TEXT
    );
    CREATE INDEX probe_results_service_at ON probe_results (service_id, at);
    CREATE INDEX probe_results_at ON probe_results (at);
    CREATE TABLE probe_minutes (
      service_id TEXT NOT NULL,
      minute INTEGER NOT NULL,
      up INTEGER NOT NULL DEFAULT 0,
      degraded INTEGER NOT NULL DEFAULT 0,
      down INTEGER NOT NULL DEFAULT 0,
      unknown INTEGER NOT NULL DEFAULT 0,
      latency_count INTEGER NOT NULL DEFAULT 0,
      latency_sum REAL NOT NULL DEFAULT 0,
      latency_max REAL,
      PRIMARY KEY (service_id, minute)
    ) WITHOUT ROWID;
    CREATE INDEX probe_minutes_minute ON probe_minutes (minute);
    CREATE TABLE probe_hours (
      service_id TEXT NOT NULL,
      hour INTEGER NOT NULL,
      up INTEGER NOT NULL DEFAULT 0,
      degraded INTEGER NOT NULL DEFAULT 0,
      down INTEGER NOT NULL DEFAULT 0,
      unknown INTEGER NOT NULL DEFAULT 0,
      latency_count INTEGER NOT NULL DEFAULT 0,
      latency_sum REAL NOT NULL DEFAULT 0,
      latency_max REAL,
      PRIMARY KEY (service_id, hour)
    ) WITHOUT ROWID;
    CREATE INDEX probe_hours_hour ON probe_hours (hour);
  `,
};
