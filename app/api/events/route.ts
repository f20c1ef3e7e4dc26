import { sessionUserOf, withUser } from "@/server/auth/session";
import { subscribeLiveEvents } from "@/server/health/live";
import { sessionEventStream } from "@/server/net/session-events";

export const dynamic = "force-dynamic";

/**
 * Server-sent events: `services` when the cluster changes, `probes` after a probe sweep. The stream
 * ends with a `session-ended` event when its session ends or is revoked.
 */
export const GET = withUser("viewer", (request, { sessionId }) =>
  sessionEventStream(
    request,
    () => sessionUserOf(sessionId),
    () => true,
    (send) => {
      send("hello", { at: Date.now() });
      return subscribeLiveEvents(send);
    },
  ),
);
