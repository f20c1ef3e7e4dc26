import { toAppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";

export const dynamic = "force-dynamic";

/** Firing alerts that are not silenced, for the count in the navigation. */
export const GET = withUser("viewer", async () => {
  try {
    // Loaded on use: the alerting modules are only needed once the session is checked.
    const { getAlertCount } = await import("@/server/alerts/service");
    return Response.json({ count: await getAlertCount() }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(toAppError(error));
  }
});
