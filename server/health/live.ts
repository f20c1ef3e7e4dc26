import "server-only";
import { getConfig } from "@/server/config/load";
import { onServicesChanged } from "@/server/k8s";
import { onProbeResults } from "@/server/probes/scheduler";

const HEARTBEAT_MS = 15_000;

/**
 * Feeds one SSE client: `services` on cluster changes, `probes` after sweeps, `ping` as a heartbeat
 * (keeps proxies from closing an idle stream). Returns the unsubscribe function.
 */
export function subscribeLiveEvents(send: (event: string, data: unknown) => void): () => void {
  const stops: Array<() => void> = [];
  if (getConfig().kubernetes.mode !== "none") {
    stops.push(onServicesChanged((services) => send("services", { at: Date.now(), count: services.length })));
    stops.push(onProbeResults((sweep) => send("probes", { at: sweep.startedAt, count: sweep.results.length })));
  }
  const heartbeat = setInterval(() => send("ping", { at: Date.now() }), HEARTBEAT_MS);
  stops.push(() => clearInterval(heartbeat));
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}
