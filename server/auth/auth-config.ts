import "server-only";
import type { NextAuthConfig } from "next-auth";
import { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import type { PanelConfig } from "@/lib/config-schema";
import { throttleKeyOf } from "@/lib/net/addresses";
import { isRole, type Role } from "@/lib/roles";
import { roleFromClaims } from "@/lib/oidc-roles";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { recordAuditEvent, recordRepeatedAuditEvent } from "@/server/db/audit";
import { requestOrigin } from "@/server/net/forwarded";
import { logger } from "@/server/observability/logger";
import { verifyPassword } from "./password";
import { endSession, startSession } from "./session-check";
import { SignInThrottle, type RefusalReason } from "./throttle";

/** Sign-in refused because of too many failures; the code reaches the login page as `?code=rate_limited`. */
export class RateLimitedSignin extends CredentialsSignin {
  override code = "rate_limited";
  /** Seconds until the client may try again. */
  retryAfterSeconds = 60;
}

const credentialsInput = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

/** Failed sign-ins of one client and account within this window share one audit row. */
const AUDIT_FOLD_MS = 10 * 60_000;

const holder = globalThis as typeof globalThis & { __panelThrottle?: SignInThrottle };

function throttle(config: PanelConfig): SignInThrottle {
  const windowMs = config.auth.lockoutMinutes * 60_000;
  holder.__panelThrottle ??= new SignInThrottle({
    freeFailures: config.auth.maxFailedLogins,
    maxDelayMs: windowMs,
    memoryMs: windowMs,
    attemptsPerMinute: config.auth.signInAttemptsPerMinute,
  });
  return holder.__panelThrottle;
}

// A valid hash of a random password: verifying against it costs the same time as a real account,
// so response time does not reveal which usernames exist.
const DUMMY_HASH =
  "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$0CHt3z3+0gkEuOSFqPxQ9ak7k1d6Mh4T8QWgv3Xcgmw=";

const REFUSALS: Record<RefusalReason, string> = {
  client: "Too many failed sign-ins from this address for this account",
  address: "Too many failed sign-ins from this address",
  busy: "Too many sign-in attempts on the panel right now; this address has failed recently",
};

async function authorizeLocal(raw: unknown, request: Request | undefined) {
  const config = getConfig();
  const parsed = credentialsInput.safeParse(raw);
  if (!parsed.success) return null;
  const { username, password } = parsed.data;
  const { address } = requestOrigin(request?.headers);
  const db = getDb();
  const verdict = throttle(config).begin(username, throttleKeyOf(address));
  if (!verdict.ok) {
    // Refusals cost no password check; they are folded per address so a flood adds no rows.
    const folded = recordRepeatedAuditEvent(
      db,
      {
        actor: verdict.reason === "client" ? username : "(any account)",
        role: "anonymous",
        action: "auth.sign_in",
        target: address,
        result: "refused",
        errorCode: "rate_limited",
        errorMessage: REFUSALS[verdict.reason],
      },
      AUDIT_FOLD_MS,
    );
    if (folded.repeatCount === 1) logger.warn({ username, address, reason: verdict.reason }, "sign-in refused: too many failures");
    const refusal = new RateLimitedSignin();
    refusal.retryAfterSeconds = verdict.retryAfterSeconds;
    throw refusal;
  }
  let success = false;
  try {
    if (verdict.waitMs > 0) await new Promise((r) => setTimeout(r, verdict.waitMs));
    const user = config.auth.localUsers.find((u) => u.username === username);
    const hash = user ? process.env[user.passwordHashEnv] : undefined;
    const valid = await verifyPassword(password, hash ?? DUMMY_HASH);
    if (!user || !hash || !valid) {
      const folded = recordRepeatedAuditEvent(
        db,
        {
          actor: username,
          role: "anonymous",
          action: "auth.sign_in",
          target: address,
          result: "error",
          errorCode: "unauthorized",
          errorMessage: "Wrong username or password",
        },
        AUDIT_FOLD_MS,
      );
      if (folded.repeatCount === 1 || folded.repeatCount % 100 === 0) {
        logger.warn({ username, address, failures: folded.repeatCount }, "failed sign-in");
      }
      return null;
    }
    success = true;
    recordAuditEvent(db, { actor: username, role: user.role, action: "auth.sign_in", target: address, result: "ok" });
    return { id: `local:${user.username}`, name: user.username, role: user.role };
  } finally {
    throttle(config).settle(verdict.ticket, success);
  }
}

/** Builds the Auth.js configuration from the panel configuration (called per request, lazily). */
export function buildAuthConfig(): NextAuthConfig {
  const config = getConfig();
  const providers: NextAuthConfig["providers"] = [
    Credentials({
      id: "credentials",
      name: "Password",
      credentials: { username: { label: "Username" }, password: { label: "Password", type: "password" } },
      authorize: (raw, request) => authorizeLocal(raw, request),
    }),
  ];
  const oidc = config.auth.oidc;
  if (oidc) {
    providers.push({
      id: "oidc",
      name: oidc.name,
      type: "oidc",
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: process.env[oidc.clientSecretEnv],
      authorization: { params: { scope: oidc.scopes.join(" ") } },
      checks: ["pkce", "state", "nonce"],
      profile(profile) {
        const role = roleFromClaims(profile as Record<string, unknown>, oidc);
        const name =
          (typeof profile.preferred_username === "string" && profile.preferred_username) ||
          (typeof profile.name === "string" && profile.name) ||
          (typeof profile.email === "string" && profile.email) ||
          String(profile.sub);
        return { id: `oidc:${String(profile.sub)}`, name, role: role ?? undefined };
      },
    });
  }

  return {
    trustHost: true,
    secret: process.env.AUTH_SECRET,
    session: { strategy: "jwt", maxAge: config.auth.sessionHours * 3600 },
    // Behind HTTPS the cookies are Secure with the __Secure- prefix: when the configured public URL is
    // HTTPS, and otherwise when a trusted proxy says the request came over HTTPS (forwarded headers
    // from anyone else are dropped at the edge, server/net/forwarded.ts).
    ...(config.server.publicUrl?.startsWith("https://") ? { useSecureCookies: true } : {}),
    pages: { signIn: "/login", error: "/login" },
    providers,
    logger: {
      error(error) {
        // A wrong password is audited and logged once per client and window by authorizeLocal.
        if ((error as { type?: string }).type === "CredentialsSignin") return;
        // Auth.js errors (a tampered cookie, a refused OIDC callback) are logged without their stack.
        const cause = (error as { cause?: { err?: unknown } & Record<string, unknown> }).cause;
        const inner = cause?.err instanceof Error ? cause.err : cause instanceof Error ? cause : undefined;
        logger.warn(
          { kind: (error as { type?: string }).type ?? error.name, cause: inner?.message.split("\n")[0] },
          "authentication error",
        );
      },
      warn(code) {
        logger.warn({ code }, "authentication warning");
      },
      debug() {},
    },
    callbacks: {
      signIn({ user, account }) {
        const role = (user as { role?: unknown }).role;
        if (!isRole(role)) {
          if (account?.provider === "oidc") {
            recordAuditEvent(getDb(), {
              actor: user.name ?? "unknown",
              role: "anonymous",
              action: "auth.sign_in",
              result: "refused",
              errorCode: "forbidden",
              errorMessage: "The identity provider's groups grant no role in the panel",
            });
          }
          return false;
        }
        if (account?.provider === "oidc") {
          recordAuditEvent(getDb(), { actor: user.name ?? "unknown", role, action: "auth.sign_in", target: "oidc", result: "ok" });
        }
        return true;
      },
      jwt({ token, user, account }) {
        if (user) {
          // A sign-in: the token names a server-side session, which says on every request whether it
          // still stands and with which role (server/auth/session-check.ts).
          const role = (user as { role?: Role }).role;
          if (!isRole(role)) throw new Error("sign-in without a role");
          const deps = { db: getDb(), config, env: process.env };
          token.sid =
            account?.provider === "oidc"
              ? startSession(deps, {
                  provider: "oidc",
                  userId: user.id ?? "",
                  name: user.name ?? "unknown",
                  role,
                  tokens: account.access_token
                    ? {
                        accessToken: account.access_token,
                        ...(account.refresh_token ? { refreshToken: account.refresh_token } : {}),
                        ...(account.expires_at ? { expiresAt: account.expires_at } : {}),
                      }
                    : undefined,
                })
              : startSession(deps, { provider: "local", username: user.name ?? "", role });
          token.uid = user.id;
        }
        return token;
      },
      session({ session, token }) {
        return {
          ...session,
          sid: typeof token.sid === "string" ? token.sid : undefined,
          user: { ...session.user, id: typeof token.uid === "string" ? token.uid : "" },
        };
      },
    },
    events: {
      signOut(message) {
        const sid = "token" in message ? message.token?.sid : undefined;
        if (typeof sid === "string") endSession(getDb(), sid);
      },
    },
  };
}
