import { AppError, toAppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";
import { getServiceCharts } from "@/server/metrics/charts";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ namespace: string; name: string }> };

/** A service's charts from Prometheus: `?hours=1..168`. Any signed-in user. */
export const GET = withUser<Context>("viewer", async (request, { params }) => {
  try {
    const { namespace, name } = await params;
    const raw = new URL(request.url).searchParams.get("hours");
    const hours = raw ? Number(raw) : 6;
    if (!Number.isInteger(hours) || hours < 1 || hours > 168) throw new AppError("invalid_input", "hours must be a whole number from 1 to 168");
    return Response.json(await getServiceCharts(namespace, name, hours), { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(toAppError(error));
  }
});
