import { AppError, toAppError } from "@/lib/errors";
import { errorResponse, withUser } from "@/server/auth/session";
import { assertCanReadLogs } from "@/server/logs/access";
import { getServiceLogs } from "@/server/logs/service";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ namespace: string; name: string }> };

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * A service's logs: `?source=kubernetes|loki&pod=&container=&tail=&search=`. Admins, and viewers
 * when an admin opened logs to them in Settings; every known secret is masked.
 */
export const GET = withUser<Context>("viewer", async (request, { params, user }) => {
  try {
    assertCanReadLogs(user);
    const { namespace, name } = await params;
    const q = new URL(request.url).searchParams;
    const source = q.get("source") ?? "kubernetes";
    if (source !== "kubernetes" && source !== "loki") throw new AppError("invalid_input", "source must be kubernetes or loki");
    const pod = q.get("pod") || undefined;
    const container = q.get("container") || undefined;
    for (const [k, v] of [["pod", pod], ["container", container]] as const) {
      if (v !== undefined && (v.length > 253 || !NAME.test(v))) throw new AppError("invalid_input", `${k} is not a valid name`);
    }
    const tailRaw = q.get("tail");
    const tailLines = tailRaw ? Number(tailRaw) : undefined;
    if (tailLines !== undefined && (!Number.isInteger(tailLines) || tailLines < 1 || tailLines > 10_000)) throw new AppError("invalid_input", "tail must be a whole number from 1 to 10000");
    const search = (q.get("search") ?? "").slice(0, 200) || undefined;
    const logs = await getServiceLogs(namespace, name, { source, pod, container, tailLines, search });
    return Response.json(logs, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(toAppError(error));
  }
});
