import "server-only";
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { DetectorAlert } from "@/lib/alerts/detector";
import type { NotificationRecord } from "@/lib/alerts/notifications";
import type { PanelDb } from "./open";
import { alertStates, notifications } from "./schema-alerts";

/** The detector's alerts and the notification outbox (tables of migration 0005). */

type StateRow = typeof alertStates.$inferSelect;
type NotificationRow = typeof notifications.$inferSelect;

function toAlert(r: StateRow): DetectorAlert {
  return {
    serviceId: r.serviceId,
    displayName: r.displayName,
    appKind: r.appKind,
    status: r.status,
    severity: r.severity,
    since: r.since,
    firedAt: r.firedAt,
    resolvedAt: r.resolvedAt,
    lastNotifiedAt: r.lastNotifiedAt,
    downCount: r.downCount,
    badCount: r.badCount,
    goodCount: r.goodCount,
    reason: r.reason,
    updatedAt: r.updatedAt,
  };
}

function toRecord(r: NotificationRow): NotificationRecord {
  return { ...r };
}

/** A notification as enqueued. */
export type NewNotification = Omit<NotificationRecord, "id" | "status" | "attempts" | "lastAttemptAt" | "lastError" | "sentAt">;

/** Every stored detector alert (pending, firing, and resolved ones not yet pruned). */
export function loadAlertStates(db: PanelDb): DetectorAlert[] {
  return db.select().from(alertStates).all().map(toAlert);
}

/**
 * Writes the detector's decisions in one transaction: alert states changed or removed, and the
 * notifications they produce. A message is never lost between the decision and the outbox.
 */
export function commitDetector(db: PanelDb, change: { upsert: DetectorAlert[]; remove: string[]; enqueue: NewNotification[] }): NotificationRecord[] {
  return db.transaction((tx) => {
    for (const a of change.upsert) {
      const row = { ...a };
      tx.insert(alertStates).values(row).onConflictDoUpdate({ target: alertStates.serviceId, set: row }).run();
    }
    if (change.remove.length > 0) tx.delete(alertStates).where(inArray(alertStates.serviceId, change.remove)).run();
    return change.enqueue.map((n) => toRecord(tx.insert(notifications).values({ ...n, status: "pending", attempts: 0 }).returning().get()));
  });
}

/** Enqueues notifications (a test message). */
export function enqueueNotifications(db: PanelDb, rows: NewNotification[]): NotificationRecord[] {
  return commitDetector(db, { upsert: [], remove: [], enqueue: rows });
}

/**
 * The next message of each target that is due: only the oldest pending message of a target is ever
 * attempted, so messages arrive in order (a recovery never before its alert).
 */
export function dueNotifications(db: PanelDb, now: number): NotificationRecord[] {
  const heads = db
    .select({ id: sql<number>`min(${notifications.id})` })
    .from(notifications)
    .where(eq(notifications.status, "pending"))
    .groupBy(notifications.target)
    .all()
    .map((r) => r.id);
  if (heads.length === 0) return [];
  return db
    .select()
    .from(notifications)
    .where(and(inArray(notifications.id, heads), sql`${notifications.nextAttemptAt} <= ${now}`))
    .orderBy(asc(notifications.id))
    .all()
    .map(toRecord);
}

/** When the next pending message is due (null when none waits). */
export function nextDueAt(db: PanelDb): number | null {
  const row = db.select({ at: sql<number | null>`min(${notifications.nextAttemptAt})` }).from(notifications).where(eq(notifications.status, "pending")).get();
  return row?.at ?? null;
}

export function markSent(db: PanelDb, id: number, now: number): void {
  db.update(notifications)
    .set({ status: "sent", sentAt: now, lastAttemptAt: now, attempts: sql`${notifications.attempts} + 1`, lastError: null })
    .where(eq(notifications.id, id))
    .run();
}

/** A failed attempt: the error and when to try again. */
export function markFailed(db: PanelDb, id: number, now: number, error: string, nextAttemptAt: number): void {
  db.update(notifications)
    .set({ lastAttemptAt: now, attempts: sql`${notifications.attempts} + 1`, lastError: error, nextAttemptAt })
    .where(eq(notifications.id, id))
    .run();
}

/** Given up after the retry window: kept, with why. */
export function markExpired(db: PanelDb, id: number, now: number, error: string): void {
  db.update(notifications).set({ status: "expired", lastAttemptAt: now, lastError: error }).where(eq(notifications.id, id)).run();
}

/** The history, newest first. */
export function listNotifications(db: PanelDb, opts: { limit?: number; serviceId?: string } = {}): NotificationRecord[] {
  const q = db.select().from(notifications);
  const rows = (opts.serviceId ? q.where(eq(notifications.serviceId, opts.serviceId)) : q)
    .orderBy(desc(notifications.id))
    .limit(opts.limit ?? 100)
    .all();
  return rows.map(toRecord);
}

/** One notification by id. */
export function getNotification(db: PanelDb, id: number): NotificationRecord | undefined {
  const row = db.select().from(notifications).where(eq(notifications.id, id)).get();
  return row ? toRecord(row) : undefined;
}

/** Per target: pending messages, the oldest one, the next attempt, the last success and the last error. */
export function targetFigures(db: PanelDb): Map<string, { pending: number; oldestPendingAt: number | null; nextAttemptAt: number | null; lastSentAt: number | null; lastError: string | null; lastErrorAt: number | null }> {
  const out = new Map<string, { pending: number; oldestPendingAt: number | null; nextAttemptAt: number | null; lastSentAt: number | null; lastError: string | null; lastErrorAt: number | null }>();
  const pending = db
    .select({ target: notifications.target, n: sql<number>`count(*)`, oldest: sql<number>`min(${notifications.createdAt})`, next: sql<number>`min(${notifications.nextAttemptAt})` })
    .from(notifications)
    .where(eq(notifications.status, "pending"))
    .groupBy(notifications.target)
    .all();
  const sent = db
    .select({ target: notifications.target, at: sql<number>`max(${notifications.sentAt})` })
    .from(notifications)
    .where(eq(notifications.status, "sent"))
    .groupBy(notifications.target)
    .all();
  const failed = db
    .select({ target: notifications.target, at: sql<number>`max(${notifications.lastAttemptAt})` })
    .from(notifications)
    .where(sql`${notifications.lastError} IS NOT NULL`)
    .groupBy(notifications.target)
    .all();
  const get = (t: string) => {
    let f = out.get(t);
    if (!f) out.set(t, (f = { pending: 0, oldestPendingAt: null, nextAttemptAt: null, lastSentAt: null, lastError: null, lastErrorAt: null }));
    return f;
  };
  for (const p of pending) Object.assign(get(p.target), { pending: p.n, oldestPendingAt: p.oldest, nextAttemptAt: p.next });
  for (const s of sent) get(s.target).lastSentAt = s.at;
  for (const f of failed) {
    const row = db
      .select({ error: notifications.lastError })
      .from(notifications)
      .where(and(eq(notifications.target, f.target), eq(notifications.lastAttemptAt, f.at)))
      .get();
    const fig = get(f.target);
    // Only an error newer than the last success is current.
    if (fig.lastSentAt === null || f.at > fig.lastSentAt) Object.assign(fig, { lastError: row?.error ?? null, lastErrorAt: f.at });
  }
  return out;
}

/** Deletes delivered or expired notifications and resolved alerts older than `before`. */
export function pruneAlerts(db: PanelDb, before: number): { notifications: number; alerts: number } {
  const n = db.delete(notifications).where(and(inArray(notifications.status, ["sent", "expired"]), lt(notifications.createdAt, before))).run().changes;
  const a = db.delete(alertStates).where(and(eq(alertStates.status, "resolved"), lt(alertStates.updatedAt, before))).run().changes;
  return { notifications: n, alerts: a };
}
