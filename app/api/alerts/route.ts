import { toAppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";
import { getAlertsData } from "@/server/alerts/service";

export const dynamic = "force-dynamic";

/** The Alerts page's data: alerts grouped by service, silences, sources' state, recent notifications. */
export const GET = withUser("viewer", async () => {
  try {
    return Response.json(await getAlertsData(), { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(toAppError(error));
  }
});
