import "server-only";
import { z } from "zod";
import type { PanelConfig } from "@/lib/config-schema";
import { roleFromClaims } from "@/lib/oidc-roles";
import type { Role } from "@/lib/roles";
import { readResponseText } from "@/server/net/body-limit";

/** A JSON answer of the identity provider, read up to the panel's body ceiling. */
async function readJsonCapped(response: Response): Promise<unknown> {
  return JSON.parse(await readResponseText(response)) as unknown;
}

/**
 * Re-reads a single-sign-on user's groups from the identity provider while the session lives, so a
 * user removed from the admin group (or from the IdP) loses the role within `auth.oidc.recheckSeconds`:
 * the userinfo endpoint with the session's access token, after refreshing it with the refresh token
 * when it has expired. Without a refresh token the session cannot outlive the access token.
 */

type OidcConfig = NonNullable<PanelConfig["auth"]["oidc"]>;

/** The tokens a session keeps (encrypted at rest). */
export interface OidcTokens {
  accessToken: string;
  refreshToken?: string;
  /** Epoch seconds; undefined when the issuer did not say. */
  expiresAt?: number;
}

export type RecheckResult =
  | { verdict: "role"; role: Role; tokens: OidcTokens }
  | { verdict: "ended"; reason: string }
  | { verdict: "unavailable"; reason: string };

const discoverySchema = z.object({ token_endpoint: z.string().url(), userinfo_endpoint: z.string().url() });
const tokenSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().optional(),
  id_token: z.string().optional(),
});

const discovered = new Map<string, { at: number; value: z.infer<typeof discoverySchema> }>();
const TIMEOUT_MS = 5000;

async function discovery(issuer: string, fetchImpl: typeof fetch): Promise<z.infer<typeof discoverySchema>> {
  const hit = discovered.get(issuer);
  if (hit && Date.now() - hit.at < 3_600_000) return hit.value;
  const response = await fetchImpl(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
  const value = discoverySchema.parse(await readJsonCapped(response));
  discovered.set(issuer, { at: Date.now(), value });
  return value;
}

/** Claims of a JWT's payload, read without verifying: it came straight from the token endpoint over TLS. */
function jwtClaims(jwt: string | undefined): Record<string, unknown> {
  const payload = jwt?.split(".")[1];
  if (!payload) return {};
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function refresh(
  oidc: OidcConfig,
  clientSecret: string,
  tokenEndpoint: string,
  refreshToken: string,
  fetchImpl: typeof fetch,
): Promise<{ tokens: OidcTokens; idClaims: Record<string, unknown> } | { refused: string }> {
  const basic = Buffer.from(`${encodeURIComponent(oidc.clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64");
  const response = await fetchImpl(tokenEndpoint, {
    method: "POST",
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (response.status === 400 || response.status === 401) return { refused: `the identity provider refused to refresh the sign-in (HTTP ${response.status})` };
  if (!response.ok) throw new Error(`token endpoint answered HTTP ${response.status}`);
  const t = tokenSchema.parse(await readJsonCapped(response));
  return {
    tokens: {
      accessToken: t.access_token,
      refreshToken: t.refresh_token ?? refreshToken,
      ...(t.expires_in !== undefined ? { expiresAt: Math.floor(Date.now() / 1000) + t.expires_in } : {}),
    },
    idClaims: jwtClaims(t.id_token),
  };
}

/**
 * Asks the identity provider which role the session's user has now. `unavailable` when the provider
 * could not be asked (the caller decides how long to keep trusting the last answer).
 */
export async function recheckOidcRole(
  oidc: OidcConfig,
  clientSecret: string,
  current: OidcTokens,
  fetchImpl: typeof fetch = fetch,
): Promise<RecheckResult> {
  try {
    const endpoints = await discovery(oidc.issuer, fetchImpl);
    let tokens = current;
    let idClaims: Record<string, unknown> = {};
    const expired = tokens.expiresAt !== undefined && tokens.expiresAt * 1000 <= Date.now() + 30_000;
    if (expired) {
      if (!tokens.refreshToken) return { verdict: "ended", reason: "the sign-in at the identity provider has expired" };
      const refreshed = await refresh(oidc, clientSecret, endpoints.token_endpoint, tokens.refreshToken, fetchImpl);
      if ("refused" in refreshed) return { verdict: "ended", reason: refreshed.refused };
      tokens = refreshed.tokens;
      idClaims = refreshed.idClaims;
    }
    const response = await fetchImpl(endpoints.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.accessToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (response.status === 401 || response.status === 403) {
      if (!expired && tokens.refreshToken) {
        // Revoked or expired early: one refresh, then ask again.
        return recheckOidcRole(oidc, clientSecret, { ...tokens, expiresAt: 0 }, fetchImpl);
      }
      return { verdict: "ended", reason: `the identity provider no longer accepts the sign-in (HTTP ${response.status})` };
    }
    if (!response.ok) return { verdict: "unavailable", reason: `userinfo answered HTTP ${response.status}` };
    const userinfo = (await readJsonCapped(response)) as unknown;
    const claims = { ...idClaims, ...(typeof userinfo === "object" && userinfo !== null ? (userinfo as Record<string, unknown>) : {}) };
    const role = roleFromClaims(claims, oidc);
    if (!role) return { verdict: "ended", reason: "the identity provider's groups grant no role in the panel any more" };
    return { verdict: "role", role, tokens };
  } catch (error) {
    return { verdict: "unavailable", reason: (error as Error).message.split("\n")[0] ?? "no answer" };
  }
}
