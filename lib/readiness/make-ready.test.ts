import { describe, expect, it } from "vitest";
import { blockedBy, fixId, joinSteps, perService, planMakeReady, runSummary, type ReadinessFix, type StepResult } from "./make-ready";
import { scoreOf, type ReadinessCell, type ReadinessMatrix, type RequirementId } from "./matrix";

function failing(requirement: RequirementId, actions: ReadinessFix[] = []): ReadinessCell {
  return { requirement, state: "failing", reason: "x.", ...(actions.length > 0 ? { actions } : {}) };
}

function matrixOf(services: Record<string, ReadinessCell[]>): ReadinessMatrix {
  const rows = Object.entries(services).map(([id, cells]) => {
    const [namespace, name] = id.split("/") as [string, string];
    return { id, namespace, name, displayName: name, cells, score: scoreOf(cells) };
  });
  return { requirements: [], services: rows, score: scoreOf(rows.flatMap((r) => r.cells)), unreadable: [], generatedAt: 0 };
}

describe("planMakeReady", () => {
  const matrix = matrixOf({
    "media/sonarr": [
      failing("wired", [{ kind: "integrations", keys: ["a|media/sonarr|media/prowlarr"] }]),
      failing("https", [{ kind: "renew-certificate", namespace: "argocd", name: "home" }]),
      failing("backed-up", [{ kind: "backup-now", serviceId: "media/sonarr" }, { kind: "drill", serviceId: "media/sonarr" }]),
      failing("watched", [{ kind: "change", request: { kind: "alert-rules" } }]),
      failing("runbook"),
    ],
    "media/radarr": [
      failing("wired", [{ kind: "integrations", keys: ["a|media/sonarr|media/prowlarr", "b|media/radarr|qbittorrent/qbittorrent"] }]),
      failing("https", [{ kind: "renew-certificate", namespace: "argocd", name: "home" }]),
      failing("backed-up", [{ kind: "drill", serviceId: "media/radarr" }]),
      failing("watched", [{ kind: "change", request: { kind: "alert-rules" } }, { kind: "test-notification" }]),
      failing("healthy", [{ kind: "change", request: { kind: "health-probes", target: "media/radarr" } }]),
    ],
    "qbittorrent/qbittorrent": [{ requirement: "healthy", state: "passed", reason: "ok.", actions: [{ kind: "test-notification" }] }],
  });
  const steps = planMakeReady(matrix);

  it("runs each fix once, in order: the apps' links, certificates, backups then drills, notifications, pull requests", () => {
    expect(steps.map((s) => s.id)).toEqual([
      "integrations",
      "renew:argocd/home",
      "backup:media/sonarr",
      "drill:media/radarr",
      "drill:media/sonarr",
      "test-notification",
      "change:alert-rules",
      "change:health-probes:media/radarr",
    ]);
    expect(steps.map((s) => s.group)).toEqual(["apps", "cluster", "cluster", "cluster", "cluster", "cluster", "pull-requests", "pull-requests"]);
  });

  it("merges the links of every service into one step and lists the cells each step is for", () => {
    expect(steps[0]!.fix).toEqual({ kind: "integrations", keys: ["a|media/sonarr|media/prowlarr", "b|media/radarr|qbittorrent/qbittorrent"] });
    expect(steps[0]!.title).toBe("Fix 2 links through the apps' APIs");
    expect(steps.find((s) => s.id === "change:alert-rules")!.cells).toEqual([
      { service: "media/sonarr", requirement: "watched" },
      { service: "media/radarr", requirement: "watched" },
    ]);
  });

  it("takes fixes only from failing cells", () => {
    expect(steps.find((s) => s.id === "test-notification")!.cells).toEqual([{ service: "media/radarr", requirement: "watched" }]);
  });

  it("makes a drill wait for the backup of the same service made just before it", () => {
    expect(steps.find((s) => s.id === "drill:media/sonarr")!.dependsOn).toEqual(["backup:media/sonarr"]);
    expect(steps.find((s) => s.id === "drill:media/radarr")!.dependsOn).toEqual([]);
  });

  it("plans nothing for a stack without failing fixes", () => {
    expect(planMakeReady(matrixOf({ "media/sonarr": [failing("runbook")] }))).toEqual([]);
  });

  it("skips a step whose prerequisite failed, saying which, and runs the independent ones", () => {
    const results = new Map<string, StepResult>([["backup:media/sonarr", { state: "failed", message: "Job failed." }]]);
    const drill = steps.find((s) => s.id === "drill:media/sonarr")!;
    expect(blockedBy(drill, results, steps)).toEqual({ state: "skipped", message: 'Skipped: it needs "Back up media/sonarr now", which failed.' });
    expect(blockedBy(steps.find((s) => s.id === "drill:media/radarr")!, results, steps)).toBeUndefined();
  });

  it("summarises a run and says a failure did not stop the independent steps", () => {
    expect(runSummary([{ state: "done", message: "" }, { state: "done", message: "" }])).toBe("2 done, 0 failed.");
    expect(runSummary([{ state: "done", message: "" }, { state: "failed", message: "" }, { state: "skipped", message: "" }])).toBe(
      "1 done, 1 failed, 1 skipped. A failed step did not stop the steps that do not depend on it; the ones that do were skipped.",
    );
  });

  it("plans one \"enable backups\" pull request for every service backed up to the same claim, for the cells of each", () => {
    const enable = (target: string, backupClaim = "backups"): ReadinessFix => ({ kind: "change", request: { kind: "enable-backups", target, backupClaim } });
    const plan = planMakeReady(
      matrixOf({
        "media/lidarr": [failing("backed-up", [enable("media/lidarr")])],
        "media/sabnzbd": [failing("backed-up", [enable("media/sabnzbd")])],
        "media/bazarr": [failing("backed-up", [enable("media/bazarr")])],
        "media/jellyfin": [failing("backed-up", [enable("media/jellyfin", "nas")])],
        "qbittorrent/qbittorrent": [failing("backed-up", [enable("qbittorrent/qbittorrent")])],
      }),
    );
    // One per namespace and claim: a claim is a name in the service's namespace.
    expect(plan.map((s) => s.id)).toEqual(["change:enable-backups:media/backups", "change:enable-backups:media/nas", "change:enable-backups:qbittorrent/backups"]);
    expect(plan[2]!.fix).toEqual(enable("qbittorrent/qbittorrent"));
    expect(plan[0]!.fix).toEqual({ kind: "change", request: { kind: "enable-backups", target: "media/lidarr", backupClaim: "backups", also: ["media/sabnzbd", "media/bazarr"] } });
    expect(plan[0]!.title).toBe("Pull request: enable backups of media/lidarr, media/sabnzbd, media/bazarr");
    expect(plan[0]!.cells.map((c) => c.service)).toEqual(["media/lidarr", "media/sabnzbd", "media/bazarr"]);
    expect(plan[1]!.fix).toEqual(enable("media/jellyfin", "nas"));
    // Split per service (to tell which one a refused plan is about) and joined again without it.
    const split = perService(plan[0]!);
    expect(split.map((s) => [s.id, s.fix, s.cells.map((c) => c.service), s.title])).toEqual([
      ["change:enable-backups:media/backups|media/lidarr", enable("media/lidarr"), ["media/lidarr"], "Pull request: enable backups of media/lidarr"],
      ["change:enable-backups:media/backups|media/sabnzbd", enable("media/sabnzbd"), ["media/sabnzbd"], "Pull request: enable backups of media/sabnzbd"],
      ["change:enable-backups:media/backups|media/bazarr", enable("media/bazarr"), ["media/bazarr"], "Pull request: enable backups of media/bazarr"],
    ]);
    const joined = joinSteps([split[0]!, split[2]!])!;
    expect(joined.id).toBe("change:enable-backups:media/backups");
    expect(joined.fix).toEqual({ kind: "change", request: { kind: "enable-backups", target: "media/lidarr", backupClaim: "backups", also: ["media/bazarr"] } });
    expect(joined.cells.map((c) => c.service)).toEqual(["media/lidarr", "media/bazarr"]);
    expect(joined.title).toBe("Pull request: enable backups of media/lidarr, media/bazarr");
    expect(joinSteps([])).toBeUndefined();
    expect(perService(plan[1]!)).toEqual([plan[1]]);
  });

  it("plans Unpackerr's manifest-only links as one wiring pull request, for every cell they fail", () => {
    const wiring: ReadinessFix = { kind: "change", request: { kind: "unpackerr-wiring" } };
    const plan = planMakeReady(matrixOf({ "media/unpackerr": [failing("wired", [wiring])], "media/sonarr": [failing("wired", [{ kind: "integrations", keys: ["k"] }, wiring])] }));
    expect(plan.map((s) => [s.id, s.title])).toEqual([
      ["integrations", "Fix 1 link through the apps' APIs"],
      ["change:unpackerr-wiring", "Pull request: wire Unpackerr to Sonarr and Radarr through its manifest"],
    ]);
    expect(plan[1]!.cells).toEqual([{ service: "media/unpackerr", requirement: "wired" }, { service: "media/sonarr", requirement: "wired" }]);
  });

  it("names each fix by what it changes", () => {
    expect(fixId({ kind: "change", request: { kind: "https-only", ingress: "media/sonarr" } })).toBe("change:https-only:media/sonarr");
    expect(fixId({ kind: "probe-hosts", hosts: ["a.example.com"] })).toBe("probe-hosts");
  });

  it("plans the resources pull request of each service as its own step, after the others", () => {
    const planned = planMakeReady(
      matrixOf({
        "media/sonarr": [failing("resources", [{ kind: "change", request: { kind: "resources", target: "media/sonarr" } }])],
        "qbittorrent/qbittorrent": [failing("resources", [{ kind: "change", request: { kind: "resources", target: "qbittorrent/qbittorrent" } }]), failing("runbook")],
      }),
    );
    expect(planned.map((s) => [s.id, s.group, s.title])).toEqual([
      ["change:resources:media/sonarr", "pull-requests", "Pull request: set resource requests and limits on media/sonarr"],
      ["change:resources:qbittorrent/qbittorrent", "pull-requests", "Pull request: set resource requests and limits on qbittorrent/qbittorrent"],
    ]);
    expect(planned[1]?.cells).toEqual([{ service: "qbittorrent/qbittorrent", requirement: "resources" }]);
  });
});
