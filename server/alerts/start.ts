import "server-only";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { pruneAlerts } from "@/server/db/alerts";
import { displayNames, getDetector, getOutbox, getTargets, log } from "./parts";
import { startResourceFigures } from "./resources";
import { startAlertPolling } from "./service";

const holder = globalThis as typeof globalThis & { __panelAlertingStarted?: boolean };

const DAY_MS = 86_400_000;

/**
 * Starts the outbox (what waited before a restart is sent), the detector over the prober's sweeps
 * (when the panel watches a cluster), the poller of Prometheus and Alertmanager, the resource figures,
 * and a daily pruning of the history (90 days).
 */
export async function startAlerting(): Promise<void> {
  if (holder.__panelAlertingStarted) return;
  holder.__panelAlertingStarted = true;
  const config = getConfig();
  const outbox = getOutbox();
  outbox.start();
  for (const t of getTargets()) if (t.problem) log.warn({ target: t.name }, `notification target ${t.name} cannot send: ${t.problem}`);
  if (config.kubernetes.mode !== "none") {
    const detector = getDetector();
    const { onProbeResults } = await import("@/server/probes/scheduler");
    const { listServices } = await import("@/server/k8s");
    let chain = Promise.resolve();
    onProbeResults((sweep) => {
      chain = chain
        .then(async () => {
          const services = await listServices().catch(() => []);
          for (const s of services) displayNames().set(s.id, s.displayName);
          detector.onSweep(sweep);
        })
        .catch((error: unknown) => log.error({ err: error instanceof Error ? error.message : String(error) }, "detector failed on a sweep"));
    });
    startResourceFigures();
  }
  startAlertPolling();
  const prune = () => {
    try {
      const n = pruneAlerts(getDb(), Date.now() - 90 * DAY_MS);
      if (n.notifications + n.alerts > 0) log.info(n, "old notifications and resolved alerts deleted");
    } catch (error) {
      log.error({ err: error instanceof Error ? error.message : String(error) }, "pruning notifications failed");
    }
  };
  prune();
  setInterval(prune, DAY_MS).unref();
  log.info({ targets: getTargets().map((t) => t.name), prometheus: Boolean(config.alerts.prometheus), alertmanager: Boolean(config.alerts.alertmanager) }, "alerting started");
}
