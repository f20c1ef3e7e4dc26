import "server-only";
import { createHash } from "node:crypto";
import type { PanelConfig } from "@/lib/config-schema";
import type { Role, SessionUser } from "@/lib/roles";
import { recordAuditEvent } from "@/server/db/audit";
import type { PanelDb } from "@/server/db/open";
import { confirmSession, createSession, readLiveSession, revokeSession, type SessionRow } from "@/server/db/sessions";
import { logger } from "@/server/observability/logger";
import { recheckOidcRole, type OidcTokens, type RecheckResult } from "./oidc-recheck";
import { openText, sealText } from "./token-box";

/**
 * Whether a session still stands, checked on every request:
 * - local accounts: the account must still be in the configuration with the same password hash,
 *   and its role is the one the configuration gives now (a removed or demoted account loses access
 *   at the next request after the panel restarts with the new configuration);
 * - single sign-on: the role is re-read from the identity provider every `auth.oidc.recheckSeconds`
 *   (see oidc-recheck.ts); when the provider cannot be asked, the last role holds for up to three
 *   intervals, then the session ends;
 * - every session ends at sign-out and `auth.sessionHours` after the sign-in, however active.
 */

export interface SessionDeps {
  db: PanelDb;
  config: PanelConfig;
  env: Record<string, string | undefined>;
  now?: number;
  recheck?: (oidc: NonNullable<PanelConfig["auth"]["oidc"]>, clientSecret: string, tokens: OidcTokens) => Promise<RecheckResult>;
}

/** A short fingerprint of a password hash: a changed password ends the sessions made with the old one. */
export function credentialTagOf(hash: string): string {
  return createHash("sha256").update(hash).digest("base64url").slice(0, 22);
}

/** What a sign-in knows when its session is created. */
export type SignedIn =
  | { provider: "local"; username: string; role: Role }
  | { provider: "oidc"; userId: string; name: string; role: Role; tokens?: OidcTokens };

/** Creates the server-side session of a sign-in; returns the id the session token carries. */
export function startSession(deps: SessionDeps, who: SignedIn): string {
  const lifetimeMs = deps.config.auth.sessionHours * 3_600_000;
  const now = deps.now ?? Date.now();
  if (who.provider === "local") {
    const user = deps.config.auth.localUsers.find((u) => u.username === who.username);
    const hash = user ? deps.env[user.passwordHashEnv] : undefined;
    return createSession(
      deps.db,
      { userId: `local:${who.username}`, name: who.username, provider: "local", role: who.role, lifetimeMs, credentialTag: hash ? credentialTagOf(hash) : undefined },
      now,
    );
  }
  const secret = deps.env.AUTH_SECRET ?? "";
  return createSession(
    deps.db,
    {
      userId: who.userId,
      name: who.name,
      provider: "oidc",
      role: who.role,
      lifetimeMs,
      oidcTokens: who.tokens ? sealText(JSON.stringify(who.tokens), secret) : undefined,
    },
    now,
  );
}

const inFlight = new Map<string, Promise<SessionUser | null>>();

function end(deps: SessionDeps, sessionId: string, row: SessionRow, reason: string): null {
  revokeSession(deps.db, sessionId, deps.now);
  recordAuditEvent(deps.db, { actor: row.name, role: row.role, action: "auth.session_ended", target: row.provider, result: "refused", errorCode: "forbidden", errorMessage: reason });
  logger.info({ user: row.name, provider: row.provider, reason }, "session ended");
  return null;
}

function userOf(row: SessionRow, role: Role): SessionUser {
  return { id: row.userId, name: row.name, role };
}

async function recheckOidc(deps: SessionDeps, sessionId: string, row: SessionRow, now: number): Promise<SessionUser | null> {
  const oidc = deps.config.auth.oidc;
  if (!oidc) return end(deps, sessionId, row, "single sign-on is no longer configured");
  const secret = deps.env.AUTH_SECRET ?? "";
  const opened = row.oidcTokens ? openText(row.oidcTokens, secret) : undefined;
  if (!opened) return end(deps, sessionId, row, "the session holds no token to re-check the groups with");
  const tokens = JSON.parse(opened) as OidcTokens;
  const result = await (deps.recheck ?? recheckOidcRole)(oidc, deps.env[oidc.clientSecretEnv] ?? "", tokens);
  if (result.verdict === "ended") return end(deps, sessionId, row, result.reason);
  if (result.verdict === "unavailable") {
    if (now - row.checkedAt > 3 * oidc.recheckSeconds * 1000) {
      return end(deps, sessionId, row, `the identity provider could not confirm the groups for too long (${result.reason})`);
    }
    logger.warn({ user: row.name, reason: result.reason }, "could not re-check single sign-on groups; keeping the last role for now");
    return userOf(row, row.role);
  }
  if (result.role !== row.role) logger.info({ user: row.name, from: row.role, to: result.role }, "single sign-on role changed");
  confirmSession(deps.db, sessionId, {
    role: result.role,
    checkedAt: now,
    oidcTokens: JSON.stringify(result.tokens) === opened ? undefined : sealText(JSON.stringify(result.tokens), secret),
  });
  return userOf(row, result.role);
}

/** The user of a live session, with the role it has now; null when the session no longer stands. */
export async function checkSession(deps: SessionDeps, sessionId: string): Promise<SessionUser | null> {
  const now = deps.now ?? Date.now();
  const row = readLiveSession(deps.db, sessionId, now);
  if (!row) return null;
  if (row.provider === "local") {
    const username = row.userId.replace(/^local:/, "");
    const user = deps.config.auth.localUsers.find((u) => u.username === username);
    if (!user) return end(deps, sessionId, row, "the account is no longer in the configuration");
    const hash = deps.env[user.passwordHashEnv];
    if (!hash || credentialTagOf(hash) !== row.credentialTag) return end(deps, sessionId, row, "the account's password changed");
    if (user.role !== row.role) confirmSession(deps.db, sessionId, { role: user.role, checkedAt: now });
    return userOf(row, user.role);
  }
  const recheckMs = (deps.config.auth.oidc?.recheckSeconds ?? 0) * 1000;
  if (deps.config.auth.oidc && now - row.checkedAt < recheckMs) return userOf(row, row.role);
  // One re-check per session at a time; parallel requests wait for it.
  const pending = inFlight.get(sessionId);
  if (pending) return pending;
  const check = recheckOidc(deps, sessionId, row, now).finally(() => inFlight.delete(sessionId));
  inFlight.set(sessionId, check);
  return check;
}

/** Ends a session at sign-out. */
export function endSession(db: PanelDb, sessionId: string): void {
  revokeSession(db, sessionId);
}
