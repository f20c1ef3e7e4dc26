import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Role } from "@/lib/roles";
import type { PanelDb } from "./open";
import { sessions } from "./schema-sessions";

/** A session as the database holds it. */
export type SessionRow = typeof sessions.$inferSelect;

/** The database key of a session id: its SHA-256, so the table alone cannot be turned into cookies. */
function keyOf(sessionId: string): string {
  return createHash("sha256").update(sessionId).digest("base64url");
}

/** What a new session needs. */
export interface NewSession {
  userId: string;
  name: string;
  provider: SessionRow["provider"];
  role: Role;
  lifetimeMs: number;
  credentialTag?: string;
  oidcTokens?: string;
}

/** Creates a session and returns its id (random, 256 bits): the value the session token carries. */
export function createSession(db: PanelDb, s: NewSession, now = Date.now()): string {
  const sessionId = randomBytes(32).toString("base64url");
  db.insert(sessions)
    .values({
      id: keyOf(sessionId),
      userId: s.userId,
      name: s.name,
      provider: s.provider,
      role: s.role,
      createdAt: now,
      expiresAt: now + s.lifetimeMs,
      checkedAt: now,
      credentialTag: s.credentialTag ?? null,
      oidcTokens: s.oidcTokens ?? null,
    })
    .run();
  return sessionId;
}

/** The session when it exists, is not revoked and has not expired. */
export function readLiveSession(db: PanelDb, sessionId: string, now = Date.now()): SessionRow | undefined {
  const row = db.select().from(sessions).where(eq(sessions.id, keyOf(sessionId))).get();
  if (!row || row.revokedAt !== null || row.expiresAt <= now) return undefined;
  return row;
}

/** Ends a session (sign-out, lost role); a no-op for an unknown or ended one. */
export function revokeSession(db: PanelDb, sessionId: string, now = Date.now()): void {
  db.update(sessions).set({ revokedAt: now }).where(and(eq(sessions.id, keyOf(sessionId)), isNull(sessions.revokedAt))).run();
}

/** Records a confirmed role (and new OIDC tokens when they were refreshed). */
export function confirmSession(db: PanelDb, sessionId: string, update: { role: Role; checkedAt: number; oidcTokens?: string }): void {
  db.update(sessions)
    .set({ role: update.role, checkedAt: update.checkedAt, ...(update.oidcTokens !== undefined ? { oidcTokens: update.oidcTokens } : {}) })
    .where(eq(sessions.id, keyOf(sessionId)))
    .run();
}

/** Deletes sessions that ended more than a day ago; returns how many. */
export function pruneSessions(db: PanelDb, now = Date.now()): number {
  const dayAgo = now - 86_400_000;
  return db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, dayAgo), lt(sessions.revokedAt, dayAgo)))
    .run().changes;
}
