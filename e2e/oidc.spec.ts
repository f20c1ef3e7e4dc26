import { expect, test, type Page } from "@playwright/test";
import { OIDC_ISSUER_URL, OIDC_PANEL_URL } from "./support/panel-env";

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
});
