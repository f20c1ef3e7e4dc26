import { toAppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";
import { getReadiness } from "@/server/readiness";

export const dynamic = "force-dynamic";

/** The readiness matrix: every service × every requirement, the scores and the next clicks. */
export const GET = withUser("viewer", async () => {
  try {
    return Response.json(await getReadiness(), { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(toAppError(error));
  }
});
