import { describe, expect, it } from "vitest";
import { MASK, containerLines, detectLevel, levelAtLeast, lineMatcher, secretMasker, splitTimestamped } from "./lines";

describe("detectLevel", () => {
  it.each([
    ['{"time":"2024-01-01T00:00:00Z","level":"error","msg":"boom"}', "error"],
    ['{"@l":"Warning","@m":"slow"}', "warn"],
    ["time=2024-01-01T00:00:00Z level=warn msg=slow", "warn"],
    ['ts=1 lvl="debug" msg=x', "debug"],
    ["[Info] Bootstrap: Starting Sonarr - /app/sonarr/bin/Sonarr - Version 4.0.14.2939", "info"],
    ["[Fatal] ConsoleApp: EPIC FAIL!", "fatal"],
    ["[Warn] IndexerSearch: no indexers available", "warn"],
    ["2024-01-01 12:00:00.0|Error|DownloadClient|Unable to connect", "error"],
    ["[12:00:01 WRN] Slow startup", "warn"],
    ["[12:00:01 INF] Main: Jellyfin version: 10.10.3", "info"],
    ["2024-01-01 12:00:00,123 - ERROR - sabnzbd.downloader - Server unreachable", "error"],
    ["WARNING:root:disk almost full", "warn"],
    ["(W) 2024-01-01T12:00:00 - UPnP/NAT-PMP support: OFF", "warn"],
    ["(C) 2024-01-01T12:00:00 - Unable to bind", "error"],
    ["E0102 15:04:05.000000       1 reflector.go:138] failed to list", "error"],
    ["ERROR: could not open database", "error"],
    ["CRITICAL the disk is gone", "fatal"],
  ])("%s -> %s", (line, level) => {
    expect(detectLevel(line)).toBe(level);
  });

  it("finds no level in a line that states none", () => {
    expect(detectLevel("   at NzbDrone.Core.Datastore.Database.Open()")).toBeUndefined();
    expect(detectLevel("Starting the server on port 8989")).toBeUndefined();
    expect(detectLevel("an error occurred in lower case prose")).toBeUndefined();
  });
});

describe("levelAtLeast", () => {
  it("orders the levels and hides unlevelled lines only under a minimum", () => {
    expect(levelAtLeast("error", "warn")).toBe(true);
    expect(levelAtLeast("info", "warn")).toBe(false);
    expect(levelAtLeast(undefined, "warn")).toBe(false);
    expect(levelAtLeast(undefined, undefined)).toBe(true);
  });
});

describe("splitTimestamped", () => {
  it("splits the runtime's timestamps from the text and keeps lines without one", () => {
    expect(splitTimestamped("2024-01-01T00:00:00.123456789Z hello\n2024-01-01T00:00:01Z  spaced\nno stamp\n")).toEqual([
      { time: "2024-01-01T00:00:00.123456789Z", text: "hello" },
      { time: "2024-01-01T00:00:01Z", text: " spaced" },
      { text: "no stamp" },
    ]);
    expect(splitTimestamped("")).toEqual([]);
  });
});

describe("secretMasker", () => {
  const key = "0123456789abcdef0123456789abcdef";
  const mask = secretMasker([key, "s3cret pass/word", "abc", undefined, "short5"]);

  it("masks a key inside URLs, headers and longer strings", () => {
    expect(mask(`GET /api/v3/system/status?apikey=${key} 401`)).toBe(`GET /api/v3/system/status?apikey=${MASK} 401`);
    expect(mask(`X-Api-Key: ${key}`)).toBe(`X-Api-Key: ${MASK}`);
    expect(mask(`token=Bearer_${key}xyz`)).toBe(`token=Bearer_${MASK}xyz`);
  });

  it("masks the URL-encoded form too", () => {
    expect(mask(`login?password=${encodeURIComponent("s3cret pass/word")}`)).toBe(`login?password=${MASK}`);
    expect(mask("the password is s3cret pass/word")).toBe(`the password is ${MASK}`);
  });

  it("masks secrets of fewer than 6 characters only as whole tokens, and never 3-character ones", () => {
    const m = secretMasker(["abcd5"]);
    expect(m("pass=abcd5 end")).toBe(`pass=${MASK} end`);
    expect(m("xabcd5y")).toBe("xabcd5y");
    expect(mask("abc is not masked")).toBe("abc is not masked");
  });

  it("leaves text without a secret as it is", () => {
    expect(mask("nothing secret here")).toBe("nothing secret here");
    expect(secretMasker([])("plain")).toBe("plain");
  });
});

describe("containerLines", () => {
  const previous = Array.from({ length: 30 }, (_, i) => `2024-01-01T00:00:${String(i).padStart(2, "0")}Z [Info] line ${i}`).join("\n") + "\n";
  const current = "2024-01-01T00:01:00Z [Info] Starting again\n2024-01-01T00:01:01Z [Fatal] EPIC FAIL key=SECRETSECRET\n";

  it("puts the previous run first, marks the lines around the restart and masks", () => {
    const lines = containerLines({ pod: "p", container: "c", previous, current, mask: secretMasker(["SECRETSECRET"]) });
    expect(lines).toHaveLength(32);
    expect(lines[0]).toMatchObject({ run: "previous", level: "info", text: "[Info] line 0", time: "2024-01-01T00:00:00Z" });
    expect(lines[0]?.highlight).toBeUndefined();
    expect(lines.filter((l) => l.highlight && l.run === "previous")).toHaveLength(20);
    expect(lines[29]).toMatchObject({ highlight: true, text: "[Info] line 29" });
    expect(lines[31]).toMatchObject({ run: "current", level: "fatal", highlight: true, text: `[Fatal] EPIC FAIL key=${MASK}` });
  });

  it("marks nothing when the container has not restarted", () => {
    const lines = containerLines({ pod: "p", container: "c", current, mask: (t) => t });
    expect(lines.every((l) => l.run === "current" && !l.highlight)).toBe(true);
  });
});

describe("lineMatcher", () => {
  const lines = [
    { text: "[Info] Starting", level: "info" as const },
    { text: "[Error] Database is locked", level: "error" as const },
    { text: "   at Stack.Frame()" },
  ];
  it("searches case-insensitively, by regular expression, and by level", () => {
    expect(lines.filter(lineMatcher({ query: "database" }))).toHaveLength(1);
    expect(lines.filter(lineMatcher({ query: "/^\\s+at /" }))).toHaveLength(1);
    expect(lines.filter(lineMatcher({ query: "/[unclosed/" }))).toHaveLength(0);
    expect(lines.filter(lineMatcher({ minLevel: "warn" }))).toEqual([lines[1]]);
    expect(lines.filter(lineMatcher({}))).toHaveLength(3);
  });
});
