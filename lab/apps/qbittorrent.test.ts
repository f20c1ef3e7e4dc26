import { describe, expect, it } from "vitest";
import { qbittorrentPasswordHash, qbittorrentPasswordMatches, setIniValues } from "./qbittorrent";

describe("qBittorrent profile", () => {
  it("sets keys of a section in place and keeps every other line", () => {
    const conf = ["[BitTorrent]", "Session\\Port=1", "", "[Preferences]", "Downloads\\SavePath=/x", "WebUI\\Port=8080", "", "[Meta]", "MigrationVersion=4", ""].join("\n");
    const out = setIniValues(conf, "Preferences", { "WebUI\\Port": "31000", "WebUI\\Address": "127.0.0.1" });
    expect(out).toBe(
      ["[BitTorrent]", "Session\\Port=1", "", "[Preferences]", "Downloads\\SavePath=/x", "WebUI\\Port=31000", "WebUI\\Address=127.0.0.1", "", "[Meta]", "MigrationVersion=4", ""].join("\n"),
    );
    expect(setIniValues("[A]\nx=1\n", "LegalNotice", { Accepted: "true" })).toBe("[A]\nx=1\n\n[LegalNotice]\nAccepted=true\n");
  });

  it("checks a stored PBKDF2 password hash", () => {
    const stored = qbittorrentPasswordHash("s3cret");
    expect(qbittorrentPasswordMatches(stored, "s3cret")).toBe(true);
    expect(qbittorrentPasswordMatches(stored, "other")).toBe(false);
    expect(qbittorrentPasswordMatches("", "s3cret")).toBe(false);
  });
});
