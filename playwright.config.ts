import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import {
  e2eServerEnv,
  E2E_BASE_URL,
  E2E_DATA_DIR,
  E2E_DIR,
  E2E_DIRECT_URL,
  E2E_FRONT,
  E2E_PANEL_LOG,
  E2E_PORT,
  OIDC_ISSUER_URL,
  OIDC_PANEL_DIRECT_URL,
  oidcIssuerEnv,
  oidcPanelEnv,
} from "./e2e/support/panel-env";

/**
 * NODE_EXTRA_CA_CERTS names one file: the lab CA, plus whatever the environment already named (the
 * worker processes, started after this file runs, read it at start).
 */
function caBundleWithLab(labCa: string): string {
  const bundle = path.join(E2E_DIR, "ca-bundle.pem");
  const current = process.env.NODE_EXTRA_CA_CERTS;
  if (current === bundle) return bundle;
  const existing = current && existsSync(current) ? readFileSync(current, "utf8") : "";
  mkdirSync(E2E_DIR, { recursive: true });
  writeFileSync(bundle, `${existing.trimEnd()}\n${readFileSync(labCa, "utf8")}`);
  return bundle;
}

/**
 * End-to-end tests in Debian's chromium against the built (standalone) panel, reached over HTTPS
 * through the lab's nginx as in production (`npm run lab -- panel-front`). The browser trusts the lab
 * CA through an NSS database in its HOME (chromium on Linux reads `$HOME/.pki/nssdb`); no certificate
 * error is ignored. The tests' own requests (Node) trust it through NODE_EXTRA_CA_CERTS, which the
 * worker processes inherit from here. `npm test` builds the panel first; the servers below are
 * started and stopped by Playwright.
 */
if (E2E_FRONT) process.env.NODE_EXTRA_CA_CERTS = caBundleWithLab(E2E_FRONT.caFile);
export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  // One retry in CI against real processes on a loaded 2-core machine; Playwright reports it as flaky.
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/e2e-results.json" }]],
  globalSetup: "./e2e/support/global-setup.ts",
  use: {
    baseURL: E2E_BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    ignoreHTTPSErrors: false,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      ...(E2E_FRONT ? { env: { ...process.env, HOME: E2E_FRONT.browserHome } } : {}),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "chromium", testIgnore: /no-(secrets|cluster-writes)\.spec\.ts$/, use: { ...devices["Desktop Chrome"], channel: undefined } },
    // Runs after every other spec (one worker runs the projects in this order; no dependency, so it
    // also runs when another spec failed): searches what the whole run produced for the lab's keys,
    // and the API server's audit log for any configuration write by the panel.
    { name: "no-secrets", testMatch: /no-(secrets|cluster-writes)\.spec\.ts$/, use: { ...devices["Desktop Chrome"], channel: undefined } },
  ],
  webServer: [
    {
      // The log is kept for e2e/no-secrets.spec.ts, which searches it for the lab's keys.
      command: `rm -rf "${E2E_DATA_DIR}" && node .next/standalone/server.js 2>&1 | tee "${E2E_PANEL_LOG}"`,
      url: `${E2E_DIRECT_URL}/api/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: e2eServerEnv(),
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: "exec node e2e/support/oidc-issuer.mjs",
      url: `${OIDC_ISSUER_URL}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: oidcIssuerEnv(),
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `rm -rf "${E2E_DIR}/oidc/data" && mkdir -p "${E2E_DIR}/oidc" && node .next/standalone/server.js 2>&1 | tee "${E2E_DIR}/oidc/panel.log"`,
      url: `${OIDC_PANEL_DIRECT_URL}/api/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: oidcPanelEnv(),
      stdout: "pipe",
      stderr: "pipe",
    },
  ],
  outputDir: "test-results/e2e",
  metadata: { port: E2E_PORT, url: E2E_BASE_URL },
});
