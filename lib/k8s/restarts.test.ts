import { describe, expect, it } from "vitest";
import { HOUR_MS, podRestartsInWindow, updateRestartHistory, type RestartHistory } from "./restarts";
import type { Pod } from "./types";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const min = 60_000;
const iso = (t: number) => new Date(t).toISOString();

function pod(restarts: number, opts: { startedAt?: number; finishedAt?: number; uid?: string } = {}): Pod {
  return {
    metadata: { name: "p", namespace: "media", uid: opts.uid ?? "pod-1" },
    status: {
      startTime: iso(opts.startedAt ?? T0 - 10 * HOUR_MS),
      containerStatuses: [
        { name: "app", restartCount: restarts, ...(opts.finishedAt !== undefined ? { lastState: { terminated: { finishedAt: iso(opts.finishedAt) } } } : {}) },
      ],
    },
  };
}

describe("restarts within the last hour", () => {
  it("a pod started within the hour: all its restarts count", () => {
    expect(podRestartsInWindow(pod(4, { startedAt: T0 - 20 * min }), T0)).toBe(4);
  });

  it("an old pod without history: at least 1 when the last termination is within the hour, else 0", () => {
    expect(podRestartsInWindow(pod(9, { finishedAt: T0 - 5 * min }), T0)).toBe(1);
    expect(podRestartsInWindow(pod(9, { finishedAt: T0 - 2 * HOUR_MS }), T0)).toBe(0);
    expect(podRestartsInWindow(pod(0), T0)).toBe(0);
  });

  it("an old pod with history: the increase since the sample an hour ago", () => {
    let h: RestartHistory = new Map();
    h = updateRestartHistory(h, [pod(2)], T0 - 90 * min); // baseline before the window
    h = updateRestartHistory(h, [pod(3)], T0 - 50 * min);
    h = updateRestartHistory(h, [pod(6)], T0 - 10 * min);
    expect(podRestartsInWindow(pod(6, { finishedAt: T0 - 10 * min }), T0, h)).toBe(4);
    // An hour later the baseline moved: only 6 -> 7 counts.
    h = updateRestartHistory(h, [pod(7)], T0 + 40 * min);
    expect(podRestartsInWindow(pod(7), T0 + 55 * min, h)).toBe(1);
  });

  it("history that starts within the window counts from the first observation", () => {
    const h = updateRestartHistory(new Map(), [pod(10)], T0 - 30 * min);
    expect(podRestartsInWindow(pod(12), T0, h)).toBe(2);
  });

  it("keeps only what the window needs and forgets pods that are gone", () => {
    let h: RestartHistory = new Map();
    for (let i = 0; i <= 10; i++) h = updateRestartHistory(h, [pod(i)], T0 + i * 15 * min);
    const samples = h.get("pod-1/app") ?? [];
    // Samples at 75, 90, 105, 120, 135, 150 min: the newest before the window start (150-60 = 90) is 90.
    expect(samples.map((s) => (s.at - T0) / min)).toEqual([90, 105, 120, 135, 150]);
    // Unchanged counts add no sample.
    expect(updateRestartHistory(h, [pod(10)], T0 + 151 * min).get("pod-1/app")).toHaveLength(5);
    expect(updateRestartHistory(h, [pod(0, { uid: "other" })], T0 + 151 * min).has("pod-1/app")).toBe(false);
  });
});
