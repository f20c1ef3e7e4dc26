import { expect, test } from "@playwright/test";
import { createUnknownWorkload, deleteWorkload, labCli } from "./support/lab";
import { OverviewPage } from "./support/overview-page";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * Faults as the user sees them, through the lab's controls: the API server going away and coming
 * back, and a look-alike app the panel refuses its key.
 */
test.describe("faults as the user sees them", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, USERS.admin);
  });

  test("API server stopped: the overview says the cluster is not reachable within 2 s, without a reload; started again, the alert goes", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.goto();
    await expect(page.getByTestId("live-indicator")).toHaveText("live");
    await expect(page.getByTestId("kube-alert")).toHaveCount(0);
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    try {
      labCli("stop-apiserver");
      const t0 = Date.now();
      await expect(page.getByTestId("kube-alert")).toContainText("Disconnected", { timeout: 2_000 });
      console.log(`[faults] API server stopped -> the overview's alert after ${Date.now() - t0} ms`);
      await expect(overview.cards().first()).toBeVisible();
    } finally {
      labCli("start-apiserver");
    }
    await expect(page.getByTestId("kube-alert")).toHaveCount(0, { timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  });

  test("a look-alike Sonarr in another namespace gets no key, and its card and page say why", async ({ page }) => {
    const id = "homepage/sonarr-lookalike";
    createUnknownWorkload("homepage", "sonarr-lookalike", "lscr.io/linuxserver/sonarr:4.0.14");
    try {
      const overview = new OverviewPage(page);
      await overview.goto();
      await expect(overview.card(id).getByTestId("service-reason")).toContainText("API key withheld", { timeout: 45_000 });
      await page.goto(`/services/${id}`);
      await expect(page.getByTestId("verdict-reasons")).toContainText("add homepage/sonarr-lookalike to apps.keyRecipients");
    } finally {
      deleteWorkload("homepage", "sonarr-lookalike");
    }
  });
});
