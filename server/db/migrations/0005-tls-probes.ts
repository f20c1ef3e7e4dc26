import "server-only";
import type { Migration } from "./types";

/** History of the live TLS probes of Ingress hosts and of their HTTPS-only checks (see `server/db/tls-probes.ts`). */
export const migration: Migration = {
  id: 5,
  name: "tls probes and https checks",
  sql: `
    CREATE TABLE tls_probes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      host TEXT NOT NULL,
      at INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('ok', 'warning', 'critical', 'unknown')),
      summary TEXT NOT NULL,
      serial TEXT,
      not_after TEXT,
      probe TEXT NOT NULL
    );
    CREATE INDEX tls_probes_host_at ON tls_probes (host, at);
    CREATE INDEX tls_probes_at ON tls_probes (at);
    CREATE TABLE https_checks (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ingress TEXT NOT NULL,
      host TEXT NOT NULL,
      at INTEGER NOT NULL,
      http_status INTEGER,
      https_status INTEGER,
      hsts TEXT,
      check_json TEXT NOT NULL
    );
    CREATE INDEX https_checks_key_at ON https_checks (ingress, host, at);
    CREATE INDEX https_checks_at ON https_checks (at);
  `,
};
