import { describe, expect, it } from "vitest";
import { planFromReadings, planSentence } from "./plan";
import { groupByTarget, matrixOf, mergeReadings, reportSentence, summarize } from "./state";
import type { LinkReading } from "./types";

function link(partial: Partial<LinkReading> & Pick<LinkReading, "key" | "state">): LinkReading {
  return {
    id: partial.key.split("|")[0] ?? partial.key,
    kind: "download-client",
    from: "sonarr",
    to: "qbittorrent",
    fromService: "media/sonarr",
    toService: "qbittorrent/qbittorrent",
    fromName: "Sonarr",
    toName: "qBittorrent",
    title: "download client",
    diff: [],
    checkedAt: 0,
    ...partial,
  };
}

const links: LinkReading[] = [
  link({ key: "a", state: "ok" }),
  link({ key: "b", state: "missing", fromName: "Radarr", fix: { verb: "create", words: "Create the qBittorrent download client in Radarr" } }),
  link({
    key: "c",
    state: "misconfigured",
    fromName: "Lidarr",
    diff: [{ field: "port", label: "Port", current: "9091", desired: "8080" }],
    fix: { verb: "update", words: "Update it" },
  }),
  link({ key: "d", state: "broken", fromName: "Prowlarr", toName: "Sonarr", to: "sonarr", message: "API Key is invalid", fix: { verb: "update", words: "Set the key" } }),
  link({ key: "e", state: "broken", blocked: "qBittorrent refuses the configured password", fix: { verb: "update", words: "x" } }),
  link({ key: "f", state: "needs_git", from: "unpackerr", fromName: "Unpackerr", toName: "Sonarr", to: "sonarr" }),
  link({ key: "g", state: "unknown", message: "Sonarr is unreachable" }),
];

describe("plan", () => {
  it("has a step per fixable link, counts what is right, and says why the rest is skipped", () => {
    const plan = planFromReadings(links);
    expect(plan.steps.map((s) => s.key)).toEqual(["b", "c", "d"]);
    expect(plan.steps[1]?.diff).toEqual([{ field: "port", label: "Port", current: "9091", desired: "8080" }]);
    expect(plan.unchanged).toBe(1);
    expect(plan.skipped.map((s) => [s.key, s.reason])).toEqual([
      ["e", "qBittorrent refuses the configured password"],
      ["f", "configured through the manifests: needs a Git change"],
      ["g", "cannot be read: Sonarr is unreachable"],
    ]);
    expect(planSentence(plan)).toBe("3 changes: 1 to create, 2 to update.");
  });

  it("limits itself to the links asked for; all right means nothing to change", () => {
    expect(planFromReadings(links, ["c"]).steps.map((s) => s.key)).toEqual(["c"]);
    expect(planSentence(planFromReadings([link({ key: "a", state: "ok" })]))).toBe("Nothing to change.");
  });
});

describe("folds", () => {
  it("summarises by state, worst first", () => {
    const s = summarize(links);
    expect(s.byState).toMatchObject({ ok: 1, missing: 1, misconfigured: 1, broken: 2, needs_git: 1, unknown: 1 });
    expect(s.fixable).toBe(3);
    expect(s.worst).toBe("broken");
    expect(s.sentence).toBe("1 of 7 links work; 2 broken, 1 misconfigured, 1 missing, 1 unknown, 1 need a Git change.");
    expect(summarize([link({ key: "a", state: "ok" })]).sentence).toBe("All 1 links are working.");
  });

  it("groups by target and builds the matrix", () => {
    const groups = groupByTarget(links);
    expect(groups.map((g) => g.toName)).toEqual(["qBittorrent", "Sonarr"]);
    expect(groups[1]?.links.map((l) => l.fromName)).toEqual(["Prowlarr", "Unpackerr"]);
    const m = matrixOf(links);
    expect(m.rows).toContain("Prowlarr");
    expect(m.cols).toEqual(["qBittorrent", "Sonarr"]);
    expect(m.cell("Lidarr", "qBittorrent").map((l) => l.key)).toEqual(["c"]);
    expect(m.cell("Lidarr", "Sonarr")).toEqual([]);
  });

  it("replaces links read again after an apply", () => {
    const after = link({ key: "b", state: "ok", fromName: "Radarr" });
    const merged = mergeReadings(links, {
      results: [{ key: "b", id: "b", title: "t", outcome: "created", message: "", changed: [], after }],
      changed: 1,
      failed: 0,
      unchanged: 0,
      durationMs: 1234,
    });
    expect(merged.find((l) => l.key === "b")?.state).toBe("ok");
    expect(reportSentence({ results: [], changed: 1, failed: 1, unchanged: 5, durationMs: 1234 })).toBe("1 changed, 1 failed, 5 already right (1.2 s).");
    expect(reportSentence({ results: [], changed: 0, failed: 0, unchanged: 5, durationMs: 10 })).toBe("Nothing to change: every link was already right.");
  });
});
