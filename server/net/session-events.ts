import "server-only";
import type { SessionUser } from "@/lib/roles";

/** How often an open stream checks that its session still stands (signed out, account removed, role lost). */
const SESSION_RECHECK_MS = 5_000;

/** Sends one server-sent event (dropped once the stream is closed). */
export type SendEvent = (event: string, data: unknown) => void;

/**
 * A server-sent event stream bound to a session: `open` starts what feeds it (returns its cleanup),
 * the session is checked again every 5 s through `recheck`, and the stream ends with a
 * `session-ended` event when that says no. It also ends when the client goes or `open`'s `stop` is called.
 */
export function sessionEventStream(
  request: Request,
  recheck: () => Promise<SessionUser | null | undefined>,
  allowed: (user: SessionUser) => boolean,
  open: (send: SendEvent, stop: () => void) => () => void,
): Response {
  const encoder = new TextEncoder();
  let stop = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send: SendEvent = (event, data) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        } catch {
          stop();
        }
      };
      let cleanup = () => {};
      const timer = setInterval(() => {
        void recheck().then(
          (user) => {
            if (user && allowed(user)) return;
            send("session-ended", { at: Date.now() });
            stop();
          },
          () => stop(),
        );
      }, SESSION_RECHECK_MS);
      stop = () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      request.signal.addEventListener("abort", () => stop());
      cleanup = open(send, () => stop());
      if (closed) cleanup();
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}
