import { toAppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";
import { getAlertCount } from "@/server/alerts/service";

export const dynamic = "force-dynamic";

/** Firing alerts that are not silenced, for the count in the navigation. */
export const GET = withUser("viewer", async () => {
  try {
    return Response.json({ count: await getAlertCount() }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(toAppError(error));
  }
});
