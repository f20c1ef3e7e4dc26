import { describe, expect, it } from "vitest";
import { protectionCounts, protectionNextStep, protectionOf, protectionSentence, type ProtectionInput } from "./protection";
import { cronIntervalHours, describeInterval, fireTimes, parseCron, staleAfterHours } from "./schedule";
import type { ProtectionMethod } from "./types";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

describe("cron schedules", () => {
  it.each([
    ["30 3 * * *", 24],
    ["@daily", 24],
    ["0 */6 * * *", 6],
    ["15 2 * * 0", 168],
    ["@weekly", 168],
    ["0 0 1 * *", 31 * 24],
    ["*/15 * * * *", 0.25],
    ["0 3 * * mon,thu", 96],
    ["0 4 * * 1-5", 72],
  ])("%s runs at most every %s h", (expr, hours) => {
    expect(cronIntervalHours(expr)).toBe(hours);
  });

  it("gives null for expressions that do not parse", () => {
    for (const bad of ["", "* * * *", "61 * * * *", "0 25 * * *", "x y z a b", "0 0 5-1 * *"]) expect(cronIntervalHours(bad), bad).toBeNull();
    expect(() => parseCron("0 0 * * * *")).toThrow(/6 fields, not 5/);
  });

  it("fires where cron would: both day fields restricted means either one", () => {
    const spec = parseCron("0 12 1 * 1");
    const times = fireTimes(spec, Date.UTC(2026, 5, 1), Date.UTC(2026, 6, 1)).map((t) => new Date(t).getUTCDate());
    // June 2026: the 1st (a Monday) and the other Mondays.
    expect(times).toEqual([1, 8, 15, 22, 29]);
  });

  it("counts 26 h as stale for a daily schedule", () => {
    expect(staleAfterHours(24)).toBe(26);
    expect(describeInterval(24)).toBe("daily");
    expect(describeInterval(168)).toBe("weekly");
    expect(describeInterval(6)).toBe("every 6 h");
  });
});

const daily: ProtectionMethod = { kind: "volume", cronJob: "media/jellyseerr-backup", schedule: "30 3 * * *", suspended: false, backupClaim: "backups", intervalHours: 24, restoreReady: true };
const base = (over: Partial<ProtectionInput> = {}): ProtectionInput => ({
  service: { id: "media/jellyseerr", namespace: "media", name: "jellyseerr", displayName: "Jellyseerr" },
  holdsState: true,
  methods: [daily],
  now: NOW,
  enable: { offered: false },
  ...over,
});
const good = (hoursAgo: number, verification: "verified" | "unverified" | "failed" = "verified") => ({
  id: 7,
  startedAt: NOW - hoursAgo * HOUR - 60_000,
  finishedAt: NOW - hoursAgo * HOUR,
  source: "volume" as const,
  verification,
});

describe("a service's protection", () => {
  it("is fresh within the schedule, stale past 26 h for a daily one, never before the first good backup", () => {
    expect(protectionOf(base({ lastGood: good(25.9) }))).toMatchObject({ state: "fresh", intervalHours: 24, staleAfterHours: 26 });
    const stale = protectionOf(base({ lastGood: good(26.5) }));
    expect(stale.state).toBe("stale");
    expect(stale.summary).toMatch(/daily volume backup; last good backup 27 h ago \(verified\); stale: older than 26 h/);
    expect(protectionOf(base()).state).toBe("never");
  });

  it("is unprotected with state and no schedule, or with only a suspended CronJob; not needed without state", () => {
    expect(protectionOf(base({ methods: [] })).state).toBe("unprotected");
    const suspended = protectionOf(base({ methods: [{ ...daily, suspended: true }], lastGood: good(1) }));
    expect(suspended.state).toBe("unprotected");
    expect(suspended.summary).toMatch(/suspended/);
    expect(protectionOf(base({ methods: [], holdsState: false })).state).toBe("not-needed");
  });

  it("takes the tightest of several schedules and says when the last run failed", () => {
    const app: ProtectionMethod = { kind: "app", intervalHours: 168, note: "copies stay on the app's own volume" };
    const p = protectionOf(base({ methods: [app, daily], lastGood: good(30), lastRun: { id: 9, startedAt: NOW - HOUR, finishedAt: NOW - HOUR, result: "failed", reason: "exit code 3" } }));
    expect(p.intervalHours).toBe(24);
    expect(p.state).toBe("stale");
    expect(p.summary).toMatch(/last run failed: exit code 3/);
    expect(p.lastRun).toMatchObject({ id: 9, result: "failed" });
    expect(protectionOf(base({ methods: [app], lastGood: good(100) })).state).toBe("fresh");
  });

  it("counts unprotected and stale services for the Overview banner", () => {
    const list = [
      protectionOf(base({ methods: [] })),
      protectionOf(base({ lastGood: good(40) })),
      protectionOf(base()),
      protectionOf(base({ lastGood: good(1) })),
      protectionOf(base({ methods: [], holdsState: false })),
    ];
    const counts = protectionCounts(list);
    expect(counts).toEqual({ unprotected: 1, stale: 2, protected: 1, total: 4 });
    expect(protectionSentence(counts)).toBe("Backups: 1 service without backups, 2 with stale backups");
    expect(protectionSentence(protectionCounts([list[3] as (typeof list)[number]]))).toBeUndefined();
  });
});

describe("the next step the Backups table shows for a service", () => {
  const unprotected = { state: "unprotected" as const, enable: { offered: true } };
  it("an unprotected service says how to enable backups, and who may", () => {
    expect(protectionNextStep(unprotected, { admin: true, gitops: true })).toBe("Not backed up yet: enable backups below (a pull request that adds a daily backup CronJob).");
    expect(protectionNextStep(unprotected, { admin: false, gitops: true })).toBe("Not backed up yet. An admin can enable backups (a pull request that adds a daily backup CronJob).");
    expect(protectionNextStep(unprotected, { admin: true, gitops: false })).toMatch(/^Not backed up yet\. Enabling backups is a pull request, and the panel has no GitOps repository configured/);
  });
  it("one whose enabling is not offered says why; a protected one with its button says nothing more", () => {
    expect(protectionNextStep({ state: "unprotected", enable: { offered: false, reason: "monitoring is not one of the namespaces that hold backups (backups.namespaces)" } }, { admin: true, gitops: true })).toBe(
      "Enable backups is not offered: monitoring is not one of the namespaces that hold backups (backups.namespaces).",
    );
    expect(protectionNextStep({ state: "never", enable: { offered: false }, backupNow: "volume" }, { admin: true, gitops: true })).toBeUndefined();
    expect(protectionNextStep({ state: "fresh", enable: { offered: false } }, { admin: true, gitops: true })).toBeUndefined();
    expect(protectionNextStep({ state: "stale", enable: { offered: false } }, { admin: true, gitops: true })).toBe("Backed up by a method the panel cannot start by hand: wait for its schedule.");
  });
});
