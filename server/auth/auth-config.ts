import "server-only";
import type { NextAuthConfig } from "next-auth";
import { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import type { PanelConfig } from "@/lib/config-schema";
import { isRole, type Role } from "@/lib/roles";
import { roleFromClaims } from "@/lib/oidc-roles";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { recordAuditEvent } from "@/server/db/audit";
import { logger } from "@/server/observability/logger";
import { verifyPassword } from "./password";
import { FailureLimiter } from "./rate-limit";

/** Sign-in refused because of too many failures; the code reaches the login page as `?code=rate_limited`. */
class RateLimitedSignin extends CredentialsSignin {
  override code = "rate_limited";
}

const credentialsInput = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

const holder = globalThis as typeof globalThis & { __panelLimiters?: { account: FailureLimiter; address: FailureLimiter } };

function limiters(config: PanelConfig) {
  const windowMs = config.auth.lockoutMinutes * 60_000;
  holder.__panelLimiters ??= {
    account: new FailureLimiter(config.auth.maxFailedLogins, windowMs),
    // An address may try a few accounts (a household behind one NAT) before it is blocked.
    address: new FailureLimiter(config.auth.maxFailedLogins * 4, windowMs),
  };
  return holder.__panelLimiters;
}

/** The client address as the ingress reports it. */
export function clientAddress(request: Request | undefined): string {
  const forwarded = request?.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || request?.headers.get("x-real-ip") || "unknown";
}

// A valid hash of a random password: verifying against it costs the same time as a real account,
// so response time does not reveal which usernames exist.
const DUMMY_HASH =
  "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$0CHt3z3+0gkEuOSFqPxQ9ak7k1d6Mh4T8QWgv3Xcgmw=";

async function authorizeLocal(raw: unknown, request: Request | undefined) {
  const config = getConfig();
  const parsed = credentialsInput.safeParse(raw);
  if (!parsed.success) return null;
  const { username, password } = parsed.data;
  const address = clientAddress(request);
  const { account, address: byAddress } = limiters(config);
  const accountKey = username.toLowerCase();
  const db = getDb();
  if (account.isBlocked(accountKey) || byAddress.isBlocked(address)) {
    recordAuditEvent(db, {
      actor: username,
      role: "anonymous",
      action: "auth.sign_in",
      target: address,
      result: "refused",
      errorCode: "rate_limited",
      errorMessage: "Too many failed sign-ins",
    });
    throw new RateLimitedSignin();
  }
  const user = config.auth.localUsers.find((u) => u.username === username);
  const hash = user ? process.env[user.passwordHashEnv] : undefined;
  const valid = await verifyPassword(password, hash ?? DUMMY_HASH);
  if (!user || !hash || !valid) {
    account.recordFailure(accountKey);
    byAddress.recordFailure(address);
    recordAuditEvent(db, {
      actor: username,
      role: "anonymous",
      action: "auth.sign_in",
      target: address,
      result: "error",
      errorCode: "unauthorized",
      errorMessage: "Wrong username or password",
    });
    logger.warn({ username, address }, "failed sign-in");
    return null;
  }
  account.reset(accountKey);
  recordAuditEvent(db, { actor: username, role: user.role, action: "auth.sign_in", target: address, result: "ok" });
  return { id: `local:${user.username}`, name: user.username, role: user.role };
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
    pages: { signIn: "/login", error: "/login" },
    providers,
    logger: {
      error(error) {
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
      jwt({ token, user }) {
        if (user) {
          token.role = (user as { role?: Role }).role;
          token.uid = user.id;
        }
        return token;
      },
      session({ session, token }) {
        const role = isRole(token.role) ? token.role : undefined;
        return {
          ...session,
          user: { ...session.user, id: typeof token.uid === "string" ? token.uid : "", role },
        };
      },
    },
  };
}
