import { describe, expect, it } from "vitest";
import { sparklinePath } from "./sparkline";

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
