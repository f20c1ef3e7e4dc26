import "server-only";
import type { Migration } from "./types";

/**
 * Server-side sessions (so a sign-out, a removed account or a lost group ends a session at once) and
 * repeat counts on audit events (a flood of failed sign-ins becomes one row per client and window).
 */
export const migration: Migration = {
  id: 4,
  name: "sessions and audit repeat counts",
  sql: `
    CREATE TABLE sessions (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      name TEXT NOT NULL,
      provider TEXT NOT NULL CHECK (provider IN ('local', 'oidc')),
      role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER,
      checked_at INTEGER NOT NULL,
      credential_tag TEXT,
      oidc_tokens TEXT
    );
    CREATE INDEX sessions_expires_at ON sessions (expires_at);
    CREATE INDEX sessions_user_id ON sessions (user_id);
    ALTER TABLE audit_events ADD COLUMN repeat_count INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE audit_events ADD COLUMN first_at INTEGER;
  `,
};
