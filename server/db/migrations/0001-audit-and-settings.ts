import "server-only";
import type { Migration } from "./types";

/** The first tables: the audit log and the panel's settings. */
export const migration: Migration = {
    id: 1,
    name: "audit_events and settings",
    sql: `
      CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        input_summary TEXT,
        result TEXT NOT NULL CHECK (result IN ('ok', 'error', 'refused')),
        error_code TEXT,
        error_message TEXT,
        links TEXT
      );
      CREATE INDEX audit_events_at ON audit_events (at);
      CREATE INDEX audit_events_action ON audit_events (action);
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  };
