import "server-only";
import type { LiveChange } from "@/lib/overview";
import { getConfig } from "@/server/config/load";
import { onCertificatesChanged } from "@/server/certs";
import { getKubeState, onChange, onServicesChanged } from "@/server/k8s";
import { onProbeResults } from "@/server/probes/scheduler";

const HEARTBEAT_MS = 15_000;

/**
 * Feeds one SSE client with what changed, so each view refetches only what it shows: `services`
 * when the cluster changed some services (their ids and app kinds; removed ones too), `probes` after
 * a sweep or a targeted probe (the ids it probed), `cluster` when the connection to the API server
 * was lost or came back (every view refetches: its banner says so within a second, not at the next
 * sweep), `ping` as a heartbeat (keeps proxies from closing an idle stream), `certificates` when
 * cert-manager's objects, the Ingresses or the TLS probes changed (the services whose certificate
 * signal changed, the hosts probed), `applications` when an Argo CD Application or ApplicationSet
 * changed (the services they deploy also get a `services` event). Returns the unsubscribe function.
 */
export function subscribeLiveEvents(send: (event: string, data: unknown) => void): () => void {
  const stops: Array<() => void> = [];
  if (getConfig().kubernetes.mode !== "none") {
    stops.push(
      onServicesChanged((services, change) => {
        const ids = new Set(change.changed);
        const appKinds = [...new Set(services.filter((s) => ids.has(s.id)).map((s) => s.appKind))];
        const data: LiveChange = { at: Date.now(), services: [...change.changed, ...change.removed], appKinds };
        send("services", data);
      }),
    );
    let connected = getKubeState().connected;
    stops.push(
      onChange((kinds) => {
        if (!kinds.includes("state")) return;
        const now = getKubeState().connected;
        if (now === connected) return;
        connected = now;
        const data: LiveChange = { at: Date.now(), services: [], appKinds: [], cluster: true };
        send("cluster", data);
      }),
    );
    stops.push(
      onCertificatesChanged((change) => {
        const data: LiveChange = { at: change.at, services: change.services, appKinds: [], hosts: change.hosts };
        send("certificates", data);
      }),
    );
    stops.push(
      onChange((kinds) => {
        if (!kinds.includes("applications") && !kinds.includes("applicationsets")) return;
        const data: LiveChange = { at: Date.now(), services: [], appKinds: [], applications: true };
        send("applications", data);
      }),
    );
    stops.push(
      onProbeResults((sweep) => {
        const data: LiveChange = {
          at: sweep.startedAt,
          services: sweep.results.map((r) => r.serviceId),
          appKinds: [...new Set(sweep.results.map((r) => r.appKind))],
        };
        send("probes", data);
      }),
    );
  }
  const heartbeat = setInterval(() => send("ping", { at: Date.now() }), HEARTBEAT_MS);
  stops.push(() => clearInterval(heartbeat));
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}
