import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { APP_KINDS } from "./apps/catalogue";
import { parseMarkdown, titleOf } from "./markdown";
import { appRunbookId, isRunbookId, resolveRunbookLink, runbookIdOfPath } from "./runbooks";

describe("runbook ids and links", () => {
  it("ids are alerts/<id> or apps/<kind>", () => {
    expect(runbookIdOfPath("alerts/service-down.md")).toBe("alerts/service-down");
    expect(runbookIdOfPath("apps/sonarr.md")).toBe("apps/sonarr");
    expect(runbookIdOfPath("other/x.md")).toBeUndefined();
    expect(runbookIdOfPath("apps/Sonarr.md")).toBeUndefined();
    expect(isRunbookId("alerts/../../etc")).toBe(false);
  });

  it("links: relative runbook links become panel paths; only http(s), panel paths and fragments stay", () => {
    expect(resolveRunbookLink("service-degraded.md", "alerts/service-down")).toBe("/runbooks/alerts/service-degraded");
    expect(resolveRunbookLink("../apps/sonarr.md#logs", "alerts/service-down")).toBe("/runbooks/apps/sonarr#logs");
    expect(resolveRunbookLink("#checks", "apps/sonarr")).toBe("#checks");
    expect(resolveRunbookLink("https://wiki.servarr.com/sonarr", "apps/sonarr")).toBe("https://wiki.servarr.com/sonarr");
    expect(resolveRunbookLink("/services/media/sonarr", "apps/sonarr")).toBe("/services/media/sonarr");
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "//evil.example", "../../etc/passwd.md", "vbscript:x", "../x/y.md"]) {
      expect(resolveRunbookLink(bad, "alerts/service-down"), bad).toBeUndefined();
    }
  });
});

describe("shipped runbooks", () => {
  it("every app kind of the catalogue (and 'other') has its runbook, with a title and the four sections", async () => {
    const { readFileSync } = await import("node:fs");
    for (const kind of APP_KINDS) {
      const file = path.join(__dirname, "..", "docs", "runbooks", `${appRunbookId(kind)}.md`);
      expect(existsSync(file), file).toBe(true);
      const blocks = parseMarkdown(readFileSync(file, "utf8"));
      expect(titleOf(blocks), kind).toBeTruthy();
      const headings = blocks.filter((b) => b.t === "heading" && b.level === 2).map((b) => (b.t === "heading" ? b.id : ""));
      expect(headings, kind).toEqual(expect.arrayContaining(["checks", "fix", "confirm", "when-to-restore-from-backup"]));
    }
  });
});
