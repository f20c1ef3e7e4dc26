import { expect, test } from "@playwright/test";
import { createTickerWorkload, deleteWorkload, labCli, readLab } from "./support/lab";
import { LogsCard } from "./support/logs-page";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * Logs on the service page against the lab: a real crash loop (the lab executor runs the failed
 * start of Sonarr for real and serves its logs through pods/log), masking of a known API key, the
 * viewer setting, and a live follow of a container that keeps logging.
 */

const MASK = "••••••";

test.describe("logs on the service page", () => {
  test.describe.configure({ timeout: 180_000 });

  test("a crash-looping Sonarr shows the failed run's lines (previous), highlighted, with its API key masked", async ({ page }) => {
    const key = readLab().secrets["media/starr-secrets"]?.SONARR_API_KEY;
    expect(key && key.length >= 16).toBe(true);
    labCli("crash-app", "media", "sonarr", "--line", `[Warn] Api: GET http://sonarr.media:8989/sonarr/api/v3/system/status?apikey=${key} failed`);
    try {
      await signIn(page, USERS.admin);
      const logs = new LogsCard(page);
      await logs.goto("media/sonarr");
      await expect(logs.card().getByTestId("logs-restarts")).toContainText(/restarted \d+×/);
      await expect(logs.card().getByTestId("logs-restarts")).toContainText("exit code 1");
      // The failed run, before the restart: its last lines are marked.
      const fatal = logs.line("[Fatal] ConsoleApp: EPIC FAIL!").first();
      await expect(fatal).toHaveAttribute("data-run", "previous");
      await expect(fatal).toHaveAttribute("data-highlight", "true");
      await expect(fatal).toHaveAttribute("data-level", "fatal");
      await expect(logs.line("CorruptDatabaseException").first()).toHaveAttribute("data-highlight", "true");
      await expect(logs.card().getByTestId("logs-restart-divider").first()).toBeVisible();
      // The key is masked wherever it appeared, and not in the page at all.
      const keyLine = logs.line("[Warn] Api: GET").first();
      await expect(keyLine).toContainText(`apikey=${MASK} failed`);
      expect(await page.content()).not.toContain(key as string);
      // Level filter and search.
      await logs.minLevel("error");
      await expect(logs.line("[Info] Bootstrap")).toHaveCount(0);
      await expect(logs.line("[Fatal] ConsoleApp").first()).toBeVisible();
      await logs.minLevel("");
      await logs.search("migrating data");
      await expect(logs.lines().first()).toContainText("MigrationController");
      await expect(logs.line("EPIC FAIL")).toHaveCount(0);
      // The API answers the same, masked.
      const api = await page.request.get("/api/services/media/sonarr/logs");
      expect(api.status()).toBe(200);
      const body = await api.text();
      expect(body).toContain("EPIC FAIL");
      expect(body).not.toContain(key as string);
    } finally {
      labCli("recover-app", "media", "sonarr");
    }
  });

  test("a viewer sees no logs and the API refuses them, until an admin opens them to viewers", async ({ browser }) => {
    const viewer = await browser.newPage();
    const admin = await browser.newPage();
    try {
      await signIn(viewer, USERS.viewer);
      const logs = new LogsCard(viewer);
      await logs.goto("media/radarr");
      await expect(logs.notAllowed()).toBeVisible();
      await expect(logs.lines()).toHaveCount(0);
      const refused = await viewer.request.get("/api/services/media/radarr/logs");
      expect(refused.status()).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("forbidden");
      expect((await viewer.request.get("/api/services/media/radarr/logs/stream")).status()).toBe(403);
      // The setting is an admin's; a viewer cannot change it.
      await viewer.goto("/settings");
      await expect(viewer.getByTestId("logs-settings-readonly")).toContainText("admins only");

      await signIn(admin, USERS.admin);
      await admin.goto("/settings");
      await admin.getByTestId("logs-viewers").check();
      await admin.getByTestId("logs-access-form").getByRole("button", { name: "Save" }).click();
      await expect(admin.getByTestId("logs-access-saved")).toContainText("open to viewers");

      await logs.goto("media/radarr");
      await expect(logs.notAllowed()).toHaveCount(0);
      await expect(logs.card().getByTestId("logs-source-label")).toContainText("Kubernetes API");
      expect((await viewer.request.get("/api/services/media/radarr/logs")).status()).toBe(200);
      await admin.goto("/audit");
      await expect(admin.getByRole("cell", { name: "settings.logs-access" }).first()).toBeVisible();
    } finally {
      await admin.goto("/settings");
      await admin.getByTestId("logs-viewers").uncheck();
      await admin.getByTestId("logs-access-form").getByRole("button", { name: "Save" }).click();
      await expect(admin.getByTestId("logs-access-saved")).toContainText("admins only");
      await viewer.close();
      await admin.close();
    }
    const again = await browser.newPage();
    await signIn(again, USERS.viewer);
    expect((await again.request.get("/api/services/media/radarr/logs")).status()).toBe(403);
    await again.close();
  });

  test("follows a running container live over the panel's own event stream", async ({ page }) => {
    createTickerWorkload("media", "e2e-ticker");
    try {
      await signIn(page, USERS.admin);
      const logs = new LogsCard(page);
      await expect(async () => {
        await logs.goto("media/e2e-ticker");
        await expect(logs.line(/tick \d+/).first()).toBeVisible({ timeout: 5_000 });
      }).toPass({ timeout: 120_000 });
      const last = async () => {
        const texts = await logs.line(/tick \d+/).allTextContents();
        return Math.max(...texts.map((t) => Number(/tick (\d+)/.exec(t)?.[1] ?? 0)));
      };
      const before = await last();
      await logs.follow();
      // New lines arrive without a reload, numbered after the ones read first.
      await expect.poll(last, { timeout: 15_000 }).toBeGreaterThan(before + 4);
      await expect(logs.line(/tick \d+/).last()).toHaveAttribute("data-level", "info");
    } finally {
      deleteWorkload("media", "e2e-ticker");
    }
  });
});
