import { getConfig } from "@/server/config/load";
import { getSessionUser } from "@/server/auth/session";
import { checkHealth, checkLiveness } from "@/server/observability/health";
import { hasMetricsToken, metricsTokenState } from "@/server/observability/metrics-auth";

export const dynamic = "force-dynamic";

/**
 * Liveness/readiness: 200 when the process and its database work, else 503. Anonymous callers (the
 * kubelet, the image's HEALTHCHECK) get only `{ status }`; signed-in users and holders of the
 * metrics token also get the database and Kubernetes details.
 */
export async function GET(request: Request): Promise<Response> {
  const detailed = hasMetricsToken(request, metricsTokenState(getConfig(), process.env)) || (await getSessionUser()) !== null;
  const body = detailed ? await checkHealth() : checkLiveness();
  return Response.json(body, { status: body.status === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
}
