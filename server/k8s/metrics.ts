import "server-only";
import { Counter, Gauge, type Registry } from "prom-client";
import type { InformerSet } from "./informers";

/**
 * The informers' series, read from the set at scrape time:
 * - `panel_kube_connected`: 1 while the API server answers, 0 while disconnected;
 * - `panel_kube_cache_synced{kind}`: 1 once the kind's cache has listed, 0 before or while refused;
 * - `panel_kube_cache_objects{kind}`: objects in the kind's cache;
 * - `panel_kube_watch_restarts_total{kind}`: list/watch loops restarted after a failure.
 */
export function registerKubeMetrics(registry: Registry, source: () => InformerSet | undefined): void {
  if (registry.getSingleMetric("panel_kube_connected")) return;
  new Gauge({
    name: "panel_kube_connected",
    help: "1 while the Kubernetes API server answers the panel's informers, 0 while disconnected.",
    registers: [registry],
    collect() {
      const set = source();
      this.set(set?.state().connected ? 1 : 0);
    },
  });
  new Gauge({
    name: "panel_kube_cache_synced",
    help: "1 once the informer cache of the kind has listed, 0 before that or while the API refuses it.",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      const set = source();
      this.reset();
      for (const [kind, s] of Object.entries(set?.state().kinds ?? {})) this.set({ kind }, s.synced && !s.error ? 1 : 0);
    },
  });
  new Gauge({
    name: "panel_kube_cache_objects",
    help: "Objects held in the informer cache of the kind.",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      const set = source();
      this.reset();
      if (!set) return;
      const snap = set.snapshot();
      for (const kind of set.kinds) this.set({ kind }, snap[kind]?.length ?? 0);
    },
  });
  new Counter({
    name: "panel_kube_watch_restarts_total",
    help: "List/watch loops of the informers restarted after a failure, per kind.",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      const set = source();
      this.reset();
      for (const [kind, n] of Object.entries(set?.restartsByKind() ?? {})) this.inc({ kind }, n);
    },
  });
}
