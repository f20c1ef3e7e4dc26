import type { HealthStatus } from "../services";
import type { Severity } from "./catalogue";

/**
 * The panel's own detector, as a pure fold over the prober's verdicts: one alert per service, raised
 * after a grace period (consecutive probes that found it down, or down-or-degraded for a warning),
 * sent once (de-duplication), repeated every `repeatMs` while it lasts, escalated from warning to
 * critical when a degraded service goes down, and resolved with one recovery message after
 * `recoveryProbes` consecutive probes that found it up. A verdict refresh between probes (a pod that
 * became unready) updates the reason but does not count as a probe; `unknown` (the panel cannot
 * tell, e.g. a refused key) neither counts against the service nor for it.
 */

/** Detector settings (from `alerts.detector`). */
export interface DetectorSettings {
  downProbes: number;
  degraded: boolean;
  degradedProbes: number;
  recoveryProbes: number;
  /** 0: never repeat. */
  repeatMs: number;
}

/** What one probe result says about one service. */
export interface Observation {
  serviceId: string;
  displayName: string;
  appKind: string;
  status: HealthStatus;
  /** The verdict's first reason ("ready 0/1: CrashLoopBackOff", "Sonarr reports: ..."). */
  reason?: string;
  /** When the probe ran. */
  at: number;
  /** True for a new probe; false for a verdict refresh of an earlier probe. */
  probe: boolean;
}

export type DetectorStatus = "pending" | "firing" | "resolved";

/** One service's alert as the detector keeps it (and stores it, so a restart neither repeats nor forgets it). */
export interface DetectorAlert {
  serviceId: string;
  displayName: string;
  appKind: string;
  status: DetectorStatus;
  severity: Severity;
  /** The first probe of the current bad stretch. */
  since: number;
  firedAt: number | null;
  resolvedAt: number | null;
  lastNotifiedAt: number | null;
  /** Consecutive probes: down; down or degraded; up (since it fired). */
  downCount: number;
  badCount: number;
  goodCount: number;
  reason: string | null;
  updatedAt: number;
}

/** What the detector decided: a message to send. */
export interface DetectorEvent {
  type: "firing" | "repeat" | "resolved";
  /** The alert after the observation. */
  alert: DetectorAlert;
  /** For `firing`: true when a firing warning became critical. */
  escalated?: boolean;
}

/** The alert name of a detector alert (its severity decides). */
export function detectorAlertName(alert: Pick<DetectorAlert, "severity">): "ServiceDown" | "ServiceDegraded" {
  return alert.severity === "critical" ? "ServiceDown" : "ServiceDegraded";
}

function fresh(o: Observation): DetectorAlert {
  return {
    serviceId: o.serviceId,
    displayName: o.displayName,
    appKind: o.appKind,
    status: "pending",
    severity: "warning",
    since: o.at,
    firedAt: null,
    resolvedAt: null,
    lastNotifiedAt: null,
    downCount: 0,
    badCount: 0,
    goodCount: 0,
    reason: o.reason ?? null,
    updatedAt: o.at,
  };
}

/**
 * Folds one observation into the service's alert. Returns the next alert (undefined when there is
 * nothing to keep: a service that is fine and has no alert, or a pending stretch that ended before
 * it fired) and the events to send. `now` is the time of the decision (repeats are timed by it).
 */
export function observe(
  current: DetectorAlert | undefined,
  o: Observation,
  s: DetectorSettings,
  now: number,
): { alert: DetectorAlert | undefined; events: DetectorEvent[] } {
  const down = o.status === "down";
  const bad = down || (o.status === "degraded" && s.degraded);
  const events: DetectorEvent[] = [];
  if (o.status === "unknown") return { alert: current, events };

  if (bad) {
    let a: DetectorAlert = current && current.status !== "resolved" ? { ...current } : fresh(o);
    a.displayName = o.displayName;
    a.appKind = o.appKind;
    if (o.reason) a.reason = o.reason;
    a.updatedAt = now;
    if (o.probe) {
      a.badCount += 1;
      a.downCount = down ? a.downCount + 1 : 0;
      a.goodCount = 0;
    }
    const critical = a.downCount >= s.downProbes;
    const warning = s.degraded && a.badCount >= s.degradedProbes;
    if (a.status === "pending" && (critical || warning)) {
      a = { ...a, status: "firing", severity: critical ? "critical" : "warning", firedAt: now, lastNotifiedAt: now };
      events.push({ type: "firing", alert: a });
    } else if (a.status === "firing" && critical && a.severity !== "critical") {
      a = { ...a, severity: "critical", lastNotifiedAt: now };
      events.push({ type: "firing", alert: a, escalated: true });
    } else if (a.status === "firing" && s.repeatMs > 0 && a.lastNotifiedAt !== null && now - a.lastNotifiedAt >= s.repeatMs) {
      a = { ...a, lastNotifiedAt: now };
      events.push({ type: "repeat", alert: a });
    }
    return { alert: a, events };
  }

  // Up, or degraded while degraded services are not reported.
  if (!current || current.status === "resolved") return { alert: current, events };
  if (current.status === "pending") return { alert: undefined, events };
  const a: DetectorAlert = { ...current, updatedAt: now };
  if (o.probe) {
    a.goodCount += 1;
    a.downCount = 0;
    a.badCount = 0;
  }
  if (a.goodCount >= s.recoveryProbes) {
    const resolved: DetectorAlert = { ...a, status: "resolved", resolvedAt: now, reason: o.reason ?? a.reason };
    events.push({ type: "resolved", alert: resolved });
    return { alert: resolved, events };
  }
  return { alert: a, events };
}

/**
 * A firing alert of a service that is no longer in the cluster (deleted, or its namespace no longer
 * watched): resolved, so it does not stay firing forever. Pending ones are dropped.
 */
export function vanish(current: DetectorAlert, now: number): { alert: DetectorAlert | undefined; events: DetectorEvent[] } {
  if (current.status === "pending") return { alert: undefined, events: [] };
  if (current.status === "resolved") return { alert: current, events: [] };
  const resolved: DetectorAlert = { ...current, status: "resolved", resolvedAt: now, reason: "no longer in the cluster", updatedAt: now };
  return { alert: resolved, events: [{ type: "resolved", alert: resolved }] };
}
