import { AppError, toAppError } from "@/lib/errors";
import { errorResponse, sessionUserOf, withUser } from "@/server/auth/session";
import { assertCanReadLogs, canReadLogs } from "@/server/logs/access";
import { followServiceLogs } from "@/server/logs/service";
import { sessionEventStream } from "@/server/net/session-events";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ namespace: string; name: string }> };

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Server-sent events following a service's running containers: `line` (a masked log line), `note`
 * (a stream ended, a container not running), `end`, and `session-ended` when the session ends or
 * loses the right to read logs.
 */
export const GET = withUser<Context>("viewer", async (request, { params, user, sessionId }) => {
  try {
    assertCanReadLogs(user);
  } catch (error) {
    return errorResponse(toAppError(error));
  }
  const { namespace, name } = await params;
  const q = new URL(request.url).searchParams;
  const pod = q.get("pod") || undefined;
  const container = q.get("container") || undefined;
  for (const [k, v] of [["pod", pod], ["container", container]] as const) {
    if (v !== undefined && (v.length > 253 || !NAME.test(v))) return errorResponse(new AppError("invalid_input", `${k} is not a valid name`));
  }
  return sessionEventStream(
    request,
    () => sessionUserOf(sessionId),
    canReadLogs,
    (send, stop) => {
      const abort = new AbortController();
      send("hello", { at: Date.now() });
      followServiceLogs(namespace, name, { pod, container }, { signal: abort.signal, onLine: (line) => send("line", line), onNote: (note) => send("note", { message: note }) }).then(
        () => {
          send("end", { at: Date.now() });
          stop();
        },
        (error: unknown) => {
          send("note", { message: toAppError(error).message });
          send("end", { at: Date.now() });
          stop();
        },
      );
      return () => abort.abort();
    },
  );
});
