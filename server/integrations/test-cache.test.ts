import { describe, expect, it } from "vitest";
import { TestFailureCache } from "./test-cache";

describe("TestFailureCache", () => {
  it("reuses a failure for its lifetime and forgets it when the link is written", () => {
    let now = 0;
    const c = new TestFailureCache(() => 60_000, () => now);
    c.set("sonarr->qbittorrent|media/sonarr|x", { message: "Authentication Failure", appMessages: [] });
    now = 59_000;
    expect(c.get("sonarr->qbittorrent|media/sonarr|x")?.message).toBe("Authentication Failure");
    c.clear("sonarr->qbittorrent|media/sonarr");
    expect(c.get("sonarr->qbittorrent|media/sonarr|x")).toBeUndefined();
    c.set("k", { message: "m", appMessages: [] });
    now = 200_000;
    expect(c.get("k")).toBeUndefined();
  });

  it("keeps nothing with a zero lifetime", () => {
    const c = new TestFailureCache(() => 0);
    c.set("k", { message: "m", appMessages: [] });
    expect(c.get("k")).toBeUndefined();
  });
});
