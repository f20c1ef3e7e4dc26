import "server-only";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Signed-in sessions. The cookie holds an encrypted token naming the session; this row says whether
 * it still stands: sign-out revokes it, and its role is re-read from the configuration (local
 * accounts) or the identity provider (single sign-on) while it lives. `id` is the SHA-256 of the
 * session id, so the database alone cannot be used to forge a cookie.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    name: text("name").notNull(),
    provider: text("provider", { enum: ["local", "oidc"] }).notNull(),
    role: text("role", { enum: ["admin", "viewer"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    /** Last time the role was confirmed with the identity provider (OIDC); the sign-in for local accounts. */
    checkedAt: integer("checked_at").notNull(),
    /** Local accounts: a fingerprint of the password hash, so a password change ends older sessions. */
    credentialTag: text("credential_tag"),
    /** OIDC: the access and refresh tokens, encrypted with a key derived from AUTH_SECRET. */
    oidcTokens: text("oidc_tokens"),
  },
  (t) => [index("sessions_expires_at").on(t.expiresAt), index("sessions_user_id").on(t.userId)],
);
