import { timingSafeEqual } from "node:crypto";
import { AppError } from "@/lib/errors";
import { getConfig } from "@/server/config/load";
import { errorResponse } from "@/server/auth/session";
import { registerVpnMetrics } from "@/server/integrations/vpn";
import { getRegistry } from "@/server/observability/metrics";

export const dynamic = "force-dynamic";

function tokenMatches(header: string | null, expected: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, "") ?? "");
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Prometheus exposition; public unless `metrics.bearerTokenEnv` names a token, then that token is required. */
export async function GET(request: Request): Promise<Response> {
  const tokenEnv = getConfig().metrics.bearerTokenEnv;
  const expected = tokenEnv ? process.env[tokenEnv] : undefined;
  if (tokenEnv && (!expected || !tokenMatches(request.headers.get("authorization"), expected))) {
    return errorResponse(new AppError("unauthorized", "A valid bearer token is required for /api/metrics."));
  }
  // The VPN verdict of the download clients (`panel_vpn_protected`), refreshed in the background.
  registerVpnMetrics();
  const registry = getRegistry();
  return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
}
