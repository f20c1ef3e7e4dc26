import { scryptSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { labGitopsConfigLines, labGitopsEnv, readLabGitops } from "./lab-gitops";
import { labIntegrationConfigLines, labIntegrationSettings, readLabIntegrationJson } from "./lab-integrations";

/** Where the e2e panel listens. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3107);
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
export const ROOT = path.resolve(__dirname, "..", "..");
/** Scratch space of the e2e run (git-ignored). */
export const E2E_DIR = process.env.E2E_DIR ?? path.join(ROOT, ".data", "e2e");
export const E2E_DATA_DIR = path.join(E2E_DIR, "data");
export const E2E_CONFIG = path.join(E2E_DIR, "config.yaml");
/** The e2e panel's log (its stdout and stderr) of the current run. */
export const E2E_PANEL_LOG = path.join(E2E_DIR, "panel.log");

/** Test accounts of the e2e panel. Made up for the test run; not secrets of any real system. */
export const USERS = {
  admin: { username: "admin", password: "e2e-admin-password" },
  viewer: { username: "family", password: "e2e-viewer-password" },
} as const;

function scryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return `scrypt$16384$8$1$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** The lab's kubeconfig when the lab is up, so the e2e panel talks to the real API server. */
/**
 * The kubeconfig of the e2e panel when the lab is up: the panel's own ServiceAccount with the RBAC of
 * deploy/ (`npm run lab -- panel-kubeconfig`, which `npm test` runs), else the lab's admin.
 */
function labKubeconfig(): string | undefined {
  const dir = process.env.LAB_DIR ?? path.join(ROOT, ".lab");
  const labJson = path.join(dir, "lab.json");
  if (!existsSync(labJson)) return undefined;
  const panelKubeconfig = path.join(dir, "panel.kubeconfig");
  if (existsSync(panelKubeconfig)) return panelKubeconfig;
  try {
    const lab = JSON.parse(readFileSync(labJson, "utf8")) as { kubeconfig?: string };
    return lab.kubeconfig && existsSync(lab.kubeconfig) ? lab.kubeconfig : undefined;
  } catch {
    return undefined;
  }
}

/** The second e2e panel, configured for single sign-on against a real OIDC issuer on loopback. */
export const OIDC_PANEL_PORT = Number(process.env.E2E_OIDC_PANEL_PORT ?? 3108);
// "localhost", not 127.0.0.1: Next.js rewrites loopback addresses to "localhost" in request URLs, and the
// OIDC redirect URI must be the same string at authorization and at the token exchange.
export const OIDC_PANEL_URL = `http://localhost:${OIDC_PANEL_PORT}`;
export const OIDC_ISSUER_PORT = Number(process.env.E2E_OIDC_ISSUER_PORT ?? 3109);
export const OIDC_ISSUER_URL = `http://127.0.0.1:${OIDC_ISSUER_PORT}`;
const OIDC_CLIENT_SECRET = "e2e-oidc-client-secret";

/** Environment of the OIDC issuer process. */
export function oidcIssuerEnv(): Record<string, string> {
  return {
    OIDC_PORT: String(OIDC_ISSUER_PORT),
    OIDC_CLIENT_SECRET,
    OIDC_REDIRECT_URIS: `${OIDC_PANEL_URL}/api/auth/callback/oidc`,
    PATH: process.env.PATH ?? "/usr/bin:/bin",
  };
}

/** Config and environment of the OIDC-enabled panel (its own data directory). */
export function oidcPanelEnv(): Record<string, string> {
  const dir = path.join(E2E_DIR, "oidc");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "config.yaml");
  writeFileSync(
    file,
    [
      "server:",
      `  publicUrl: ${OIDC_PANEL_URL}`,
      "auth:",
      "  localUsers: []",
      "  oidc:",
      `    issuer: ${OIDC_ISSUER_URL}`,
      "    clientId: k8s-nas-panel",
      "    clientSecretEnv: OIDC_CLIENT_SECRET",
      "    name: Test SSO",
      "    adminGroups: [nas-admins]",
      "    viewerGroups: [family]",
      "",
    ].join("\n"),
  );
  return {
    ...e2eServerEnv(),
    PORT: String(OIDC_PANEL_PORT),
    PANEL_CONFIG: file,
    PANEL_DATA_DIR: path.join(dir, "data"),
    OIDC_CLIENT_SECRET,
    AUTH_URL: OIDC_PANEL_URL,
  };
}

/** Writes the e2e config file and returns the server's environment. */
export function e2eServerEnv(): Record<string, string> {
  mkdirSync(E2E_DIR, { recursive: true });
  const kubeconfig = labKubeconfig();
  const gitops = readLabGitops();
  const labApps = kubeconfig ? readLabIntegrationJson(ROOT) : undefined;
  const integrations = labApps ? labIntegrationSettings(labApps) : undefined;
  const config = [
    "server:",
    `  publicUrl: ${E2E_BASE_URL}`,
    "kubernetes:",
    kubeconfig ? `  mode: kubeconfig\n  kubeconfig: ${kubeconfig}` : "  mode: none",
    // Probe often so app-side changes (a stopped qBittorrent) show within a test's patience.
    ...(kubeconfig ? ["health:", "  probeIntervalSeconds: 5", "  probeTimeoutMs: 3000"] : []),
    ...(gitops ? labGitopsConfigLines(gitops) : []),
    ...(integrations ? labIntegrationConfigLines(integrations) : []),
    "auth:",
    "  maxFailedLogins: 3",
    "  localUsers:",
    `    - { username: ${USERS.admin.username}, role: admin, passwordHashEnv: PANEL_ADMIN_PASSWORD_HASH }`,
    `    - { username: ${USERS.viewer.username}, role: viewer, passwordHashEnv: PANEL_VIEWER_PASSWORD_HASH }`,
    "",
  ].join("\n");
  writeFileSync(E2E_CONFIG, config);
  return {
    PORT: String(E2E_PORT),
    HOSTNAME: "127.0.0.1",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    PANEL_CONFIG: E2E_CONFIG,
    PANEL_DATA_DIR: E2E_DATA_DIR,
    AUTH_SECRET: "e2e-auth-secret-0123456789abcdef0123456789",
    PANEL_ADMIN_PASSWORD_HASH: scryptHash(USERS.admin.password),
    PANEL_VIEWER_PASSWORD_HASH: scryptHash(USERS.viewer.password),
    PANEL_LOG_LEVEL: "info",
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...(gitops ? labGitopsEnv(gitops) : {}),
    ...(integrations ? integrations.env : {}),
  };
}
