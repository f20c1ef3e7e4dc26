import { ALERT_CATALOGUE, type Severity } from "./catalogue";
import { detectorAlertName, type DetectorEvent } from "./detector";

/**
 * The words of a notification, independent of where it goes (ntfy, a webhook): what a person woken
 * at night needs on the lock screen (what, where, since when, how bad) and where to tap (the
 * service page, the runbook, the Alerts page).
 */

export type NotificationEvent = "firing" | "repeat" | "resolved" | "test";

/** A notification before it is rendered for one target. */
export interface NotificationMessage {
  event: NotificationEvent;
  alertName: string;
  severity: Severity;
  /** `namespace/name` of the service, when it is about one. */
  serviceId: string | null;
  title: string;
  message: string;
  /** The service page (tapping the notification opens it). */
  clickUrl: string | null;
  runbookUrl: string | null;
  alertsUrl: string | null;
}

/** Links need the panel's public URL; without it the message carries none. */
function panelLink(publicUrl: string | undefined, path: string): string | null {
  return publicUrl ? `${publicUrl.replace(/\/+$/, "")}${path}` : null;
}

/** "3 min", "2 h 5 min", "45 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "03:12 UTC" (the time zone is said: the server's may not be the reader's). */
export function formatClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/** The message of a detector event. */
export function detectorMessage(event: DetectorEvent, opts: { publicUrl?: string; now: number }): NotificationMessage {
  const a = event.alert;
  const name = detectorAlertName(a);
  const [namespace = "", workload = a.serviceId] = a.serviceId.split("/");
  const who = `${a.displayName} (${namespace}/${workload})`;
  const servicePath = `/services/${encodeURIComponent(namespace)}/${encodeURIComponent(workload)}`;
  const runbookUrl = panelLink(opts.publicUrl, `/runbooks/alerts/${ALERT_CATALOGUE[name].runbook}`);
  const base = {
    alertName: name,
    serviceId: a.serviceId,
    clickUrl: panelLink(opts.publicUrl, servicePath),
    runbookUrl,
    alertsUrl: panelLink(opts.publicUrl, "/alerts"),
  };
  const reason = a.reason ? ` ${a.reason}.` : "";
  if (event.type === "resolved") {
    const lasted = a.firedAt !== null ? ` It was ${a.severity === "critical" ? "down" : "degraded"} for ${formatDuration((a.resolvedAt ?? opts.now) - a.since)}.` : "";
    return {
      ...base,
      event: "resolved",
      severity: a.severity,
      title: `Recovered: ${a.displayName} is up again`,
      message: `${who} is up again since ${formatClock(a.resolvedAt ?? opts.now)}.${lasted}`,
    };
  }
  const state = a.severity === "critical" ? "down" : "degraded";
  const title = event.type === "repeat" ? `Still ${state}: ${a.displayName}` : `${a.displayName} is ${state}`;
  const probes = a.severity === "critical" ? a.downCount : a.badCount;
  const message =
    `${who} is ${state} since ${formatClock(a.since)} (${formatDuration(opts.now - a.since)}, ${probes} probe${probes === 1 ? "" : "s"}).${reason}` +
    (event.escalated ? " It was degraded before and is now down." : "") +
    (runbookUrl ? " Runbook attached." : "");
  return { ...base, event: event.type, severity: a.severity, title, message };
}

/** The message of "send test notification". */
export function testMessage(opts: { publicUrl?: string; requestedBy: string; now: number; target: string }): NotificationMessage {
  return {
    event: "test",
    alertName: "TestNotification",
    severity: "info",
    serviceId: null,
    title: "Test notification from k8s-nas-panel",
    message: `${opts.requestedBy} sent this test to "${opts.target}" at ${formatClock(opts.now)}. When the panel finds a service down, its message looks like this one and links to the service.`,
    clickUrl: panelLink(opts.publicUrl, "/alerts"),
    runbookUrl: panelLink(opts.publicUrl, "/runbooks/alerts/notifications-failing"),
    alertsUrl: panelLink(opts.publicUrl, "/alerts"),
  };
}
