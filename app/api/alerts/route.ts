import { toAppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";

export const dynamic = "force-dynamic";

/** The Alerts page's data: alerts grouped by service, silences, sources' state, recent notifications. */
export const GET = withUser("viewer", async () => {
  try {
    // Loaded on use: the alerting modules are only needed once the session is checked.
    const { getAlertsData } = await import("@/server/alerts/service");
    return Response.json(await getAlertsData(), { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(toAppError(error));
  }
});
