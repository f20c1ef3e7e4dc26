import { AppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";
import { getOperation } from "@/server/backups/restore";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** A restore's steps, message and live log, polled by the Backups page. */
export const GET = withUser<Context>("viewer", async (_request, { params }) => {
  const { id } = await params;
  const op = getOperation(id);
  if (!op) return errorResponse(new AppError("not_found", "No such operation (the panel may have restarted; the history has the result)."));
  return Response.json(op, { headers: { "cache-control": "no-store" } });
});
