import "server-only";
import { createHmac, hkdfSync } from "node:crypto";
import type { PanelDb } from "./open";

/** Where a client stands after refused logins: how many, and until when it waits. */
export interface LoginBackoffState {
  failures: number;
  blockedUntil: number;
  reason?: string;
}

/** Keeps a client's refused logins beyond the life of the process (by login key, see {@link loginKey}). */
export interface LoginBackoffStore {
  read(key: string): LoginBackoffState | undefined;
  write(key: string, state: LoginBackoffState): void;
  clear(key: string): void;
}

/** Rows untouched this long are dropped (credentials changed long ago). */
const KEEP_MS = 30 * 24 * 3_600_000;

/**
 * The key of one login (address, user name, password) under an HMAC whose key is derived from
 * `secret` (AUTH_SECRET): the database holds no password and no plain hash of one, and a changed
 * password is a new key (tried at once).
 */
export function loginKey(parts: { baseUrl: string; username: string; password: string }, secret: string): string {
  const key = Buffer.from(hkdfSync("sha256", secret, "k8s-nas-panel", "login-backoff-v1", 32));
  return createHmac("sha256", key).update([parts.baseUrl, parts.username, parts.password].join("\0")).digest("base64url");
}

/** The store in the panel's database. */
export function sqliteLoginBackoff(db: PanelDb, now: () => number = Date.now): LoginBackoffStore {
  const client = db.$client;
  return {
    read(key) {
      const row = client.prepare("SELECT failures, blocked_until, reason FROM login_backoff WHERE key = ?").get(key) as
        | { failures: number; blocked_until: number; reason: string | null }
        | undefined;
      if (!row) return undefined;
      return { failures: row.failures, blockedUntil: row.blocked_until, ...(row.reason !== null ? { reason: row.reason } : {}) };
    },
    write(key, state) {
      const at = now();
      client.transaction(() => {
        client
          .prepare(
            "INSERT INTO login_backoff (key, failures, blocked_until, reason, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until, reason = excluded.reason, updated_at = excluded.updated_at",
          )
          .run(key, state.failures, state.blockedUntil, state.reason ?? null, at);
        client.prepare("DELETE FROM login_backoff WHERE updated_at < ?").run(at - KEEP_MS);
      })();
    },
    clear(key) {
      client.prepare("DELETE FROM login_backoff WHERE key = ?").run(key);
    },
  };
}
