import "server-only";
import { and, count, desc, eq, gt, isNull, like, lt, or, type SQL } from "drizzle-orm";
import { AUDIT_PAGE_SIZE, type AuditEvent, type AuditFilter } from "@/lib/audit";
import { summarizeInput } from "@/lib/redact";
import type { PanelDb } from "./open";
import { auditEvents } from "./schema";

/** What the action wrapper records; the input is summarised and stripped of secrets here. */
export interface NewAuditEvent {
  actor: string;
  role: string;
  action: string;
  target?: string | null;
  input?: unknown;
  result: AuditEvent["result"];
  errorCode?: string | null;
  errorMessage?: string | null;
  links?: AuditEvent["links"];
}

export function recordAuditEvent(db: PanelDb, event: NewAuditEvent, now = Date.now()): number {
  const row = db
    .insert(auditEvents)
    .values({
      at: now,
      actor: event.actor,
      role: event.role,
      action: event.action,
      target: event.target ?? null,
      inputSummary: event.input === undefined ? null : JSON.stringify(summarizeInput(event.input)),
      result: event.result,
      errorCode: event.errorCode ?? null,
      errorMessage: event.errorMessage ?? null,
      links: event.links && event.links.length > 0 ? JSON.stringify(event.links) : null,
    })
    .returning({ id: auditEvents.id })
    .get();
  return row.id;
}

/**
 * Records an event, or folds it into the newest identical one (same actor, action, target, result
 * and error code) recorded within `windowMs`: that row's `repeatCount` grows and its time moves to
 * now. Used for failed sign-ins, so a flood costs one row per client and window, not one per try.
 */
export function recordRepeatedAuditEvent(db: PanelDb, event: NewAuditEvent, windowMs: number, now = Date.now()): { id: number; repeatCount: number } {
  return db.transaction((tx) => {
    const same = tx
      .select({ id: auditEvents.id, at: auditEvents.at, firstAt: auditEvents.firstAt, repeatCount: auditEvents.repeatCount })
      .from(auditEvents)
      .where(
        and(
          gt(auditEvents.at, now - windowMs),
          eq(auditEvents.action, event.action),
          eq(auditEvents.actor, event.actor),
          eq(auditEvents.result, event.result),
          event.target ? eq(auditEvents.target, event.target) : isNull(auditEvents.target),
          event.errorCode ? eq(auditEvents.errorCode, event.errorCode) : isNull(auditEvents.errorCode),
        ),
      )
      .orderBy(desc(auditEvents.at))
      .limit(1)
      .get();
    if (!same) return { id: recordAuditEvent(tx as unknown as PanelDb, event, now), repeatCount: 1 };
    tx.update(auditEvents)
      .set({ at: now, firstAt: same.firstAt ?? same.at, repeatCount: same.repeatCount + 1, errorMessage: event.errorMessage ?? null })
      .where(eq(auditEvents.id, same.id))
      .run();
    return { id: same.id, repeatCount: same.repeatCount + 1 };
  });
}

/** Deletes audit events older than `retentionDays`; returns how many went. */
export function pruneAuditEvents(db: PanelDb, retentionDays: number, now = Date.now()): number {
  return db.delete(auditEvents).where(lt(auditEvents.at, now - retentionDays * 86_400_000)).run().changes;
}

function whereOf(filter: AuditFilter): SQL | undefined {
  const parts: SQL[] = [];
  if (filter.actor) parts.push(eq(auditEvents.actor, filter.actor));
  if (filter.action) parts.push(eq(auditEvents.action, filter.action));
  if (filter.result) parts.push(eq(auditEvents.result, filter.result));
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    const text = or(like(auditEvents.action, pattern), like(auditEvents.target, pattern), like(auditEvents.actor, pattern));
    if (text) parts.push(text);
  }
  return parts.length > 0 ? and(...parts) : undefined;
}

/** Newest first, one page of `AUDIT_PAGE_SIZE`, plus the total matching count. */
export function listAuditEvents(
  db: PanelDb,
  filter: AuditFilter,
  page: number,
): { events: AuditEvent[]; total: number; page: number; pageCount: number } {
  const where = whereOf(filter);
  const total = db.select({ n: count() }).from(auditEvents).where(where).get()?.n ?? 0;
  const pageCount = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));
  const current = Math.min(Math.max(1, Math.floor(page) || 1), pageCount);
  const rows = db
    .select()
    .from(auditEvents)
    .where(where)
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(AUDIT_PAGE_SIZE)
    .offset((current - 1) * AUDIT_PAGE_SIZE)
    .all();
  return {
    total,
    page: current,
    pageCount,
    events: rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      role: r.role,
      action: r.action,
      target: r.target,
      inputSummary: r.inputSummary ? (JSON.parse(r.inputSummary) as unknown) : null,
      result: r.result,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      links: r.links ? (JSON.parse(r.links) as AuditEvent["links"]) : [],
      repeatCount: r.repeatCount,
      firstAt: r.firstAt,
    })),
  };
}

/** Distinct action names, for the Audit page's filter. */
export function listAuditActions(db: PanelDb): string[] {
  return db
    .selectDistinct({ action: auditEvents.action })
    .from(auditEvents)
    .orderBy(auditEvents.action)
    .all()
    .map((r) => r.action);
}
