import { AppError } from "@/lib/errors";
import { getConfig } from "@/server/config/load";
import { errorResponse } from "@/server/auth/session";
import { registerAlertMetrics } from "@/server/alerts/metrics";
import { registerBackupMetrics } from "@/server/backups/metrics";
import { registerVpnMetrics } from "@/server/integrations/vpn";
import { registerReadinessMetrics } from "@/server/readiness-metrics";
import { hasMetricsToken, metricsTokenState } from "@/server/observability/metrics-auth";
import { getRegistry } from "@/server/observability/metrics";

export const dynamic = "force-dynamic";

/**
 * Prometheus exposition. Needs `Authorization: Bearer <token>` (the variable `metrics.bearerTokenEnv`
 * names, `PANEL_METRICS_TOKEN` by default) unless `metrics.public: true`. Reads only what the panel
 * already knows: a scrape starts no check of its own.
 */
export async function GET(request: Request): Promise<Response> {
  const access = metricsTokenState(getConfig(), process.env);
  if (access.kind !== "public" && !hasMetricsToken(request, access)) {
    return errorResponse(new AppError("unauthorized", "A valid bearer token is required for /api/metrics."));
  }
  registerVpnMetrics();
  registerAlertMetrics();
  registerBackupMetrics();
  registerReadinessMetrics();
  const registry = getRegistry();
  return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
}
