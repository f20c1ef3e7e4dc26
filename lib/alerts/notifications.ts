import type { Severity } from "./catalogue";
import type { NotificationEvent } from "./message";

/**
 * Notifications as the panel keeps them: each message waits in an outbox until its target accepted
 * it (retried with back-off while the target is down or refuses), and stays as history.
 */

export type DeliveryStatus = "pending" | "sent" | "expired";

/** One notification to one target. */
export interface NotificationRecord {
  id: number;
  createdAt: number;
  target: string;
  event: NotificationEvent;
  alertName: string;
  severity: Severity;
  serviceId: string | null;
  title: string;
  message: string;
  clickUrl: string | null;
  runbookUrl: string | null;
  alertsUrl: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastError: string | null;
  sentAt: number | null;
  requestedBy: string | null;
}

/** A target's state for the Settings page. */
export interface TargetStatus {
  name: string;
  type: "ntfy" | "webhook";
  /** Where it goes, without secrets (`ntfy https://ntfy.sh, topic from NTFY_TOPIC`). */
  destination: string;
  minSeverity: Severity;
  /** Why the target cannot send at all (a variable it names is not set). */
  configProblem: string | null;
  pending: number;
  oldestPendingAt: number | null;
  nextAttemptAt: number | null;
  lastSentAt: number | null;
  /** The last failed attempt's error, when the last attempt failed. */
  lastError: string | null;
  lastErrorAt: number | null;
}

/** Back-off after `attempts` failed attempts: 5 s doubling, at most 10 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 10 * 60_000);
}
