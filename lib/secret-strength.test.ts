import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { weakSecretMessage, weakSecretReason } from "./secret-strength";

describe("AUTH_SECRET strength", () => {
  it("refuses the placeholder of deploy/secret.example.yaml", () => {
    const example = parse(readFileSync(path.join(__dirname, "..", "deploy", "secret.example.yaml"), "utf8")) as { stringData: { AUTH_SECRET: string } };
    const placeholder = example.stringData.AUTH_SECRET;
    expect(placeholder.length).toBeGreaterThanOrEqual(32);
    expect(weakSecretReason(placeholder)).toBeDefined();
  });

  it("refuses obvious words, repeated characters, sequences and low entropy", () => {
    const cases: Array<[string, RegExp]> = [
      ["", /not set/],
      ["short-but-random-Xq9", /too short/],
      ["changeme-changeme-changeme-changeme", /"change"/],
      ["my-super-secret-key-for-the-k8s-panel", /"secret"/],
      ["Password1234Password1234Password1234", /"password"/],
      ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /repeats/],
      ["abcabcabcabcabcabcabcabcabcabcabcabc", /repeats/],
      ["k8s-nas-0123456789-0123456789-panelXY", /sequence/],
      ["ababababababbabababababbabababaabababab", /randomness/],
      ["$(openssl rand -base64 33)-$(date)-xxxxxx", /placeholder or a command/],
    ];
    for (const [value, reason] of cases) expect(weakSecretReason(value), value).toMatch(reason);
  });

  it("accepts what openssl rand makes, and says how to make one", () => {
    for (let i = 0; i < 200; i++) {
      expect(weakSecretReason(randomBytes(33).toString("base64"))).toBeUndefined();
      expect(weakSecretReason(randomBytes(32).toString("hex"))).toBeUndefined();
    }
    expect(weakSecretMessage("is too short")).toContain("openssl rand -base64 33");
  });
});
