import "server-only";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

const holder = globalThis as typeof globalThis & { __panelRegistry?: Registry };

/** The panel's Prometheus registry: process metrics plus `panel_build_info`; features add their series. */
export function getRegistry(): Registry {
  if (holder.__panelRegistry) return holder.__panelRegistry;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: "panel_build_info",
    help: "Build of the running k8s-nas-panel (always 1).",
    labelNames: ["version", "commit", "node"],
    registers: [registry],
  });
  buildInfo.set(
    { version: process.env.PANEL_VERSION ?? "0.1.0", commit: process.env.PANEL_COMMIT ?? "unknown", node: process.version },
    1,
  );
  holder.__panelRegistry = registry;
  return registry;
}
