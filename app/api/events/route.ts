import { sessionUserOf, withUser } from "@/server/auth/session";
import { subscribeLiveEvents } from "@/server/health/live";

export const dynamic = "force-dynamic";

/** How often an open stream checks that its session still stands (signed out, account removed, role lost). */
const SESSION_RECHECK_MS = 5_000;

/**
 * Server-sent events: `services` when the cluster changes, `probes` after a probe sweep. The stream
 * ends with a `session-ended` event when its session ends or is revoked.
 */
export const GET = withUser("viewer", (request, { sessionId }) => {
  const encoder = new TextEncoder();
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
      send("hello", { at: Date.now() });
      const unsubscribe = subscribeLiveEvents(send);
      const recheck = setInterval(() => {
        void sessionUserOf(sessionId).then(
          (user) => {
            if (user) return;
            send("session-ended", { at: Date.now() });
            stop();
          },
          () => stop(),
        );
      }, SESSION_RECHECK_MS);
      stop = () => {
        if (closed) return;
        closed = true;
        clearInterval(recheck);
        unsubscribe();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      request.signal.addEventListener("abort", () => stop());
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
  });
});
