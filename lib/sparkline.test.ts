import { describe, expect, it } from "vitest";
import { sparklinePath, thinLatency } from "./sparkline";

describe("sparklinePath", () => {
  it("spreads the points over the width, the largest at the top and zero at the bottom", () => {
    expect(sparklinePath([0, 50, 100], 100, 32, 2)).toBe("M0 30 L50 16 L100 2");
  });

  it("leaves a gap where a probe failed", () => {
    expect(sparklinePath([10, null, 10, 10], 30, 12, 1)).toBe("M0 1 M20 1 L30 1");
  });

  it("draws nothing for fewer than two points, and a flat line for all zeros", () => {
    expect(sparklinePath([5], 100, 32)).toBe("");
    expect(sparklinePath([0, 0], 10, 10, 0)).toBe("M0 10 L10 10");
  });
});

describe("thinLatency", () => {
  it("keeps a short series as it is", () => {
    const points = [{ at: 1, ms: 10 }, { at: 2, ms: null }];
    expect(thinLatency(points, 5)).toEqual(points);
  });

  it("merges neighbours down to the maximum, keeping the worst latency and every failure as a gap", () => {
    const points = [10, 30, 20, 20, null, 5, 7, 9, 8].map((ms, i) => ({ at: i * 1000, ms }));
    expect(thinLatency(points, 4)).toEqual([
      { at: 0, ms: 30 },
      { at: 3000, ms: null },
      { at: 6000, ms: 9 },
    ]);
  });

  it("thins an hour of 30-second probes to at most 60 points", () => {
    const hour = Array.from({ length: 120 }, (_, i) => ({ at: i * 30_000, ms: i }));
    const thin = thinLatency(hour);
    expect(thin).toHaveLength(60);
    expect(thin.at(-1)).toEqual({ at: 118 * 30_000, ms: 119 });
  });
});
