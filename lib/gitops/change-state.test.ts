import { describe, expect, it } from "vitest";
import { branchName, isValidBranchName, slugify } from "./branch";
import { AFTER_SYNC_GRACE_MS, afterSync, allHealthy, changeStatus, FOLLOW_WINDOW_MS, stillFollowed, type AppSyncState, type ChangeView, type ServiceAfterSync } from "./change-state";

const app = (over: Partial<AppSyncState>): AppSyncState => ({ namespace: "argocd", name: "jellyfin", syncStatus: "Synced", includesChange: true, health: "Healthy", ...over });

describe("changeStatus", () => {
  it("follows open -> merged -> live", () => {
    expect(changeStatus("open", [app({})])).toBe("open");
    expect(changeStatus("closed", [app({})])).toBe("closed");
    expect(changeStatus("pushed", [])).toBe("pushed");
    expect(changeStatus("merged", [])).toBe("merged");
    expect(changeStatus("merged", [app({ includesChange: null })])).toBe("merged");
    expect(changeStatus("merged", [app({ includesChange: false })])).toBe("merged");
    expect(changeStatus("merged", [app({ syncStatus: "OutOfSync" })])).toBe("merged");
    expect(changeStatus("merged", [app({}), app({ name: "b", includesChange: false })])).toBe("merged");
    expect(changeStatus("merged", [app({}), app({ name: "b" })])).toBe("live");
  });

  it("tells healthy from not", () => {
    expect(allHealthy([app({})])).toBe(true);
    expect(allHealthy([app({}), app({ health: "Degraded" })])).toBe(false);
    expect(allHealthy([])).toBe(false);
  });
});

describe("branch names", () => {
  it("are unique, valid and readable", () => {
    const name = branchName("probes-Jellyfin!", new Date("2026-11-26T07:30:05Z"), "A1B2C3");
    expect(name).toBe("panel/probes-jellyfin-20261126-073005-a1b2c3");
    expect(isValidBranchName(name)).toBe(true);
    expect(isValidBranchName("panel/../x")).toBe(false);
    expect(isValidBranchName("-x")).toBe(false);
    expect(slugify("***")).toBe("change");
  });
});

describe("afterSync: a live change followed until its services are healthy by the panel's verdict", () => {
  const LIVE = 1_000_000;
  const change = (status: ChangeView["status"] = "live") => ({ status, liveAt: status === "live" ? LIVE : null, services: ["media/sonarr", "media/radarr"] });
  const up = (id: string) => ({ id, name: id.split("/")[1] as string, status: "up" as const });
  const verdicts = (...list: ServiceAfterSync[]) => new Map(list.map((s) => [s.id, s]));

  it("not live: nothing to follow", () => {
    expect(afterSync(change("merged"), verdicts(), LIVE)).toBeNull();
  });

  it("every service up: live and healthy", () => {
    expect(afterSync(change(), verdicts(up("media/sonarr"), up("media/radarr")), LIVE + 1000)).toMatchObject({ state: "healthy", text: "live and healthy" });
  });

  it("one down right after the sync is still rolling out; after the grace it is down since the sync, with the reason", () => {
    const down = verdicts({ id: "media/sonarr", name: "sonarr", status: "down", reason: "ready 0/1: CrashLoopBackOff" }, up("media/radarr"));
    expect(afterSync(change(), down, LIVE + 5_000)).toMatchObject({ state: "checking", text: "live, checking sonarr…" });
    expect(afterSync(change(), down, LIVE + AFTER_SYNC_GRACE_MS)).toMatchObject({ state: "down", text: "live, but sonarr is down (ready 0/1: CrashLoopBackOff) since the sync" });
    expect(stillFollowed(change(), afterSync(change(), down, LIVE + AFTER_SYNC_GRACE_MS), LIVE + AFTER_SYNC_GRACE_MS)).toBe(true);
    expect(stillFollowed(change(), afterSync(change(), down, LIVE + FOLLOW_WINDOW_MS), LIVE + FOLLOW_WINDOW_MS)).toBe(false);
  });

  it("a service not found or unknown keeps it checking", () => {
    expect(afterSync(change(), verdicts(up("media/sonarr")), LIVE + AFTER_SYNC_GRACE_MS)).toMatchObject({ state: "checking", text: "live, checking radarr…" });
    expect(stillFollowed(change(), afterSync(change(), verdicts(up("media/sonarr"), up("media/radarr")), LIVE), LIVE)).toBe(false);
  });
});
