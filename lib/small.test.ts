import { describe, expect, it } from "vitest";
import { roleFromClaims } from "./oidc-roles";
import { describeSecret, scrubSecrets, summarizeInput, withoutSecretSuffix } from "./redact";
import { hasRole } from "./roles";
import { safeRedirectPath } from "./safe-redirect";
import { contentSecurityPolicy, isPublicPath, securityHeaders } from "./security-headers";
import { isActive, NAV_ITEMS } from "./nav";

describe("roles", () => {
  it("ranks admin above viewer", () => {
    expect(hasRole("admin", "viewer")).toBe(true);
    expect(hasRole("viewer", "admin")).toBe(false);
    expect(hasRole(undefined, "viewer")).toBe(false);
  });
});

describe("roleFromClaims", () => {
  const mapping = { roleClaim: "groups", adminGroups: ["nas-admins"], viewerGroups: ["family"], defaultRole: "none" as const };
  it("maps groups to roles, admin first", () => {
    expect(roleFromClaims({ groups: ["family", "nas-admins"] }, mapping)).toBe("admin");
    expect(roleFromClaims({ groups: ["family"] }, mapping)).toBe("viewer");
    expect(roleFromClaims({ groups: "family,other" }, mapping)).toBe("viewer");
  });
  it("refuses an identity in no group unless a default role is set", () => {
    expect(roleFromClaims({ groups: ["other"] }, mapping)).toBeNull();
    expect(roleFromClaims({}, { ...mapping, defaultRole: "viewer" })).toBe("viewer");
  });
});

describe("summarizeInput", () => {
  it("removes secrets at any depth and cuts long strings", () => {
    const out = summarizeInput({ name: "x", password: "p", nested: { apiKey: "k", list: [{ token: "t" }] }, long: "a".repeat(500) });
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/"p"|"k"|"t"/);
    expect(out).toMatchObject({ name: "x", password: "[redacted]", nested: { apiKey: "[redacted]", list: [{ token: "[redacted]" }] } });
    expect((out as { long: string }).long.length).toBeLessThan(210);
  });
  it("describes a secret by its last four characters at most", () => {
    expect(describeSecret("0123456789abcdef4f2a")).toBe("present, ends in …4f2a");
    expect(describeSecret("short")).toBe("present");
    expect(describeSecret("")).toBe("missing");
  });
});

describe("safeRedirectPath", () => {
  it("keeps only a local path", () => {
    expect(safeRedirectPath("/audit?page=2")).toBe("/audit?page=2");
    expect(safeRedirectPath("http://localhost:3000/settings")).toBe("/settings");
    expect(safeRedirectPath("https://evil.example/steal")).toBe("/steal");
    expect(safeRedirectPath("//evil.example")).toBe("/");
    expect(safeRedirectPath("/login")).toBe("/");
    expect(safeRedirectPath(undefined)).toBe("/");
  });
});

describe("security headers", () => {
  it("sets CSP with nonce, no framing, nosniff, referrer policy; HSTS only over HTTPS", () => {
    const plain = securityHeaders({ nonce: "abc", https: false, development: false });
    expect(plain["Content-Security-Policy"]).toContain("'nonce-abc'");
    expect(plain["Content-Security-Policy"]).toContain("frame-ancestors 'none'");
    expect(plain["X-Content-Type-Options"]).toBe("nosniff");
    expect(plain["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
    expect(plain["Strict-Transport-Security"]).toBeUndefined();
    expect(securityHeaders({ nonce: "abc", https: true, development: false })["Strict-Transport-Security"]).toMatch(/max-age=/);
    expect(contentSecurityPolicy({ nonce: "n", https: false, development: false })).not.toContain("unsafe-eval");
  });
  it("lists only the public paths", () => {
    expect(isPublicPath("/login")).toBe(true);
    expect(isPublicPath("/api/healthz")).toBe(true);
    expect(isPublicPath("/api/metrics")).toBe(true);
    expect(isPublicPath("/audit")).toBe(false);
    expect(isPublicPath("/api/events")).toBe(false);
  });
});

describe("navigation", () => {
  it("has the eleven sections and marks the active one", () => {
    expect(NAV_ITEMS.map((i) => i.label)).toEqual([
      "Overview", "Services", "Readiness", "Integrations", "Backups", "Certificates", "Alerts", "Applications", "Changes", "Audit", "Settings",
    ]);
    expect(isActive("/", "/")).toBe(true);
    expect(isActive("/", "/audit")).toBe(false);
    expect(isActive("/services", "/services/sonarr")).toBe(true);
  });
});

describe("secrets in text", () => {
  it("are replaced as whole tokens only, and short ones not at all", () => {
    const key = "3f9a1c0b7d2e4f6a8b0c1d2e3f4a5b6c";
    expect(scrubSecrets(`Sonarr said: key ${key} is invalid (apikey=${key}&x=1)`, [key])).toBe("Sonarr said: key [redacted] is invalid (apikey=[redacted]&x=1)");
    // A password that is also an everyday word leaves the page alone below the minimum length...
    expect(scrubSecrets("media server: admin panel for media", ["media", "admin"])).toBe("media server: admin panel for media");
    // ...and a longer one only where it stands alone, not inside other words.
    expect(scrubSecrets("downloads: the downloads folder; redownloads=3", ["downloads"])).toBe("[redacted]: the [redacted] folder; redownloads=3");
    expect(scrubSecrets("abc-secret+/= here", ["abc-secret+/="])).toBe("[redacted] here");
    expect(scrubSecrets("k1=longsecret123 k2=longsecret", ["longsecret", "longsecret123", undefined])).toBe("k1=[redacted] k2=[redacted]");
  });

  it("show viewers no key suffix", () => {
    const hint = describeSecret("0123456789abcdef");
    expect(hint).toBe("present, ends in …cdef");
    expect(withoutSecretSuffix(hint)).toBe("present");
    expect(describeSecret("0123456789abcdef", { withSuffix: false })).toBe("present");
    expect(withoutSecretSuffix("missing")).toBe("missing");
  });
});
