import { expect, test, type Page } from "@playwright/test";
import { OIDC_ISSUER_URL, OIDC_PANEL_URL, OIDC_RECHECK_SECONDS } from "./support/panel-env";

/** Changes an account's groups at the issuer (its test control endpoint). */
async function setGroups(account: string, groups: string[]): Promise<void> {
  const r = await fetch(`${OIDC_ISSUER_URL}/__control/groups`, { method: "POST", body: JSON.stringify({ account, groups }) });
  expect(r.status).toBe(200);
}

/** Signs in through the real OIDC issuer's login and consent pages. */
async function signInWithSso(page: Page, account: string) {
  await page.goto(`${OIDC_PANEL_URL}/login`);
  await page.getByTestId("login-oidc").click();
  await expect(page).toHaveURL(new RegExp(`^${OIDC_ISSUER_URL}/`));
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill("any-password");
  await page.locator('button[type="submit"]').click();
  const consent = page.locator('button[type="submit"]', { hasText: /continue/i });
  if (await consent.isVisible({ timeout: 5_000 }).catch(() => false)) await consent.click();
}

test.describe("single sign-on (OIDC)", () => {
  test("a member of the admin group signs in as admin", async ({ page }) => {
    await signInWithSso(page, "alice");
    await expect(page).toHaveURL(`${OIDC_PANEL_URL}/`);
    await expect(page.getByTestId("current-user")).toContainText("alice");
    await expect(page.getByTestId("current-user")).toContainText("admin");
  });

  test("a member of the viewer group signs in as viewer", async ({ page }) => {
    await signInWithSso(page, "bob");
    await expect(page.getByTestId("current-user")).toContainText("viewer");
    await page.goto(`${OIDC_PANEL_URL}/settings`);
    await expect(page.getByTestId("settings-readonly")).toBeVisible();
  });

  test("someone in no mapped group is refused with a clear message", async ({ page }) => {
    await signInWithSso(page, "mallory");
    await expect(page).toHaveURL(new RegExp(`^${OIDC_PANEL_URL}/login`));
    await expect(page.getByTestId("login-url-error")).toContainText("no role in this panel");
  });

  test("over HTTPS: the sign-in cookies are Secure with the __Secure- prefix", async ({ page, context }) => {
    expect(OIDC_PANEL_URL).toMatch(/^https:\/\//);
    await signInWithSso(page, "alice");
    await expect(page.getByTestId("current-user")).toContainText("admin");
    const session = (await context.cookies()).find((c) => c.name.endsWith("authjs.session-token"));
    expect(session).toMatchObject({ name: "__Secure-authjs.session-token", secure: true, httpOnly: true });
  });

  test("a user who loses the admin group loses the role at the next re-check, and without any group the session", async ({ page }) => {
    await setGroups("carol", ["nas-admins"]);
    await signInWithSso(page, "carol");
    await expect(page.getByTestId("current-user")).toContainText("admin");
    await setGroups("carol", ["family"]);
    const within = (OIDC_RECHECK_SECONDS + 20) * 1000;
    await expect
      .poll(async () => {
        await page.goto(`${OIDC_PANEL_URL}/settings`);
        return (await page.getByTestId("current-user").textContent()) ?? "";
      }, { timeout: within, intervals: [2_000] })
      .toContain("viewer");
    await expect(page.getByTestId("settings-readonly")).toBeVisible();
    await setGroups("carol", []);
    await expect
      .poll(async () => {
        await page.goto(`${OIDC_PANEL_URL}/settings`);
        return page.url();
      }, { timeout: within, intervals: [2_000] })
      .toMatch(/\/login/);
  });
});
