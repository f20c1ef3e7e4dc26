import path from "node:path";
import Database from "better-sqlite3";
import { expect, test } from "@playwright/test";
import { createUnknownWorkload, deleteWorkload, labCli } from "./support/lab";
import { OverviewPage } from "./support/overview-page";
import { signIn } from "./support/pages";
import { E2E_DATA_DIR, USERS } from "./support/panel-env";

/**
 * Faults as the user sees them, through the lab's controls: the API server going away and coming
 * back, a look-alike app the panel refuses its key, and another process holding the panel's database.
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

  test("SQLite busy: saving the settings while another process holds the write lock says so; after the lock, the save works", async ({ page }) => {
    await page.goto("/settings");
    const name = page.locator('input[name="stackName"]');
    const before = await name.inputValue();
    // This test process is the other process: it takes SQLite's write lock on the panel's database.
    const other = new Database(path.join(E2E_DATA_DIR, "panel.sqlite"));
    other.exec("BEGIN IMMEDIATE");
    try {
      await name.fill("Saved during the lock");
      await page.getByTestId("settings-save").click();
      await expect(page.getByTestId("settings-error")).toContainText("The panel's database is busy: another process holds a write lock on it", { timeout: 30_000 });
      await expect(page.getByTestId("settings-error")).toContainText("Nothing was saved");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    await page.reload();
    await expect(name).toHaveValue(before);
    await name.fill(`${before} (saved)`);
    await page.getByTestId("settings-save").click();
    await expect(page.getByTestId("settings-saved")).toBeVisible();
    await expect(page.getByTestId("settings-error")).toHaveCount(0);
    await page.reload();
    await expect(name).toHaveValue(`${before} (saved)`);
    await name.fill(before);
    await page.getByTestId("settings-save").click();
    await expect(page.getByTestId("settings-saved")).toBeVisible();
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
