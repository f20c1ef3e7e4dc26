import "server-only";
import { atLeast } from "@/lib/alerts/catalogue";
import type { NotificationMessage } from "@/lib/alerts/message";
import { retryDelayMs, type NotificationRecord, type TargetStatus } from "@/lib/alerts/notifications";
import { dueNotifications, enqueueNotifications, markExpired, markFailed, markSent, nextDueAt, targetFigures, type NewNotification } from "@/server/db/alerts";
import type { PanelDb } from "@/server/db/open";
import type { NotificationTarget } from "./delivery";

/**
 * The outbox: every notification is a row before anyone tries to send it, and stays pending until
 * its target accepted it. Each target gets its messages in order (only its oldest pending one is
 * attempted), failed attempts are retried with back-off (5 s doubling to 10 minutes, or what a 429
 * asks), and a message is given up only after `retryHours`, marked expired with the last error (it
 * stays in the history). Sending runs in the background; `kick()` starts it at once.
 */

export interface OutboxDeps {
  db: PanelDb;
  targets: () => readonly NotificationTarget[];
  retryMs: number;
  now?: () => number;
  log?: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
  /** Called after each attempt (the Settings page's live state, metrics). */
  onAttempt?: (record: NotificationRecord, result: "sent" | "failed" | "expired") => void;
}

/** The targets a message goes to: each whose `minSeverity` it reaches (or the one named). */
export function targetsFor(message: Pick<NotificationMessage, "severity" | "event">, targets: readonly NotificationTarget[], only?: string): NotificationTarget[] {
  if (only !== undefined) return targets.filter((t) => t.name === only);
  return targets.filter((t) => message.event === "test" || atLeast(message.severity, t.minSeverity));
}

/** Rows for a message, one per target. */
export function rowsFor(message: NotificationMessage, targets: readonly NotificationTarget[], now: number, requestedBy: string | null = null): NewNotification[] {
  return targets.map((t) => ({
    createdAt: now,
    target: t.name,
    event: message.event,
    alertName: message.alertName,
    severity: message.severity,
    serviceId: message.serviceId,
    title: message.title,
    message: message.message,
    clickUrl: message.clickUrl,
    runbookUrl: message.runbookUrl,
    alertsUrl: message.alertsUrl,
    nextAttemptAt: now,
    requestedBy,
  }));
}

export class Outbox {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly deps: OutboxDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Starts sending (what waits from before a restart too). */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Enqueues a message for its targets and starts sending; returns the rows. */
  enqueue(message: NotificationMessage, opts: { only?: string; requestedBy?: string } = {}): NotificationRecord[] {
    const targets = targetsFor(message, this.deps.targets(), opts.only);
    const rows = enqueueNotifications(this.deps.db, rowsFor(message, targets, this.now(), opts.requestedBy ?? null));
    this.kick();
    return rows;
  }

  /** Sends what is due now (soon after the current round when one runs). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.round()
      .catch((error: unknown) => this.deps.log?.("error", "sending notifications failed", { err: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        } else this.schedule();
      });
  }

  /** Waits for the current round (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const next = nextDueAt(this.deps.db);
    if (next === null) return;
    const delay = Math.max(50, next - this.now());
    this.timer = setTimeout(() => this.kick(), Math.min(delay, 60_000));
    this.timer.unref?.();
  }

  private async round(): Promise<void> {
    const due = dueNotifications(this.deps.db, this.now());
    const targets = new Map(this.deps.targets().map((t) => [t.name, t]));
    await Promise.all(due.map((record) => this.attempt(record, targets.get(record.target))));
  }

  private async attempt(record: NotificationRecord, target: NotificationTarget | undefined): Promise<void> {
    const now = this.now();
    const { db } = this.deps;
    if (!target) {
      markExpired(db, record.id, now, "its target is no longer in the configuration");
      this.deps.onAttempt?.(record, "expired");
      return;
    }
    const result = await target.send(record, {});
    const after = this.now();
    if (result.ok) {
      markSent(db, record.id, after);
      this.deps.log?.("info", "notification sent", { id: record.id, target: target.name, event: record.event, alert: record.alertName, service: record.serviceId });
      this.deps.onAttempt?.(record, "sent");
      return;
    }
    if (after - record.createdAt >= this.deps.retryMs) {
      markExpired(db, record.id, after, `not delivered within ${Math.round(this.deps.retryMs / 3_600_000)} h: ${result.error}`);
      this.deps.log?.("error", "notification given up", { id: record.id, target: target.name, error: result.error });
      this.deps.onAttempt?.(record, "expired");
      return;
    }
    const wait = Math.max(result.retryAfterMs ?? 0, retryDelayMs(record.attempts + 1));
    markFailed(db, record.id, after, result.error, after + wait);
    this.deps.log?.("warn", "notification not delivered; will retry", { id: record.id, target: target.name, error: result.error, retryInMs: wait });
    this.deps.onAttempt?.(record, "failed");
  }

  /** Each configured target with its queue and its last delivery, for the Settings page. */
  status(): TargetStatus[] {
    const figures = targetFigures(this.deps.db);
    return this.deps.targets().map((t) => {
      const f = figures.get(t.name);
      return {
        name: t.name,
        type: t.type,
        destination: t.destination,
        minSeverity: t.minSeverity,
        configProblem: t.problem ?? null,
        pending: f?.pending ?? 0,
        oldestPendingAt: f?.oldestPendingAt ?? null,
        nextAttemptAt: f?.nextAttemptAt ?? null,
        lastSentAt: f?.lastSentAt ?? null,
        lastError: f?.lastError ?? null,
        lastErrorAt: f?.lastErrorAt ?? null,
      };
    });
  }
}
