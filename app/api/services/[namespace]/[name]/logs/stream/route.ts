import { AppError, toAppError } from "@/lib/errors";
import { errorResponse, sessionUserOf, withUser } from "@/server/auth/session";
import { assertCanReadLogs, canReadLogs } from "@/server/logs/access";
import { followServiceLogs } from "@/server/logs/service";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ namespace: string; name: string }> };

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** How often an open stream checks that its session still stands and may still read logs. */
const RECHECK_MS = 5_000;

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
  const encoder = new TextEncoder();
  const abort = new AbortController();
  let stop = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (event: string, data: unknown) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        } catch {
          stop();
        }
      };
      const recheck = setInterval(() => {
        void sessionUserOf(sessionId).then(
          (u) => {
            if (u && canReadLogs(u)) return;
            send("session-ended", { at: Date.now() });
            stop();
          },
          () => stop(),
        );
      }, RECHECK_MS);
      stop = () => {
        if (closed) return;
        closed = true;
        clearInterval(recheck);
        abort.abort();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      request.signal.addEventListener("abort", () => stop());
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
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
  });
});
