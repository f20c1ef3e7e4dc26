import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { readLab, simControl } from "./support/lab";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * A restore through an app's own API in the browser, against the lab's Sonarr (a spec-validated
 * simulator keeping config.xml, its database and its backups on its volume): the backup Sonarr
 * made is in the history; after a setting changes, restoring it (preview, typed confirmation, a
 * pre-restore backup made by Sonarr, restore and restart, the panel's verdict) brings the saved value
 * back in Sonarr's own API; undo brings the change back; a restore Sonarr refuses puts the state
 * before back and says so; a viewer sees no restore button.
 */

const SERVICE = "media/sonarr";

test.describe.configure({ mode: "serial" });

interface SonarrInfo {
  url: string;
  urlBase: string;
  apiKey: string;
  configDir: string;
}

function sonarr(): SonarrInfo {
  return readLab().apps.sonarr as unknown as SonarrInfo;
}

async function api(method: "GET" | "PUT", p: string, body?: unknown): Promise<Record<string, unknown>> {
  const s = sonarr();
  const res = await fetch(`${s.url}${s.urlBase}/api/v3${p}`, { method, headers: { "x-api-key": s.apiKey, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (!res.ok) throw new Error(`Sonarr ${method} ${p}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

const instanceName = async () => String((await api("GET", "/system/status")).instanceName);

async function setInstanceName(value: string): Promise<void> {
  const host = await api("GET", "/config/host");
  await api("PUT", "/config/host/1", { ...host, instanceName: value });
}

/** The instance name a Sonarr backup holds (its config.xml, read from the archive on the volume). */
function nameInBackup(type: string, name: string): string {
  const xml = execFileSync("unzip", ["-p", path.join(sonarr().configDir, "Backups", type, name), "config.xml"], { encoding: "utf8" });
  return /<InstanceName>([^<]*)<\/InstanceName>/.exec(xml)?.[1] ?? "";
}

/** The history's rows of Sonarr's own backups, once the panel has read Sonarr's list. */
async function appRows(page: Page) {
  const rows = page.locator(`[data-testid="backup-row"][data-service="${SERVICE}"]:has([data-source="app"])`);
  await expect
    .poll(
      async () => {
        await page.goto("/backups");
        return rows.count();
      },
      { timeout: 60_000, intervals: [2000] },
    )
    .toBeGreaterThan(0);
  return rows;
}

async function restoreRow(page: Page, row: ReturnType<Page["locator"]>, confirm: string) {
  await row.getByTestId("restore-open").click();
  const panel = row.getByTestId("restore-panel");
  await expect(panel.getByTestId("restore-preview-app")).toBeVisible({ timeout: 60_000 });
  await panel.getByTestId("restore-confirm-input").fill(confirm);
  await panel.getByTestId("restore-confirm").click();
  return panel;
}

test("admin: change a Sonarr setting, restore Sonarr's own earlier backup through its API: the old value is back; undo brings the change back; a refused restore puts the state back", async ({ page }) => {
  test.setTimeout(480_000);
  await signIn(page, USERS.admin, "/backups");
  const rows = await appRows(page);
  const first = rows.first();
  const location = (await first.getByTestId("backup-location").textContent()) ?? "";
  const file = /(sonarr_backup_\S+\.zip)/.exec(location)?.[1] ?? "";
  expect(file).not.toBe("");
  const type = ["scheduled", "manual", "update"].find((t) => {
    try {
      return nameInBackup(t, file) !== "";
    } catch {
      return false;
    }
  });
  expect(type).toBeDefined();
  const saved = nameInBackup(type ?? "", file);
  await setInstanceName("Sonarr changed in e2e");
  expect(await instanceName()).toBe("Sonarr changed in e2e");

  // A wrong confirmation is refused and nothing starts.
  const panel = await restoreRow(page, first, "sonar");
  await expect(panel.getByTestId("restore-error")).toContainText("Type the service's name, sonarr");
  expect(await instanceName()).toBe("Sonarr changed in e2e");

  await panel.getByTestId("restore-confirm-input").fill("sonarr");
  await panel.getByTestId("restore-confirm").click();
  const progress = page.getByTestId("restore-progress");
  await expect(progress).toHaveAttribute("data-state", "succeeded", { timeout: 300_000 });
  await expect(progress.getByTestId("restore-message")).toContainText("through Sonarr; the service is healthy");
  await expect(progress.locator('[data-testid="restore-step"][data-state="done"]')).toHaveCount(4);
  await expect.poll(() => instanceName().catch(() => ""), { timeout: 60_000 }).toBe(saved);

  // The pre-restore backup Sonarr made is in the history; undo restores it.
  await page.goto("/backups");
  const pre = page.locator(`[data-testid="backup-row"][data-service="${SERVICE}"]:has([data-source="app"])`, { hasText: "pre-restore" }).first();
  await expect(pre).toBeVisible();
  await restoreRow(page, pre, "sonarr");
  await expect(page.getByTestId("restore-progress")).toHaveAttribute("data-state", "succeeded", { timeout: 300_000 });
  await expect.poll(() => instanceName().catch(() => ""), { timeout: 60_000 }).toBe("Sonarr changed in e2e");

  // Sonarr refuses the next restore: the panel puts the state before back and says so.
  await simControl("sonarr", { action: "refuseRestore", count: 1, message: "Disk quota exceeded" });
  await page.goto("/backups");
  await restoreRow(page, (await appRows(page)).last(), "sonarr");
  const refused = page.getByTestId("restore-progress");
  await expect(refused).toHaveAttribute("data-state", "failed", { timeout: 300_000 });
  await expect(refused.getByTestId("restore-message")).toContainText("Sonarr refused the restore");
  await expect(refused.getByTestId("restore-message")).toContainText("Disk quota exceeded");
  await expect(refused.getByTestId("restore-message")).toContainText("put back from the pre-restore backup");
  await expect.poll(() => instanceName().catch(() => ""), { timeout: 60_000 }).toBe("Sonarr changed in e2e");
  await setInstanceName(saved);
});

test("viewer: sees Sonarr's own backups, no restore button", async ({ page }) => {
  await signIn(page, USERS.viewer, "/backups");
  const rows = await appRows(page);
  await expect(rows.first()).toBeVisible();
  await expect(rows.first().getByTestId("restore-open")).toHaveCount(0);
});
