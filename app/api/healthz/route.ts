import { checkHealth } from "@/server/observability/health";

export const dynamic = "force-dynamic";

/** Public liveness/readiness: 200 when the process and its database work; Kubernetes is reported, not required. */
export async function GET(): Promise<Response> {
  const health = await checkHealth();
  return Response.json(health, { status: health.status === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
}
