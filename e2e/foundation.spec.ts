import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { e2eServerEnv, E2E_METRICS_TOKEN, ROOT, USERS } from "./support/panel-env";
import { LoginPage, PanelFrame, signIn } from "./support/pages";
import { callServerAction } from "./support/server-actions";

const STACK_TRACE = /at .+\(.+:\d+:\d+\)|node_modules|\.ts:\d+/;

test.describe("signed out", () => {
  test("every panel page redirects to the sign-in page", async ({ page }) => {
    for (const path of ["/", "/audit", "/settings", "/services"]) {
      await page.goto(path);
      await expect(page).toHaveURL(new RegExp(`/login\\?callbackUrl=${encodeURIComponent(path).replace(/\//g, "%2F")}`));
      await expect(page.getByTestId("login-form")).toBeVisible();
    }
  });

  test("public endpoints answer; private data does not", async ({ request }) => {
    const health = await request.get("/api/healthz");
    expect(health.status()).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const metrics = await request.get("/api/metrics");
    expect(metrics.status()).toBe(401);
    const scraped = await request.get("/api/metrics", { headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` } });
    expect(scraped.status()).toBe(200);
    expect(await scraped.text()).toMatch(/panel_build_info\{version="[^"]+"/);
    const audit = await request.get("/audit", { maxRedirects: 0 });
    expect(audit.status()).toBe(307);
    expect(audit.headers()["location"]).toContain("/login");
  });

  test("the icons and the web app manifest are served without a session and linked from the sign-in page", async ({ page, request }) => {
    const manifest = await request.get("/manifest.webmanifest", { maxRedirects: 0 });
    expect(manifest.status()).toBe(200);
    const body = (await manifest.json()) as { name: string; display: string; icons: Array<{ src: string; type: string }> };
    expect(body).toMatchObject({ name: "k8s-nas-panel", display: "standalone" });
    for (const path of ["/favicon.ico", ...body.icons.map((i) => i.src)]) {
      const icon = await request.get(path, { maxRedirects: 0 });
      expect([path, icon.status()]).toEqual([path, 200]);
      expect(icon.headers()["content-type"]).toMatch(/^image\//);
    }
    await page.goto("/login");
    await expect(page.locator('link[rel="manifest"]')).toHaveAttribute("href", "/manifest.webmanifest");
    await expect(page.locator('link[rel="apple-touch-icon"]')).toHaveAttribute("href", "/apple-touch-icon.png");
    await expect(page.locator('link[rel="icon"][type="image/svg+xml"]')).toHaveAttribute("href", "/icon.svg");
  });

  test("pages carry the security headers", async ({ request }) => {
    const response = await request.get("/login");
    const headers = response.headers();
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["x-powered-by"]).toBeUndefined();
  });
});

test.describe("sign-in", () => {
  test("a wrong password is refused with a plain message", async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn(USERS.admin.username, "not-the-password");
    await expect(login.error()).toHaveText("Wrong username or password.");
    await expect(page.locator("body")).not.toContainText(STACK_TRACE);
  });

  test("failed sign-ins are rate-limited per account", async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto();
    for (let i = 0; i < 3; i++) {
      await login.signIn("nobody-here", `guess-${i}`);
      await expect(login.error()).toHaveText("Wrong username or password.");
    }
    await login.signIn("nobody-here", "guess-final");
    await expect(login.error()).toContainText(/Too many failed sign-ins\. Try again in \d+ seconds\./);
  });

  test("admin signs in through the form, lands where they wanted, and signs out", async ({ page, context }) => {
    await signIn(page, USERS.admin, "/audit");
    await expect(page).toHaveURL(/\/audit$/);
    const frame = new PanelFrame(page);
    await frame.expectSignedInAs("admin", "admin");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name.endsWith("authjs.session-token"));
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
    for (const id of ["overview", "services", "integrations", "backups", "certificates", "alerts", "changes", "audit", "settings"]) {
      await expect(frame.nav(id)).toBeVisible();
    }
    await frame.signOut();
    await page.goto("/settings");
    await expect(page).toHaveURL(/\/login/);
  });

  test("a tampered session cookie is treated as signed out, without an error page", async ({ page, context }) => {
    await signIn(page, USERS.admin);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name.endsWith("authjs.session-token"));
    expect(session).toBeDefined();
    await context.addCookies([{ ...session!, value: `${session!.value.slice(0, -8)}AAAAAAAA` }]);
    await page.goto("/settings");
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByTestId("login-form")).toBeVisible();
    await expect(page.locator("body")).not.toContainText(STACK_TRACE);
  });
});

test.describe("roles and audit", () => {
  test("an admin's change is saved and audited", async ({ page }) => {
    await signIn(page, USERS.admin, "/settings");
    await page.getByLabel("Stack name").fill("Brett's media server");
    await page.getByTestId("settings-save").click();
    await expect(page.getByTestId("settings-saved")).toBeVisible();
    await expect(page.getByTestId("stack-name")).toHaveText("Brett's media server");
    await page.getByLabel("Runbook base URL").fill("not a url");
    await page.getByTestId("settings-save").click();
    await expect(page.getByText("Must be an http(s) URL, or empty.")).toBeVisible();

    await page.getByTestId("nav-audit").click();
    await expect(page).toHaveURL(/\/audit/);
    const row = page.getByTestId("audit-row").filter({ hasText: "settings.update" }).first();
    await expect(row).toContainText("admin");
    await expect(row.getByTestId("audit-result")).toHaveText("ok");
    await page.getByLabel("Action").selectOption("auth.sign_in");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/action=auth.sign_in/);
    await expect(page.getByTestId("audit-action").first()).toHaveText("auth.sign_in");
  });

  test("a viewer sees no action buttons and the server refuses the action anyway", async ({ page }) => {
    await signIn(page, USERS.viewer, "/settings");
    await new PanelFrame(page).expectSignedInAs("family", "viewer");
    await expect(page.getByTestId("settings-readonly")).toBeVisible();
    await expect(page.getByTestId("settings-save")).toHaveCount(0);

    const before = await page.getByTestId("stack-name").textContent();
    const result = await callServerAction(page.request, "/settings", "server/actions/settings.ts", "updateSettings", [
      { stackName: "Changed by a viewer", runbookBaseUrl: "" },
    ]);
    expect(result.status).toBe(200);
    expect(result.text).toContain('"code":"forbidden"');
    await page.reload();
    await expect(page.getByTestId("stack-name")).toHaveText(before ?? "");

    await page.goto("/audit?result=refused");
    const row = page.getByTestId("audit-row").filter({ hasText: "settings.update" }).first();
    await expect(row).toContainText("family");
    await expect(row.getByTestId("audit-result")).toContainText("refused");
  });

  test("an anonymous call of the same action is refused", async ({ request }) => {
    const result = await callServerAction(request, "/settings", "server/actions/settings.ts", "updateSettings", [
      { stackName: "Changed anonymously", runbookBaseUrl: "" },
    ]);
    expect(result.text).not.toContain('"ok":true');
  });
});

test.describe("layout", () => {
  test("works at phone width with a menu, and renders the overview for the README screenshot", async ({ page }) => {
    await signIn(page, USERS.admin, "/settings");
    await page.setViewportSize({ width: 390, height: 844 });
    const menu = page.getByRole("button", { name: "Menu" });
    await expect(menu).toBeVisible();
    await expect(page.getByTestId("nav-audit")).toBeHidden();
    await menu.click();
    await page.getByTestId("nav-audit").click();
    await expect(page).toHaveURL(/\/audit/);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(390);

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto("/");
    await expect(page.getByTestId("summary-banner")).toBeVisible();
    // The run's own copy; `npm run screenshot` copies it into docs/images when asked.
    mkdirSync(path.join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, "test-results", "overview.png") });
  });

  test("keyboard users can reach the navigation and skip to content", async ({ page }) => {
    await signIn(page, USERS.admin);
    await page.keyboard.press("Tab");
    await expect(page.getByText("Skip to content")).toBeFocused();
  });
});

/** Starts the built server with a broken setup and returns what it printed and its exit code. */
function startBroken(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, ".next", "standalone", "server.js")], {
      env: { ...e2eServerEnv(), PORT: "3199", ...env } as unknown as NodeJS.ProcessEnv,
    });
    let output = "";
    child.stdout.on("data", (d) => (output += String(d)));
    child.stderr.on("data", (d) => (output += String(d)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test.describe("start-up checks", () => {
  test("an invalid config stops the start with the field and the problem", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "panel-bad-config-"));
    const file = path.join(dir, "config.yaml");
    writeFileSync(file, "kubernetes:\n  mode: sometimes\n  namespace: [media]\n");
    const { code, output } = await startBroken({ PANEL_CONFIG: file });
    expect(code).toBe(1);
    expect(output).toContain("k8s-nas-panel cannot start.");
    expect(output).toMatch(/kubernetes\.mode: /);
    expect(output).toContain('unknown key "namespace"');
  });

  test("a placeholder or weak AUTH_SECRET stops the start and says how to make one", async () => {
    for (const secret of ["<replace: openssl rand -base64 33>", "changeme-changeme-changeme-changeme-1", "a".repeat(48)]) {
      const { code, output } = await startBroken({ AUTH_SECRET: secret });
      expect(code, secret).toBe(1);
      expect(output).toContain("k8s-nas-panel cannot start.");
      expect(output).toMatch(/AUTH_SECRET: the value .*Make a random one with: openssl rand -base64 33/);
      expect(output).not.toContain(secret);
    }
  });

  test("an unwritable data directory stops the start with a clear message", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "panel-bad-data-"));
    const blocker = path.join(dir, "file");
    writeFileSync(blocker, "x");
    const { code, output } = await startBroken({ PANEL_DATA_DIR: path.join(blocker, "data") });
    expect(code).toBe(1);
    expect(output).toMatch(/data directory .* is not writable/);
  });
});
