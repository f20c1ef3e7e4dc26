/**
 * Uptime math. Pure; the storage (`server/db/probes.ts`) keeps per-hour counts of probe results, and
 * these functions turn counts into ratios.
 *
 * Decisions:
 * - A probe that found the service `up` or `degraded` counts as available (a degraded service still
 *   serves); `down` counts as unavailable; `unknown` (the panel could not tell, e.g. a missing key) is
 *   left out of both, so it neither helps nor hurts. No counted probe at all gives `null`, not 100 %.
 * - Every probe weighs the same (the prober runs on a fixed interval, so a probe stands for an equal
 *   slice of time).
 * - A window of N hours is the last N hour buckets, the current (partial) hour included: 24 h is the
 *   current hour and the 23 before it. Buckets start at whole UTC hours.
 */
import type { HealthStatus } from "./services";

export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** Uptime windows and their length in hours. */
export const UPTIME_WINDOWS = { "24h": 24, "7d": 7 * 24, "30d": 30 * 24 } as const;
export type UptimeWindow = keyof typeof UPTIME_WINDOWS;

/** Default target: 99 %. */
export const DEFAULT_UPTIME_TARGET_PERCENT = 99;

/** Probe results by status. */
export interface StatusCounts {
  up: number;
  degraded: number;
  down: number;
  unknown: number;
}

export function emptyCounts(): StatusCounts {
  return { up: 0, degraded: 0, down: 0, unknown: 0 };
}

/** Adds counts (returns a new object). */
export function addCounts(a: StatusCounts, b: StatusCounts): StatusCounts {
  return { up: a.up + b.up, degraded: a.degraded + b.degraded, down: a.down + b.down, unknown: a.unknown + b.unknown };
}

/** Counts a list of statuses. */
export function countStatuses(statuses: Iterable<HealthStatus>): StatusCounts {
  const c = emptyCounts();
  for (const s of statuses) c[s] += 1;
  return c;
}

/** Available share of the counted probes: (up + degraded) / (up + degraded + down); null when none counted. */
export function availability(c: StatusCounts): number | null {
  const counted = c.up + c.degraded + c.down;
  return counted === 0 ? null : (c.up + c.degraded) / counted;
}

/** Start of the hour bucket holding `at` (ms). */
export function hourStart(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

/** Start of the minute bucket holding `at` (ms). */
export function minuteStart(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

/** First hour bucket of a window ending now (inclusive). */
export function windowStart(now: number, window: UptimeWindow): number {
  return hourStart(now) - (UPTIME_WINDOWS[window] - 1) * HOUR_MS;
}

/** One hour (or minute) bucket of counts. */
export interface CountBucket {
  /** Bucket start, ms. */
  start: number;
  counts: StatusCounts;
}

/** Uptime ratio over a window from hourly buckets (buckets outside the window are ignored). */
export function uptimeOf(buckets: readonly CountBucket[], now: number, window: UptimeWindow): number | null {
  const from = windowStart(now, window);
  const to = hourStart(now);
  let total = emptyCounts();
  for (const b of buckets) if (b.start >= from && b.start <= to) total = addCounts(total, b.counts);
  return availability(total);
}

/** Ratio in percent, rounded down to two decimals so 99.996 % never shows as 100 %. */
export function toPercent(ratio: number | null): number | null {
  return ratio === null ? null : Math.floor(ratio * 10_000) / 100;
}

/** Whether a ratio meets the target percent; null when unknown. */
export function meetsTarget(ratio: number | null, targetPercent = DEFAULT_UPTIME_TARGET_PERCENT): boolean | null {
  return ratio === null ? null : ratio * 100 >= targetPercent;
}

/**
 * Error budget: how many more `down` probes the window tolerates before missing the target (negative
 * when already missed). E.g. 2,880 probes a day at 99 % allow 28 down.
 */
export function remainingBudget(c: StatusCounts, targetPercent = DEFAULT_UPTIME_TARGET_PERCENT): number {
  const counted = c.up + c.degraded + c.down;
  return Math.floor(counted * (1 - targetPercent / 100) + 1e-9) - c.down;
}
