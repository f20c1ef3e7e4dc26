import { describe, expect, it } from "vitest";
import { roleFromClaims } from "./oidc-roles";
import { describeSecret, summarizeInput } from "./redact";
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
  it("has the nine sections and marks the active one", () => {
    expect(NAV_ITEMS.map((i) => i.label)).toEqual([
      "Overview", "Services", "Integrations", "Backups", "Certificates", "Alerts", "Changes", "Audit", "Settings",
    ]);
    expect(isActive("/", "/")).toBe(true);
    expect(isActive("/", "/audit")).toBe(false);
    expect(isActive("/services", "/services/sonarr")).toBe(true);
  });
});
