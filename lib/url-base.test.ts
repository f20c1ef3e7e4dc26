import { describe, expect, it } from "vitest";
import { normalizeUrlBase } from "./url-base";

describe("normalizeUrlBase", () => {
  const cases: Array<[string, string]> = [
    ["/sonarr", "/sonarr"],
    ["sonarr/", "/sonarr"],
    ["/sonarr/", "/sonarr"],
    [" /sonarr ", "/sonarr"],
    ["/", ""],
    ["", ""],
    ["//a/b//", "/a/b"],
  ];
  for (const [v, want] of cases) it(`${JSON.stringify(v)} -> ${JSON.stringify(want)}`, () => expect(normalizeUrlBase(v)).toBe(want));
});
