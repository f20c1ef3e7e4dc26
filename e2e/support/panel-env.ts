import { execFileSync } from "node:child_process";
import { scryptSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { labAlertingConfigLines, labAlertingEnv, readLabAlerting } from "./lab-alerts";
import { labGitopsConfigLines, labGitopsEnv, readLabGitops } from "./lab-gitops";
import { labIntegrationConfigLines, labIntegrationSettings, readLabIntegrationJson } from "./lab-integrations";

export const ROOT = path.resolve(__dirname, "..", "..");

/** A panel's HTTPS front on the lab's nginx (`npm run lab -- panel-front`). */
export interface PanelFront {
  url: string;
  proxyAddress: string;
  caFile: string;
  browserHome: string;
}

/**
 * The lab's HTTPS front for a panel on 127.0.0.1:`port`, made once per test run (the result is kept
 * in the environment, which Playwright's worker processes inherit). Undefined without the lab; an
 * error when the lab is up but the front cannot be made.
 */
function panelFront(name: string, port: number): PanelFront | undefined {
  const cacheKey = `E2E_FRONT_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  const cached = process.env[cacheKey];
  if (cached) return JSON.parse(cached) as PanelFront;
  const dir = process.env.LAB_DIR ?? path.join(ROOT, ".lab");
  if (!existsSync(path.join(dir, "lab.json")) || !existsSync(path.join(dir, "nginx", "render-input.json"))) return undefined;
  const out = execFileSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "lab", "cli.ts"), "panel-front", name, String(port), "--json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, LAB_DIR: dir },
  });
  const front = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as PanelFront;
  process.env[cacheKey] = JSON.stringify(front);
  return front;
}

/** A random value made once per run and shared with the worker processes through the environment. */
function runSecret(name: string, make: () => string): string {
  process.env[name] ??= make();
  return process.env[name] as string;
}

/** Where the e2e panel itself listens: plain HTTP on 127.0.0.1, as behind an ingress. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3107);
export const E2E_DIRECT_URL = `http://127.0.0.1:${E2E_PORT}`;
/** The panel as people reach it: over HTTPS through the lab's nginx (directly only without the lab). */
export const E2E_FRONT = panelFront("e2e", E2E_PORT);
export const E2E_BASE_URL = E2E_FRONT?.url ?? E2E_DIRECT_URL;
/** The bearer token of the e2e panel's /api/metrics. */
export const E2E_METRICS_TOKEN = runSecret("E2E_METRICS_TOKEN", () => randomBytes(24).toString("hex"));
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
export const OIDC_PANEL_DIRECT_URL = `http://127.0.0.1:${OIDC_PANEL_PORT}`;
const OIDC_FRONT = panelFront("e2e-oidc", OIDC_PANEL_PORT);
// "localhost", not 127.0.0.1 (the front's certificate names both): Next.js rewrites loopback addresses
// to "localhost" in request URLs, and the OIDC redirect URI must be the same string at authorization
// and at the token exchange.
export const OIDC_PANEL_URL = OIDC_FRONT ? OIDC_FRONT.url.replace("//127.0.0.1:", "//localhost:") : `http://localhost:${OIDC_PANEL_PORT}`;
/** How often the OIDC panel re-reads a user's groups from the issuer (short, so the test can see it). */
export const OIDC_RECHECK_SECONDS = 10;
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
      ...(OIDC_FRONT ? [`  trustedProxies: [${OIDC_FRONT.proxyAddress}/32]`] : []),
      "auth:",
      "  localUsers: []",
      "  oidc:",
      `    issuer: ${OIDC_ISSUER_URL}`,
      `    recheckSeconds: ${OIDC_RECHECK_SECONDS}`,
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

/**
 * `certificates:` of the e2e panel with the lab: its probes connect to the lab's ingress controller
 * (each host served by SNI with the certificate of its Ingress's Secret), trusting the lab's CAs (the
 * one cert-manager's certificates come from and the one of the TLS cases); probed every 10 s.
 */
function labCertificateConfigLines(): string[] {
  const dir = process.env.LAB_DIR ?? path.join(ROOT, ".lab");
  let controller: { httpsPort?: number; httpPort?: number } | undefined;
  try {
    const lab = JSON.parse(readFileSync(path.join(dir, "lab.json"), "utf8")) as { apps?: { ingress?: { controller?: { httpsPort?: number; httpPort?: number } } } };
    controller = lab.apps?.ingress?.controller;
  } catch {
    return [];
  }
  if (!controller?.httpsPort || !controller.httpPort) return [];
  const cas = [path.join(dir, "certs", "ca.crt"), path.join(dir, "tls", "ca.crt")].filter((f) => existsSync(f));
  const bundle = path.join(E2E_DIR, "lab-ca.pem");
  mkdirSync(E2E_DIR, { recursive: true });
  writeFileSync(bundle, cas.map((f) => readFileSync(f, "utf8").trimEnd()).join("\n") + "\n");
  return [
    "certificates:",
    "  probeIntervalSeconds: 10",
    "  probeTimeoutMs: 3000",
    `  caFile: ${bundle}`,
    `  httpsAddress: 127.0.0.1:${controller.httpsPort}`,
    `  httpAddress: 127.0.0.1:${controller.httpPort}`,
  ];
}

/**
 * What sets another e2e panel apart from the main one: its port, its own directory (config, data),
 * its public URL (reached directly, without a front) and its `gitops` section and environment.
 */
export interface PanelVariant {
  port: number;
  dir: string;
  publicUrl: string;
  gitops: { lines: string[]; env: Record<string, string> };
}

/** Writes the e2e config file and returns the server's environment. */
export function e2eServerEnv(): Record<string, string> {
  return panelServerEnv();
}

/**
 * A panel configured like the main e2e panel (cluster, integrations, alerting, certificates, users),
 * or like it but for `variant`: writes its config file and returns its server's environment.
 */
export function panelServerEnv(variant?: PanelVariant): Record<string, string> {
  mkdirSync(variant?.dir ?? E2E_DIR, { recursive: true });
  const kubeconfig = labKubeconfig();
  const labGitops = readLabGitops();
  const gitops = variant ? variant.gitops : labGitops ? { lines: labGitopsConfigLines(labGitops), env: labGitopsEnv(labGitops) } : undefined;
  const labApps = kubeconfig ? readLabIntegrationJson(ROOT) : undefined;
  const integrations = labApps ? labIntegrationSettings(labApps) : undefined;
  const alerting = kubeconfig ? readLabAlerting(ROOT) : undefined;
  // The VPN verdict is checked when the Integrations page asks, not on a timer that could run in the
  // middle of a test (e2e/security.spec.ts counts Gluetun's requests around metrics scrapes).
  if (integrations) (integrations.config.integrations as { vpn: Record<string, unknown> }).vpn.checkIntervalSeconds = 3600;
  const config = [
    "server:",
    `  publicUrl: ${variant?.publicUrl ?? E2E_BASE_URL}`,
    ...(E2E_FRONT && !variant ? [`  trustedProxies: [${E2E_FRONT.proxyAddress}/32]`] : []),
    "kubernetes:",
    kubeconfig ? `  mode: kubeconfig\n  kubeconfig: ${kubeconfig}` : "  mode: none",
    // Probe often so app-side changes (a stopped qBittorrent) show within a test's patience.
    ...(kubeconfig ? ["health:", "  probeIntervalSeconds: 5", "  probeTimeoutMs: 3000"] : []),
    ...(gitops ? gitops.lines : []),
    ...(integrations ? labIntegrationConfigLines(integrations) : []),
    ...(alerting ? labAlertingConfigLines(alerting) : []),
    ...(kubeconfig ? labCertificateConfigLines() : []),
    // The apps' own backup lists are read again every minute, so a backup a test makes in an app shows within its patience.
    ...(kubeconfig ? ["backups:", "  refreshMinutes: 1"] : []),
    "auth:",
    "  maxFailedLogins: 3",
    "  localUsers:",
    `    - { username: ${USERS.admin.username}, role: admin, passwordHashEnv: PANEL_ADMIN_PASSWORD_HASH }`,
    `    - { username: ${USERS.viewer.username}, role: viewer, passwordHashEnv: PANEL_VIEWER_PASSWORD_HASH }`,
    "",
  ].join("\n");
  const configFile = variant ? path.join(variant.dir, "config.yaml") : E2E_CONFIG;
  writeFileSync(configFile, config);
  return {
    PORT: String(variant?.port ?? E2E_PORT),
    HOSTNAME: "127.0.0.1",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    PANEL_CONFIG: configFile,
    PANEL_DATA_DIR: variant ? path.join(variant.dir, "data") : E2E_DATA_DIR,
    AUTH_SECRET: runSecret("E2E_AUTH_SECRET", () => randomBytes(33).toString("base64")),
    PANEL_METRICS_TOKEN: E2E_METRICS_TOKEN,
    PANEL_ADMIN_PASSWORD_HASH: scryptHash(USERS.admin.password),
    PANEL_VIEWER_PASSWORD_HASH: scryptHash(USERS.viewer.password),
    PANEL_LOG_LEVEL: "info",
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...(gitops ? gitops.env : {}),
    ...(integrations ? integrations.env : {}),
    ...(alerting ? labAlertingEnv(alerting) : {}),
  };
}
