import { describe, expect, it } from "vitest";
import { branchName, isValidBranchName, slugify } from "./branch";
import { allHealthy, changeStatus, type AppSyncState } from "./change-state";

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
