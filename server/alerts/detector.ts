import "server-only";
import { observe, vanish, type DetectorAlert, type DetectorSettings, type Observation } from "@/lib/alerts/detector";
import { detectorMessage } from "@/lib/alerts/message";
import type { DetectorConfig } from "@/lib/config-schema";
import { commitDetector, loadAlertStates, type NewNotification } from "@/server/db/alerts";
import type { PanelDb } from "@/server/db/open";
import type { NotificationTarget } from "@/server/notify/delivery";
import { rowsFor, targetsFor } from "@/server/notify/outbox";
import type { SweepResult } from "@/server/probes/prober";

/**
 * The panel's own detector, wired: it folds every probe sweep (`lib/alerts/detector.ts`) into one
 * alert per service, stores the alerts and the notifications they produce in one transaction, and
 * starts the outbox. State comes back from SQLite at start: a restart does not send an alert twice
 * nor forget to send its recovery.
 */

export interface DetectorDeps {
  db: PanelDb;
  settings: DetectorSettings;
  publicUrl?: string;
  targets: () => readonly NotificationTarget[];
  /** Display names of services (discovery's), when known. */
  displayName?: (serviceId: string) => string | undefined;
  /** Called after a decision that stored notifications. */
  onEnqueued?: () => void;
  /** Called with the services whose alert changed state (fired, escalated, resolved, started or ended pending). */
  onChanged?: (serviceIds: string[]) => void;
  now?: () => number;
  log?: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
}

/** Detector settings from the configuration. */
export function detectorSettingsOf(c: DetectorConfig): DetectorSettings {
  return { downProbes: c.downProbes, degraded: c.degraded, degradedProbes: c.degradedProbes, recoveryProbes: c.recoveryProbes, repeatMs: c.repeatMinutes * 60_000 };
}

export class PanelDetector {
  private readonly alerts = new Map<string, DetectorAlert>();
  private readonly lastProbeAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly deps: DetectorDeps) {
    this.now = deps.now ?? Date.now;
    for (const a of loadAlertStates(deps.db)) this.alerts.set(a.serviceId, a);
  }

  /** Alerts that are firing or pending (worst first by the page). */
  current(): DetectorAlert[] {
    return [...this.alerts.values()].filter((a) => a.status !== "resolved");
  }

  /** Folds a sweep (or a targeted probe, or a verdict refresh). */
  onSweep(sweep: SweepResult): void {
    const now = this.now();
    const upsert: DetectorAlert[] = [];
    const remove: string[] = [];
    const enqueue: NewNotification[] = [];
    const changed: string[] = [];
    const apply = (serviceId: string, next: { alert: DetectorAlert | undefined; events: ReturnType<typeof observe>["events"] }, before: DetectorAlert | undefined): void => {
      if (next.alert) {
        this.alerts.set(serviceId, next.alert);
        if (next.alert !== before) upsert.push(next.alert);
      } else if (before) {
        this.alerts.delete(serviceId);
        remove.push(serviceId);
      }
      if ((before?.status ?? "none") !== (next.alert?.status ?? "none") || before?.severity !== next.alert?.severity) changed.push(serviceId);
      for (const event of next.events) {
        const message = detectorMessage(event, { publicUrl: this.deps.publicUrl, now });
        enqueue.push(...rowsFor(message, targetsFor(message, this.deps.targets()), now));
        this.deps.log?.("info", `detector: ${event.type}`, { service: serviceId, severity: event.alert.severity, reason: event.alert.reason });
      }
    };
    for (const r of sweep.results) {
      const last = this.lastProbeAt.get(r.serviceId);
      const probe = last === undefined || r.at > last;
      if (probe) this.lastProbeAt.set(r.serviceId, r.at);
      const before = this.alerts.get(r.serviceId);
      const o: Observation = {
        serviceId: r.serviceId,
        displayName: this.deps.displayName?.(r.serviceId) ?? before?.displayName ?? r.name,
        appKind: r.appKind,
        status: r.verdict.status,
        reason: r.verdict.reasons[0]?.message,
        at: r.at,
        probe,
      };
      apply(r.serviceId, observe(before, o, this.deps.settings, now), before);
    }
    if (sweep.complete) {
      const present = new Set(sweep.results.map((r) => r.serviceId));
      for (const [id, before] of [...this.alerts]) {
        if (present.has(id)) continue;
        this.lastProbeAt.delete(id);
        apply(id, vanish(before, now), before);
      }
    }
    if (upsert.length === 0 && remove.length === 0 && enqueue.length === 0) return;
    try {
      commitDetector(this.deps.db, { upsert, remove, enqueue });
    } catch (error) {
      this.deps.log?.("error", "detector: could not store its alerts", { err: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (enqueue.length > 0) this.deps.onEnqueued?.();
    if (changed.length > 0) this.deps.onChanged?.(changed);
  }
}
