import "server-only";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { logger } from "@/server/observability/logger";
import type { NotificationTarget } from "@/server/notify/delivery";
import { Outbox } from "@/server/notify/outbox";
import { resolveTargets } from "@/server/notify/targets";
import { PanelDetector, detectorSettingsOf } from "./detector";
import { emitAlertsChanged } from "./events";

/**
 * The process-wide alerting parts, built from the configuration: the notification targets, the
 * outbox that delivers to them, and the detector over the prober's sweeps (`start.ts` starts them).
 */

export const log = logger.child({ component: "alerts" });
const holder = globalThis as typeof globalThis & {
  __panelOutbox?: Outbox;
  __panelDetector?: PanelDetector;
  __panelTargets?: NotificationTarget[];
  __panelDisplayNames?: Map<string, string>;
};

const logFn = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => log[level](fields ?? {}, message);

/** The configured targets (secrets read from the environment once). */
export function getTargets(): NotificationTarget[] {
  holder.__panelTargets ??= resolveTargets(getConfig(), process.env);
  return holder.__panelTargets;
}

/** The process-wide outbox (created, not started, on first use). */
export function getOutbox(): Outbox {
  holder.__panelOutbox ??= new Outbox({
    db: getDb(),
    targets: getTargets,
    retryMs: getConfig().notifications.retryHours * 3_600_000,
    log: logFn,
    onAttempt: (record) => emitAlertsChanged(record.serviceId ? [record.serviceId] : []),
  });
  return holder.__panelOutbox;
}

/** Display names of the services, as discovery last named them (the detector's messages use them). */
export function displayNames(): Map<string, string> {
  holder.__panelDisplayNames ??= new Map();
  return holder.__panelDisplayNames;
}

/** The process-wide detector. */
export function getDetector(): PanelDetector {
  if (holder.__panelDetector) return holder.__panelDetector;
  const config = getConfig();
  holder.__panelDetector = new PanelDetector({
    db: getDb(),
    settings: detectorSettingsOf(config.alerts.detector),
    publicUrl: config.server.publicUrl,
    targets: getTargets,
    displayName: (id) => displayNames().get(id),
    onEnqueued: () => getOutbox().kick(),
    onChanged: (ids) => emitAlertsChanged(ids),
    log: logFn,
  });
  return holder.__panelDetector;
}

