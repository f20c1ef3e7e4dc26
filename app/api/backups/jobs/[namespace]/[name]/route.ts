import { toAppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";
import { jobProgress } from "@/server/backups/service";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ namespace: string; name: string }> };

/** A backup Job's state and its pod's log (read through the API server), polled by the Backups page. */
export const GET = withUser<Context>("viewer", async (_request, { params }) => {
  const { namespace, name } = await params;
  try {
    return Response.json(await jobProgress(namespace, name), { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(toAppError(error));
  }
});
