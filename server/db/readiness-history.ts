import "server-only";
import type { Score } from "@/lib/readiness/matrix";
import type { PanelDb } from "./open";

/** The service id the stack's own score is kept under. */
export const STACK = "";

/** One point of the readiness history. */
export interface ReadinessPoint {
  at: number;
  passed: number;
  applicable: number;
  percent: number;
}

/** Rows older than this are dropped when a new one is written. */
const KEEP_MS = 400 * 86_400_000;

const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * Records the scores just computed: a row for a service (or the stack, {@link STACK}) when its score
 * differs from its last row, or its last row is from an earlier day (UTC). Returns how many rows it
 * wrote. One transaction; the caller decides what a database fault means.
 */
export function recordReadiness(db: PanelDb, scores: ReadonlyArray<{ service: string; score: Score }>, now = Date.now()): number {
  const client = db.$client;
  const last = client.prepare("SELECT day, passed, applicable FROM readiness_history WHERE service = ? ORDER BY at DESC, id DESC LIMIT 1");
  const insert = client.prepare("INSERT INTO readiness_history (service, day, at, passed, applicable, percent) VALUES (?, ?, ?, ?, ?, ?)");
  const day = dayOf(now);
  return client.transaction(() => {
    let written = 0;
    for (const { service, score } of scores) {
      const row = last.get(service) as { day: string; passed: number; applicable: number } | undefined;
      if (row && row.day === day && row.passed === score.passed && row.applicable === score.applicable) continue;
      insert.run(service, day, now, score.passed, score.applicable, score.percent);
      written++;
    }
    if (written > 0) client.prepare("DELETE FROM readiness_history WHERE at < ?").run(now - KEEP_MS);
    return written;
  })();
}

/** A service's (or the stack's) history since `since`, oldest first. */
export function readinessHistory(db: PanelDb, service: string, since: number): ReadinessPoint[] {
  return db.$client
    .prepare("SELECT at, passed, applicable, percent FROM readiness_history WHERE service = ? AND at >= ? ORDER BY at, id")
    .all(service, since) as ReadinessPoint[];
}

/** Every service's history since `since`, oldest first, by service id (the stack under {@link STACK}). */
export function readinessHistories(db: PanelDb, since: number): Map<string, ReadinessPoint[]> {
  const rows = db.$client
    .prepare("SELECT service, at, passed, applicable, percent FROM readiness_history WHERE at >= ? ORDER BY at, id")
    .all(since) as Array<ReadinessPoint & { service: string }>;
  const out = new Map<string, ReadinessPoint[]>();
  for (const { service, ...point } of rows) {
    const list = out.get(service) ?? [];
    list.push(point);
    out.set(service, list);
  }
  return out;
}
