import "server-only";
import type { Statement } from "better-sqlite3";
import { and, asc, desc, eq, gte, lt, lte, sql } from "drizzle-orm";
import type { AppCheck, HealthStatus } from "@/lib/services";
import {
  availability,
  emptyCounts,
  HOUR_MS,
  hourStart,
  MINUTE_MS,
  minuteStart,
  UPTIME_WINDOWS,
  windowStart,
  type StatusCounts,
  type UptimeWindow,
} from "@/lib/uptime";
import type { PanelDb } from "./open";
import { probeHours, probeMinutes, probeResults } from "./schema-probes";

/** One probe result as the prober writes it. */
export interface ProbeRecord {
  serviceId: string;
  at: number;
  /** The verdict at that moment (what uptime counts). */
  status: HealthStatus;
  /** The app's own status; null when the service has no app module. */
  appStatus: HealthStatus | null;
  latencyMs: number | null;
  version: string | null;
  errorCode: string | null;
  detail: string | null;
  checks: AppCheck[];
}

const ROLLUP_UPSERT = (table: "probe_minutes" | "probe_hours", bucket: "minute" | "hour") => `
  INSERT INTO ${table} (service_id, ${bucket}, up, degraded, down, unknown, latency_count, latency_sum, latency_max)
  VALUES (@serviceId, @bucket, @up, @degraded, @down, @unknown, @latencyCount, @latencySum, @latencyMax)
  ON CONFLICT (service_id, ${bucket}) DO UPDATE SET
    up = up + excluded.up,
    degraded = degraded + excluded.degraded,
    down = down + excluded.down,
    unknown = unknown + excluded.unknown,
    latency_count = latency_count + excluded.latency_count,
    latency_sum = latency_sum + excluded.latency_sum,
    latency_max = max(coalesce(latency_max, excluded.latency_max), coalesce(excluded.latency_max, latency_max))`;

interface Writers {
  insert: Statement;
  minute: Statement;
  hour: Statement;
}

const writers = new WeakMap<PanelDb, Writers>();

function writersOf(db: PanelDb): Writers {
  let w = writers.get(db);
  if (!w) {
    w = {
      insert: db.$client.prepare(
        `INSERT INTO probe_results (service_id, at, status, app_status, latency_ms, version, error_code, detail, checks)
         VALUES (@serviceId, @at, @status, @appStatus, @latencyMs, @version, @errorCode, @detail, @checks)`,
      ),
      minute: db.$client.prepare(ROLLUP_UPSERT("probe_minutes", "minute")),
      hour: db.$client.prepare(ROLLUP_UPSERT("probe_hours", "hour")),
    };
    writers.set(db, w);
  }
  return w;
}

/**
 * Writes results and their per-minute and per-hour counters in one transaction (one insert and two
 * upserts per result, prepared once per database).
 */
export function recordProbeResults(db: PanelDb, records: readonly ProbeRecord[]): void {
  if (records.length === 0) return;
  const w = writersOf(db);
  db.$client.transaction(() => {
    for (const r of records) {
      w.insert.run({
        serviceId: r.serviceId,
        at: r.at,
        status: r.status,
        appStatus: r.appStatus,
        latencyMs: r.latencyMs,
        version: r.version,
        errorCode: r.errorCode,
        detail: r.detail,
        checks: r.checks.length > 0 ? JSON.stringify(r.checks) : null,
      });
      const lat = r.latencyMs;
      const row = {
        serviceId: r.serviceId,
        up: r.status === "up" ? 1 : 0,
        degraded: r.status === "degraded" ? 1 : 0,
        down: r.status === "down" ? 1 : 0,
        unknown: r.status === "unknown" ? 1 : 0,
        latencyCount: lat === null ? 0 : 1,
        latencySum: lat ?? 0,
        latencyMax: lat,
      };
      w.minute.run({ ...row, bucket: minuteStart(r.at) });
      w.hour.run({ ...row, bucket: hourStart(r.at) });
    }
  })();
}

/** How long each kind of row is kept. */
export interface RetentionPolicy {
  rawHours: number;
  hourDays: number;
}

/** Deletes raw results and minute counters older than `rawHours`, hour counters older than `hourDays`. */
export function applyRetention(
  db: PanelDb,
  now: number,
  policy: RetentionPolicy = { rawHours: 48, hourDays: 90 },
): { results: number; minutes: number; hours: number } {
  const rawCutoff = now - policy.rawHours * HOUR_MS;
  const hourCutoff = now - policy.hourDays * 24 * HOUR_MS;
  return db.transaction((tx) => ({
    results: tx.delete(probeResults).where(lt(probeResults.at, rawCutoff)).run().changes,
    // A bucket goes once all of it is older than the cutoff.
    minutes: tx.delete(probeMinutes).where(lt(probeMinutes.minute, rawCutoff - MINUTE_MS)).run().changes,
    hours: tx.delete(probeHours).where(lt(probeHours.hour, hourCutoff - HOUR_MS)).run().changes,
  }));
}

/** Status counts of one service (or every service when `serviceId` is undefined) over a window. */
function windowCounts(db: PanelDb, now: number, window: UptimeWindow, serviceId?: string): Map<string, StatusCounts> {
  const from = windowStart(now, window);
  const to = hourStart(now);
  const rows = db
    .select({
      serviceId: probeHours.serviceId,
      up: sql<number>`sum(${probeHours.up})`,
      degraded: sql<number>`sum(${probeHours.degraded})`,
      down: sql<number>`sum(${probeHours.down})`,
      unknown: sql<number>`sum(${probeHours.unknown})`,
    })
    .from(probeHours)
    .where(and(serviceId === undefined ? undefined : eq(probeHours.serviceId, serviceId), gte(probeHours.hour, from), lte(probeHours.hour, to)))
    .groupBy(probeHours.serviceId)
    .all();
  return new Map(rows.map((r) => [r.serviceId, { up: r.up, degraded: r.degraded, down: r.down, unknown: r.unknown }]));
}

/** Uptime ratio of one service over a window (see `lib/uptime.ts` for what counts); null without data. */
export function uptime(db: PanelDb, serviceId: string, window: UptimeWindow, now = Date.now()): number | null {
  return availability(windowCounts(db, now, window, serviceId).get(serviceId) ?? emptyCounts());
}

/** Status counts of one service over a window. */
export function uptimeCounts(db: PanelDb, serviceId: string, window: UptimeWindow, now = Date.now()): StatusCounts {
  return windowCounts(db, now, window, serviceId).get(serviceId) ?? emptyCounts();
}

/** Uptime ratios of every service with data in the window. */
export function uptimeAll(db: PanelDb, window: UptimeWindow, now = Date.now()): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const [id, counts] of windowCounts(db, now, window)) out.set(id, availability(counts));
  return out;
}

/** Bucket size of the charts per window: 5 min over 24 h, 1 h over 7 d, 6 h over 30 d. */
export const SERIES_BUCKET_MS: Record<UptimeWindow, number> = { "24h": 5 * MINUTE_MS, "7d": HOUR_MS, "30d": 6 * HOUR_MS };

/** One point of a latency chart. */
export interface LatencyPoint {
  /** Bucket start, ms. */
  at: number;
  /** Mean latency of the probes that got an answer; null when none did. */
  avgMs: number | null;
  maxMs: number | null;
}

/** One point of an availability chart. */
export interface AvailabilityPoint {
  at: number;
  counts: StatusCounts;
  /** Available share in the bucket; null when nothing was counted. */
  ratio: number | null;
}

interface SeriesRow {
  bucket: number;
  up: number;
  degraded: number;
  down: number;
  unknown: number;
  latencyCount: number;
  latencySum: number;
  latencyMax: number | null;
}

function seriesRows(db: PanelDb, serviceId: string, window: UptimeWindow, now: number): SeriesRow[] {
  const size = SERIES_BUCKET_MS[window];
  // Sub-hour buckets come from the minute counters (kept as long as raw results), the rest from hours.
  const t = size < HOUR_MS ? probeMinutes : probeHours;
  const col = size < HOUR_MS ? probeMinutes.minute : probeHours.hour;
  const from = Math.floor((now - UPTIME_WINDOWS[window] * HOUR_MS) / size) * size + size;
  const bucket = sql<number>`(${col} / ${sql.raw(String(Math.trunc(size)))}) * ${sql.raw(String(Math.trunc(size)))}`;
  return db
    .select({
      bucket,
      up: sql<number>`sum(${t.up})`,
      degraded: sql<number>`sum(${t.degraded})`,
      down: sql<number>`sum(${t.down})`,
      unknown: sql<number>`sum(${t.unknown})`,
      latencyCount: sql<number>`sum(${t.latencyCount})`,
      latencySum: sql<number>`sum(${t.latencySum})`,
      latencyMax: sql<number | null>`max(${t.latencyMax})`,
    })
    .from(t)
    .where(and(eq(t.serviceId, serviceId), gte(col, from), lte(col, now)))
    .groupBy(bucket)
    .orderBy(asc(bucket))
    .all();
}

/** Latency chart of one service over a window; buckets without probes are absent. */
export function latencySeries(db: PanelDb, serviceId: string, window: UptimeWindow, now = Date.now()): LatencyPoint[] {
  return seriesRows(db, serviceId, window, now).map((r) => ({
    at: r.bucket,
    avgMs: r.latencyCount > 0 ? Math.round((r.latencySum / r.latencyCount) * 10) / 10 : null,
    maxMs: r.latencyMax,
  }));
}

/** Availability chart of one service over a window; buckets without probes are absent. */
export function availabilitySeries(db: PanelDb, serviceId: string, window: UptimeWindow, now = Date.now()): AvailabilityPoint[] {
  return seriesRows(db, serviceId, window, now).map((r) => {
    const counts = { up: r.up, degraded: r.degraded, down: r.down, unknown: r.unknown };
    return { at: r.bucket, counts, ratio: availability(counts) };
  });
}

/** A stored result as read back. */
export type StoredProbeResult = ProbeRecord & { id: number };

function toRecord(r: typeof probeResults.$inferSelect): StoredProbeResult {
  return {
    id: r.id,
    serviceId: r.serviceId,
    at: r.at,
    status: r.status,
    appStatus: r.appStatus,
    latencyMs: r.latencyMs,
    version: r.version,
    errorCode: r.errorCode,
    detail: r.detail,
    checks: r.checks ? (JSON.parse(r.checks) as AppCheck[]) : [],
  };
}

/** The newest results of one service, newest first. */
export function recentResults(db: PanelDb, serviceId: string, limit = 60): StoredProbeResult[] {
  return db
    .select()
    .from(probeResults)
    .where(eq(probeResults.serviceId, serviceId))
    .orderBy(desc(probeResults.at), desc(probeResults.id))
    .limit(limit)
    .all()
    .map(toRecord);
}

/** The latest result of every service (what the prober shows right after a restart). */
export function latestResults(db: PanelDb): StoredProbeResult[] {
  const latest = db
    .select({ id: sql<number>`max(${probeResults.id})`.as("latest_id") })
    .from(probeResults)
    .groupBy(probeResults.serviceId)
    .as("latest");
  return db
    .select()
    .from(probeResults)
    .innerJoin(latest, eq(probeResults.id, latest.id))
    .all()
    .map((r) => toRecord(r.probe_results));
}

/**
 * Latency of recent probes for the overview's sparklines: every service's results since `since`,
 * oldest first, `ms` null when the probe got no answer.
 */
export function recentLatencies(db: PanelDb, since: number): Map<string, Array<{ at: number; ms: number | null }>> {
  const rows = db
    .select({ serviceId: probeResults.serviceId, at: probeResults.at, ms: probeResults.latencyMs })
    .from(probeResults)
    .where(gte(probeResults.at, since))
    .orderBy(asc(probeResults.at), asc(probeResults.id))
    .all();
  const out = new Map<string, Array<{ at: number; ms: number | null }>>();
  for (const r of rows) {
    let list = out.get(r.serviceId);
    if (!list) out.set(r.serviceId, (list = []));
    list.push({ at: r.at, ms: r.ms });
  }
  return out;
}

/** Latency of one service's recent probes (its sparkline), oldest first, `ms` null when the probe got no answer. */
export function recentLatenciesOf(db: PanelDb, serviceId: string, since: number): Array<{ at: number; ms: number | null }> {
  return db
    .select({ at: probeResults.at, ms: probeResults.latencyMs })
    .from(probeResults)
    .where(and(eq(probeResults.serviceId, serviceId), gte(probeResults.at, since)))
    .orderBy(asc(probeResults.at), asc(probeResults.id))
    .all();
}
