import { expect, test } from "@playwright/test";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * Velero on the Backups page, against the lab (which serves Velero's CRDs and seeds a Schedule of
 * `media` and a partially failed Backup it made, and gives the panel deploy/components/velero's
 * Role): both are listed read-only with their phase, counts, expiry and the services they cover.
 */
test("viewer: the Backups page lists Velero's Schedule and Backup, with phase, errors and warnings, expiry and the services they cover", async ({ page }) => {
  await signIn(page, USERS.viewer, "/backups");
  const section = page.getByTestId("velero");
  await expect(section).toBeVisible({ timeout: 30_000 });
  const schedule = section.locator('[data-testid="velero-schedule"][data-name="media-daily"]');
  await expect(schedule).toContainText("0 2 * * *");
  await expect(schedule).toContainText("2026-01-05 02:00:00 UTC");
  await expect(schedule).toContainText("media/sonarr");
  const backup = section.locator('[data-testid="velero-backup"][data-name="media-daily-20260105020000"]');
  await expect(backup).toHaveAttribute("data-phase", "PartiallyFailed");
  await expect(backup.getByTestId("velero-backup-phase")).toContainText("1 error, 2 warnings");
  await expect(backup).toContainText("2099-01-05 02:00:00 UTC");
  await expect(backup.getByTestId("velero-backup-covers")).toContainText("media/jellyfin");
  // Read-only: no button in the section, whoever looks.
  await expect(section.getByRole("button")).toHaveCount(0);
});
