import { withUser } from "@/server/auth/session";
import { subscribeLiveEvents } from "@/server/health/live";

export const dynamic = "force-dynamic";

/** Server-sent events: `services` when the cluster changes, `probes` after a probe sweep. */
export const GET = withUser("viewer", (request) => {
  const encoder = new TextEncoder();
  let unsubscribe = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: string, data: unknown) => {
        try {
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        } catch {
          unsubscribe();
        }
      };
      send("hello", { at: Date.now() });
      unsubscribe = subscribeLiveEvents(send);
      request.signal.addEventListener("abort", () => {
        unsubscribe();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
    },
    cancel() {
      unsubscribe();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
  });
});
