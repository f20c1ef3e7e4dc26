import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./open";
import { STACK, readinessHistories, readinessHistory, recordReadiness } from "./readiness-history";

const fresh = () => openDatabase(mkdtempSync(path.join(tmpdir(), "panel-db-")));
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 11, 7, 10);
const score = (passed: number, applicable: number) => ({ passed, applicable, percent: Math.floor((passed * 100) / applicable) });

describe("readiness history", () => {
  it("keeps a row per change of score, and one a day while it stays the same", () => {
    const db = fresh();
    expect(recordReadiness(db, [{ service: "media/sonarr", score: score(6, 8) }, { service: STACK, score: score(6, 8) }], T0)).toBe(2);
    // Same scores the same day: nothing new.
    expect(recordReadiness(db, [{ service: "media/sonarr", score: score(6, 8) }, { service: STACK, score: score(6, 8) }], T0 + 3_600_000)).toBe(0);
    // A change: a row for that service only.
    expect(recordReadiness(db, [{ service: "media/sonarr", score: score(7, 8) }, { service: STACK, score: score(6, 8) }], T0 + 2 * 3_600_000)).toBe(1);
    // The next day, unchanged: one row each, so the trend has a point a day.
    expect(recordReadiness(db, [{ service: "media/sonarr", score: score(7, 8) }, { service: STACK, score: score(6, 8) }], T0 + DAY)).toBe(2);
    expect(readinessHistory(db, "media/sonarr", 0).map((p) => [p.at, p.passed, p.percent])).toEqual([
      [T0, 6, 75],
      [T0 + 2 * 3_600_000, 7, 87],
      [T0 + DAY, 7, 87],
    ]);
    expect(readinessHistory(db, STACK, T0 + 1)).toEqual([{ at: T0 + DAY, passed: 6, applicable: 8, percent: 75 }]);
    expect([...readinessHistories(db, 0).keys()].sort()).toEqual([STACK, "media/sonarr"]);
  });

  it("counts a change of the applicable cells as a change of score", () => {
    const db = fresh();
    recordReadiness(db, [{ service: "media/sonarr", score: score(6, 8) }], T0);
    expect(recordReadiness(db, [{ service: "media/sonarr", score: score(6, 7) }], T0 + 1000)).toBe(1);
  });

  it("drops rows older than about 13 months when it writes", () => {
    const db = fresh();
    recordReadiness(db, [{ service: "media/sonarr", score: score(1, 8) }], T0 - 500 * DAY);
    recordReadiness(db, [{ service: "media/sonarr", score: score(2, 8) }], T0);
    expect(readinessHistory(db, "media/sonarr", 0).map((p) => p.passed)).toEqual([2]);
  });
});
