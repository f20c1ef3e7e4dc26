import { describe, expect, it } from "vitest";
import {
  availability,
  countStatuses,
  HOUR_MS,
  meetsTarget,
  remainingBudget,
  toPercent,
  uptimeOf,
  windowStart,
  type CountBucket,
} from "./uptime";

const NOW = Date.UTC(2026, 5, 1, 12, 30); // 12:30 UTC

describe("uptime math", () => {
  it("counts up and degraded as available, down as not, leaves unknown out", () => {
    const c = countStatuses(["up", "up", "degraded", "down", "unknown", "unknown"]);
    expect(c).toEqual({ up: 2, degraded: 1, down: 1, unknown: 2 });
    expect(availability(c)).toBe(3 / 4);
    expect(availability(countStatuses(["unknown"]))).toBeNull();
    expect(availability(countStatuses([]))).toBeNull();
  });

  it("a window of N hours is the last N hour buckets, the current one included", () => {
    expect(windowStart(NOW, "24h")).toBe(Date.UTC(2026, 4, 31, 13));
    expect(windowStart(NOW, "7d")).toBe(Date.UTC(2026, 4, 25, 13));
    const buckets: CountBucket[] = [
      { start: Date.UTC(2026, 4, 31, 12), counts: { up: 0, degraded: 0, down: 120, unknown: 0 } }, // just outside 24 h
      { start: Date.UTC(2026, 4, 31, 13), counts: { up: 119, degraded: 0, down: 1, unknown: 0 } },
      { start: Date.UTC(2026, 5, 1, 12), counts: { up: 58, degraded: 2, down: 0, unknown: 3 } },
      { start: Date.UTC(2026, 5, 1, 13), counts: { up: 0, degraded: 0, down: 50, unknown: 0 } }, // future
    ];
    expect(uptimeOf(buckets, NOW, "24h")).toBe(179 / 180);
    expect(uptimeOf(buckets, NOW, "7d")).toBe(179 / 300);
    expect(uptimeOf([], NOW, "30d")).toBeNull();
    expect(HOUR_MS).toBe(3_600_000);
  });

  it("percent, target and error budget", () => {
    expect(toPercent(0.99996)).toBe(99.99);
    expect(toPercent(null)).toBeNull();
    expect(meetsTarget(0.99, 99)).toBe(true);
    expect(meetsTarget(0.9899, 99)).toBe(false);
    expect(meetsTarget(null)).toBeNull();
    expect(remainingBudget({ up: 2870, degraded: 0, down: 10, unknown: 5 })).toBe(18);
    expect(remainingBudget({ up: 2840, degraded: 0, down: 40, unknown: 0 })).toBe(-12);
  });
});
