import { describe, expect, it } from "vitest";
import { compareUrl, defaultApiUrl, parseRepoUrl, redactRepoUrl, repoKey } from "./repo-url";

describe("repository URLs", () => {
  it("parses HTTPS, SSH and scp-like URLs", () => {
    expect(parseRepoUrl("https://github.com/brettswift/k8s_nas.git")).toEqual({ protocol: "https", host: "github.com", owner: "brettswift", repo: "k8s_nas", prefix: "" });
    expect(parseRepoUrl("git@github.com:brettswift/k8s_nas.git")).toMatchObject({ protocol: "ssh", host: "github.com", owner: "brettswift", repo: "k8s_nas" });
    expect(parseRepoUrl("ssh://git@gitea.home:2222/me/ops")).toMatchObject({ protocol: "ssh", host: "gitea.home:2222", owner: "me", repo: "ops" });
    expect(parseRepoUrl("http://127.0.0.1:4000/git/me/ops.git")).toMatchObject({ host: "127.0.0.1:4000", prefix: "/git", owner: "me", repo: "ops" });
    expect(parseRepoUrl("/srv/repo.git")).toBeUndefined();
    expect(parseRepoUrl("https://github.com/only-owner")).toBeUndefined();
  });

  it("matches one repository across URL styles", () => {
    expect(repoKey("git@github.com:BrettSwift/k8s_nas.git")).toBe(repoKey("https://github.com/brettswift/k8s_nas"));
    expect(repoKey("https://github.com/other/k8s_nas")).not.toBe(repoKey("https://github.com/brettswift/k8s_nas"));
  });

  it("derives API and compare URLs, and never shows credentials", () => {
    const gh = parseRepoUrl("https://github.com/o/r.git");
    const ghe = parseRepoUrl("https://git.corp/o/r.git");
    const gitea = parseRepoUrl("https://gitea.home/sub/o/r.git");
    if (!gh || !ghe || !gitea) throw new Error("parse");
    expect(defaultApiUrl("github", gh)).toBe("https://api.github.com");
    expect(defaultApiUrl("github", ghe)).toBe("https://git.corp/api/v3");
    expect(defaultApiUrl("gitea", gitea)).toBe("https://gitea.home/sub/api/v1");
    expect(defaultApiUrl("none", gh)).toBeUndefined();
    expect(compareUrl(gh, "live", "panel/probes-jellyfin-1")).toBe("https://github.com/o/r/compare/live...panel/probes-jellyfin-1");
    expect(redactRepoUrl("https://user:s3cret@github.com/o/r.git?x=1")).toBe("https://github.com/o/r.git");
  });
});
