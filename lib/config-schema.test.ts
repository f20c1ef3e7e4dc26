import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parsePanelConfig } from "./config-schema";

describe("parsePanelConfig", () => {
  it("fills defaults for an empty file", () => {
    const result = parsePanelConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.kubernetes.mode).toBe("none");
    expect(result.config.kubernetes.namespaces).toContain("media");
    expect(result.config.auth.localUsers[0]).toEqual({ username: "admin", role: "admin", passwordHashEnv: "PANEL_ADMIN_PASSWORD_HASH" });
    expect(result.config.apps.secretRefs.default).toEqual({ namespace: "media", name: "starr-secrets" });
  });

  it("names the field and the problem", () => {
    const result = parsePanelConfig({ kubernetes: { mode: "cluster", namespaces: ["Media"] } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path);
    expect(paths).toContain("kubernetes.mode");
    expect(paths).toContain("kubernetes.namespaces[0]");
    expect(result.problems.find((p) => p.path === "kubernetes.namespaces[0]")?.message).toMatch(/namespace name/);
  });

  it("reports unknown keys so typos are caught", () => {
    const result = parsePanelConfig({ kubernetes: { namespace: ["media"] } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual({ path: "kubernetes", message: 'unknown key "namespace"' });
  });

  it("refuses a secret value where an environment variable name is expected", () => {
    const result = parsePanelConfig({ auth: { localUsers: [{ username: "admin", role: "admin", passwordHashEnv: "hunter2!" }] } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]?.path).toBe("auth.localUsers[0].passwordHashEnv");
    expect(result.problems[0]?.message).toMatch(/NAME of an environment variable/);
  });

  it("validates the address map", () => {
    expect(parsePanelConfig({ addressMap: { "sonarr.media": "http://127.0.0.1:8989" } }).ok).toBe(true);
    const bad = parsePanelConfig({ addressMap: { sonarr: "127.0.0.1:8989" } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => p.message).join(" ")).toMatch(/service\.namespace|http/);
  });

  it("accepts a full OIDC and GitOps configuration", () => {
    const result = parsePanelConfig({
      gitops: { repoUrl: "https://github.com/o/k8s_nas.git", baseBranch: "live", forge: "github" },
      auth: { oidc: { issuer: "https://auth.example.com", clientId: "panel", clientSecretEnv: "OIDC_CLIENT_SECRET", adminGroups: ["admins"] } },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.auth.oidc?.roleClaim).toBe("groups");
    expect(result.config.gitops?.tokenEnv).toBe("GITOPS_TOKEN");
  });

  it("refuses credentials in an HTTPS repository URL, a token as the user name included", () => {
    // A token-shaped user name made at run time (no token-like literal in the repository).
    const token = `ghp_${randomBytes(15).toString("hex")}`;
    for (const repoUrl of [`https://${token}@github.com/o/r.git`, "https://me:secret@git.example.com/o/r.git", "http://x-access-token@git.local/o/r"]) {
      const result = parsePanelConfig({ gitops: { repoUrl } });
      expect(result.ok, repoUrl).toBe(false);
      if (result.ok) continue;
      expect(result.problems[0]?.path).toBe("gitops.repoUrl");
      expect(result.problems[0]?.message).toMatch(/must not contain a user name or password.*gitops\.tokenEnv/);
      expect(result.problems[0]?.message).not.toContain(token);
      expect(result.problems[0]?.message).not.toContain("ghp_");
    }
    expect(parsePanelConfig({ gitops: { repoUrl: "git@github.com:o/r.git" } }).ok).toBe(true);
    expect(parsePanelConfig({ gitops: { repoUrl: "ssh://git@github.com/o/r.git" } }).ok).toBe(true);
  });

  it("takes trusted proxies as addresses or CIDR ranges, none by default", () => {
    const defaults = parsePanelConfig({});
    expect(defaults.ok && defaults.config.server.trustedProxies).toEqual([]);
    expect(parsePanelConfig({ server: { trustedProxies: ["10.42.0.0/16", "127.0.0.2", "fd00::/8"] } }).ok).toBe(true);
    const bad = parsePanelConfig({ server: { trustedProxies: ["10.42.0.0/33"] } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems[0]).toEqual({ path: "server.trustedProxies[0]", message: "must be an IP address or CIDR range (10.42.0.0/16)" });
  });

  it("keeps sessions short, audit for 90 days, and metrics behind a token by default", () => {
    const result = parsePanelConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.auth.sessionHours).toBe(8);
    expect(result.config.auth.signInAttemptsPerMinute).toBe(60);
    expect(result.config.audit.retentionDays).toBe(90);
    expect(result.config.metrics.public).toBe(false);
  });
});

describe("certificates", () => {
  it("warns at 30 days and is critical at 7 by default; probes every 5 minutes", () => {
    const result = parsePanelConfig({});
    if (!result.ok) throw new Error("defaults do not parse");
    expect(result.config.certificates).toMatchObject({ warnDays: 30, criticalDays: 7, probeIntervalSeconds: 300, probeTimeoutMs: 5000, addresses: {} });
  });

  it("refuses a critical threshold at or above the warning one, and addresses that are not host:port", () => {
    const result = parsePanelConfig({ certificates: { warnDays: 14, criticalDays: 14, httpsAddress: "ingress-nginx", addresses: { "home.example": { http: "10.0.0.20:80" } } } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { path: "certificates.httpsAddress", message: "must be host:port" },
        { path: "certificates.criticalDays", message: "criticalDays must be lower than warnDays" },
      ]),
    );
  });
});
