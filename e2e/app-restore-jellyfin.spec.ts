import { expect, test, type Page } from "@playwright/test";
import { readLab, simControl } from "./support/lab";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * A restore through Jellyfin's own 10.11 backup API in the browser, against the lab's Jellyfin (a
 * spec-validated simulator keeping its configuration, database and archives on its volume): a
 * backup Jellyfin made is in the history; after its server name changes, restoring the backup
 * (preview, typed confirmation, a pre-restore backup made by Jellyfin, restore and restart, the
 * panel's verdict) brings the saved name back in Jellyfin's own API; a restore Jellyfin refuses
 * puts the state before back and says so.
 */

const SERVICE = "media/jellyfin";

test.describe.configure({ mode: "serial" });

function jellyfin(): { url: string; apiKey: string } {
  const app = readLab().apps.jellyfin as { url?: string; apiKey?: string } | undefined;
  if (!app?.url || !app.apiKey) throw new Error(`lab.json has no address or key for Jellyfin: ${JSON.stringify(app)}`);
  return { url: app.url, apiKey: app.apiKey };
}

async function jellyfinApi<T>(method: "GET" | "POST", p: string, body?: unknown): Promise<T> {
  const j = jellyfin();
  const res = await fetch(`${j.url}${p}`, { method, headers: { "x-emby-token": j.apiKey, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (!res.ok) throw new Error(`Jellyfin ${method} ${p}: HTTP ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

const serverName = async () => (await jellyfinApi<{ ServerName: string }>("GET", "/System/Info/Public")).ServerName;
const setServerName = (value: string) => simControl("jellyfin", { action: "set", patch: { serverName: value } });

/** The history's row of Jellyfin's own backup `file`, once the panel has read Jellyfin's list. */
async function appRow(page: Page, file: string) {
  const row = page.locator(`[data-testid="backup-row"][data-service="${SERVICE}"]:has([data-source="app"])`, { hasText: file });
  await expect
    .poll(
      async () => {
        await page.goto("/backups");
        return row.count();
      },
      { timeout: 180_000, intervals: [3000], message: `the history lists Jellyfin's backup ${file}` },
    )
    .toBeGreaterThan(0);
  return row.first();
}

async function restoreRow(page: Page, row: ReturnType<Page["locator"]>, confirm: string) {
  await row.getByTestId("restore-open").click();
  const panel = row.getByTestId("restore-panel");
  await expect(panel.getByTestId("restore-preview-app")).toBeVisible({ timeout: 60_000 });
  await panel.getByTestId("restore-confirm-input").fill(confirm);
  await panel.getByTestId("restore-confirm").click();
  return panel;
}

test("admin: change Jellyfin's server name, restore Jellyfin's own earlier backup through its API: the old name is back; a refused restore puts the state back", async ({ page }) => {
  test.setTimeout(480_000);
  const original = await serverName();
  try {
    await setServerName("jellyfin-saved-e2e");
    const made = await jellyfinApi<{ Path: string }>("POST", "/Backup/Create", { Database: true });
    const file = made.Path.split("/").pop() ?? "";
    expect(file).toMatch(/\.zip$/);
    await setServerName("jellyfin-changed-e2e");

    await signIn(page, USERS.admin, "/backups");
    // The panel reads the apps' own lists every backups.refreshMinutes (1 in the e2e config).
    const row = await appRow(page, file);
    const panel = await restoreRow(page, row, "jellyfn");
    await expect(panel.getByTestId("restore-error")).toContainText("Type the service's name, jellyfin");
    expect(await serverName()).toBe("jellyfin-changed-e2e");

    await panel.getByTestId("restore-confirm-input").fill("jellyfin");
    await panel.getByTestId("restore-confirm").click();
    const progress = page.getByTestId("restore-progress");
    await expect(progress).toHaveAttribute("data-state", "succeeded", { timeout: 300_000 });
    await expect(progress.getByTestId("restore-message")).toContainText("through Jellyfin; the service is healthy");
    await expect.poll(() => serverName().catch((e: unknown) => `unreadable: ${(e as Error).message}`), { timeout: 60_000 }).toBe("jellyfin-saved-e2e");

    // Jellyfin refuses the next restore: the panel puts the state before back and says so.
    await setServerName("jellyfin-kept-e2e");
    await simControl("jellyfin", { action: "refuseRestore", count: 1, message: "Access denied (e2e)" });
    await restoreRow(page, await appRow(page, file), "jellyfin");
    const refused = page.getByTestId("restore-progress");
    await expect(refused).toHaveAttribute("data-state", "failed", { timeout: 300_000 });
    await expect(refused.getByTestId("restore-message")).toContainText("Jellyfin refused the restore");
    await expect(refused.getByTestId("restore-message")).toContainText("Access denied (e2e)");
    await expect(refused.getByTestId("restore-message")).toContainText("put back from the pre-restore backup");
    await expect.poll(() => serverName().catch((e: unknown) => `unreadable: ${(e as Error).message}`), { timeout: 60_000 }).toBe("jellyfin-kept-e2e");
  } finally {
    await setServerName(original);
  }
});
