import { AppError } from "@/lib/errors";
import { HISTORY_WINDOWS, type HistoryWindow } from "@/lib/overview";
import { errorResponse, withUser } from "@/server/auth/session";
import { getServiceDetail } from "@/server/health/overview";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ namespace: string; name: string }> };

/** One service's page data; `?window=24h|7d|30d` picks the charts' window. */
export const GET = withUser<Context>("viewer", async (request, { params }) => {
  const { namespace, name } = await params;
  const requested = new URL(request.url).searchParams.get("window") ?? "24h";
  if (!(HISTORY_WINDOWS as readonly string[]).includes(requested)) {
    return errorResponse(new AppError("invalid_input", `window must be one of ${HISTORY_WINDOWS.join(", ")}`));
  }
  const detail = await getServiceDetail(namespace, name, requested as HistoryWindow);
  if (!detail) return errorResponse(new AppError("not_found", `No service ${namespace}/${name} in the watched namespaces.`));
  return Response.json(detail, { headers: { "cache-control": "no-store" } });
});
