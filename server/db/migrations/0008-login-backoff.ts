import "server-only";
import type { Migration } from "./types";

/**
 * Refused logins to apps that ban addresses (qBittorrent), kept across restarts so a restart of the
 * panel does not reset its back-off: one row per address, user name and password, under a keyed
 * hash (never the password itself).
 */
export const migration: Migration = {
  id: 8,
  name: "login back-off",
  sql: `
    CREATE TABLE login_backoff (
      key TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      blocked_until INTEGER NOT NULL,
      reason TEXT,
      updated_at INTEGER NOT NULL
    );
  `,
};
