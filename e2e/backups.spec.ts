import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import { labCli, labDir, readLab } from "./support/lab";
import { bareGit, listLabPulls, mergeLabPull, readApplicationSync, requireLabGitops, readLabObject, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { signIn } from "./support/pages";
import { E2E_DATA_DIR, E2E_METRICS_TOKEN, USERS } from "./support/panel-env";
import { callServerAction } from "./support/server-actions";

/**
 * Backups in the browser against the lab: qBittorrent (real, its profile on a real volume) shows
 * unprotected; "enable backups" opens a pull request; after the merge the lab's Argo CD creates the
 * CronJob; "back up now" runs a Job from it in the lab executor, whose archive lands on the backup
 * volume (a real directory), listed with its size and SHA-256, its log shown live. A failing Job,
 * a second backup during the first, and a viewer each get their message.
 */

const SERVICE = "qbittorrent/qbittorrent";
const SLUG = "qbittorrent-qbittorrent";
/** The Argo CD Application of qBittorrent, and the branch it deploys (the change's base). */
const APP = { namespace: "argocd", name: "qbit-production-cluster", branch: "dev_qbit" };
let lab: LabGitops;

interface CronJobList {
  items: Array<{ metadata: { name: string; annotations?: Record<string, string> }; spec: { schedule: string } }>;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  lab = requireLabGitops();
  await resetLabGitops(lab);
  labCli("clear-job-faults", "qbittorrent");
});

test.afterAll(async () => {
  if (!lab) return;
  labCli("clear-job-faults", "qbittorrent");
  await resetLabGitops(lab);
  const base = bareGit(lab, ["rev-parse", `refs/heads/${APP.branch}`]);
  await expect.poll(async () => (await readApplicationSync(APP.namespace, APP.name))?.revision, { timeout: 90_000 }).toBe(base);
});

function row(page: Page) {
  return page.getByTestId(`protection-${SLUG}`);
}

async function openBackups(page: Page) {
  await page.goto("/backups");
  await expect(page.getByRole("heading", { name: "Backups", level: 1 })).toBeVisible();
}

/** Starts "back up now" and waits until its Job ended; returns the progress panel. */
async function backUpNow(page: Page) {
  await row(page).getByTestId(`backup-now-${SLUG}`).click();
  const progress = page.getByTestId(`backup-progress-${SLUG}`);
  await expect(progress).toBeVisible({ timeout: 15_000 });
  return progress;
}

test("admin: unprotected -> enable backups (pull request, merge, sync: the CronJob exists) -> back up now: a verified archive on the backup volume, logs live, listed with size and checksum", async ({ page }) => {
  test.setTimeout(300_000);
  await signIn(page, USERS.admin, "/backups");
  await openBackups(page);
  await expect(row(page)).toHaveAttribute("data-state", "unprotected");
  await expect(page.getByTestId("backups-counts")).toContainText("without backups");
  // The Overview counts the services without backups, and links to the page.
  await expect
    .poll(
      async () => {
        await page.goto("/");
        const banner = page.getByTestId("backup-banner");
        return (await banner.count()) > 0 ? await banner.textContent() : "";
      },
      { timeout: 60_000, intervals: [2000] },
    )
    .toMatch(/Backups: \d+ services? without backups/);
  await openBackups(page);

  // Enable backups: a pull request adding the CronJob and the restore init container.
  await page.getByTestId(`propose-enable-backups-${SLUG}`).click();
  const preview = page.getByTestId("change-preview");
  await expect(preview).toHaveAttribute("data-outcome", "preview", { timeout: 30_000 });
  await expect(page.getByTestId("change-preview-diff")).toContainText("qbittorrent-backup.yaml");
  await expect(page.getByTestId("change-preview-diff")).toContainText("k8s-nas-panel-restore");
  await page.getByTestId("change-confirm").click();
  const prLink = page.getByTestId("change-pr-link");
  await expect(prLink).toBeVisible({ timeout: 30_000 });
  const prUrl = (await prLink.getAttribute("href")) ?? "";
  const pull = (await listLabPulls(lab)).find((p) => p.html_url === prUrl);
  expect(pull?.labels.map((l) => l.name)).toEqual(["k8s-nas-panel", "backups"]);

  // A reviewer merges; the lab's Argo CD applies it: the CronJob exists.
  await mergeLabPull(lab, pull?.number ?? 0);
  await expect
    .poll(async () => (await readLabObject<CronJobList>("/apis/batch/v1/namespaces/qbittorrent/cronjobs?labelSelector=k8s-nas-panel%2Fbackup%3Dtrue"))?.items.map((c) => c.metadata.name) ?? [], { timeout: 120_000 })
    .toEqual(["qbittorrent-backup"]);
  // The page shares one read of the cluster's CronJobs and Jobs for 2 s: a load just after the sync may
  // still show the read before it; the next one shows the CronJob.
  await expect(async () => {
    await openBackups(page);
    await expect(row(page)).toHaveAttribute("data-state", "never", { timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId(`protection-summary-${SLUG}`)).toContainText("CronJob qbittorrent/qbittorrent-backup (30 3 * * *)");

  // Back up now: the Job runs for real; its log shows on the page while it runs and after.
  const progress = await backUpNow(page);
  await expect(progress.getByTestId("backup-log")).toContainText("K8S_NAS_PANEL_RESULT", { timeout: 120_000 });
  await expect(progress).toHaveAttribute("data-state", "succeeded", { timeout: 60_000 });
  const job = (await progress.getAttribute("data-job")) ?? "";
  expect(job).toMatch(/^qbittorrent-backup-now-\d{12}[0-9a-z]{2}$/);
  await expect(progress.getByTestId("backup-progress-archive")).toContainText("SHA-256");

  // Listed in the history with size and checksum; the archive is on the backup volume and matches.
  await openBackups(page);
  const entry = page.locator(`[data-testid="backup-row"][data-job="${job}"]`);
  await expect(entry).toHaveAttribute("data-result", "succeeded");
  const location = (await entry.getByTestId("backup-location").textContent()) ?? "";
  expect(location).toMatch(/^qbittorrent\/backups: qbittorrent\/qbittorrent\/qbittorrent-\d{8}-\d{6}\.tar\.gz$/);
  await expect(entry.getByTestId("backup-size")).toHaveText(/\d+(\.\d)? (B|KB|MB)/);
  const archive = path.join(labDir(), "volumes", "qbittorrent", "backups", location.split(": ")[1] ?? "");
  expect(existsSync(archive), archive).toBe(true);
  const sha = createHash("sha256").update(readFileSync(archive)).digest("hex");
  await expect(entry.getByTestId("backup-sha256")).toHaveAttribute("title", sha);
  expect(readFileSync(`${archive}.sha256`, "utf8")).toContain(sha);
  await expect(row(page)).toHaveAttribute("data-state", "fresh");
  await expect(page.getByTestId(`protection-summary-${SLUG}`)).toContainText("last good backup");

  // /api/metrics has the series alert rules use: a fresh, not yet verified backup.
  const metrics = await (await page.request.get("/api/metrics", { headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` } })).text();
  const series = (name: string) => Number(new RegExp(`^${name}\\{service="${SERVICE}"\\} (-?[\\d.e+]+)$`, "m").exec(metrics)?.[1] ?? "NaN");
  expect(series("panel_backup_age_seconds")).toBeLessThan(600);
  expect(series("panel_backup_last_result")).toBe(1);
  expect(series("panel_backup_verified")).toBe(-1);
  expect(series("panel_backup_stale")).toBe(0);

  // The restore drill, on demand: the archive restored into scratch space and checked.
  await entry.getByTestId("verify-now").click();
  await expect(entry.getByTestId("verify-result")).toHaveAttribute("data-ok", "true", { timeout: 120_000 });
  await expect(entry.getByTestId("verify-result")).toContainText("checks passed");
  await openBackups(page);
  await expect(page.locator(`[data-testid="backup-row"][data-job="${job}"]`).getByTestId("backup-verification")).toHaveAttribute("data-verification", "verified");

  // The audit log has it.
  await page.goto("/audit?action=backups.backup-now");
  await expect(page.getByTestId("audit-row").first()).toContainText(SERVICE);
});

/** qBittorrent's WebUI API (the real app), signed in as the lab's admin. */
async function qbPreferences(): Promise<{ get: () => Promise<Record<string, unknown>>; set: (prefs: Record<string, unknown>) => Promise<void> }> {
  const info = readLab().apps.qbittorrent as { url: string; username: string; password: string };
  const login = async () => {
    const res = await fetch(`${info.url}/api/v2/auth/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", referer: info.url }, body: new URLSearchParams({ username: info.username, password: info.password }) });
    const cookie = res.headers.get("set-cookie")?.split(";")[0];
    if (!cookie) throw new Error(`qBittorrent login: HTTP ${res.status}`);
    return cookie;
  };
  return {
    get: async () => (await (await fetch(`${info.url}/api/v2/app/preferences`, { headers: { cookie: await login() } })).json()) as Record<string, unknown>,
    set: async (prefs) => {
      const res = await fetch(`${info.url}/api/v2/app/setPreferences`, { method: "POST", headers: { cookie: await login(), "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ json: JSON.stringify(prefs) }) });
      if (!res.ok) throw new Error(`qBittorrent setPreferences: HTTP ${res.status}`);
    },
  };
}

const QB_CONF = () => path.join(labDir(), "volumes", "qbittorrent", "qbittorrent-config", "qBittorrent", "config", "qBittorrent.conf");

/** Opens the restore of a backup of the history, waiting for its preview. */
async function openRestore(page: Page, job: string) {
  await openBackups(page);
  const entry = page.locator(`[data-testid="backup-row"][data-job="${job}"]`);
  await entry.getByTestId("restore-open").click();
  const panel = entry.getByTestId("restore-panel");
  await expect(panel.getByTestId("restore-preview-counts")).toBeVisible({ timeout: 60_000 });
  return panel;
}

test("admin: change a qBittorrent setting, restore the earlier backup (preview, typed confirmation, checks, pre-restore backup): the old value is back in its API; undo brings the change back", async ({ page }) => {
  test.setTimeout(600_000);
  await signIn(page, USERS.admin, "/backups");
  await openBackups(page);
  const good = page.locator(`[data-testid="backup-row"][data-service="${SERVICE}"][data-result="succeeded"]`).first();
  const job = (await good.getAttribute("data-job")) ?? "";
  const qb = await qbPreferences();
  const before = Number((await qb.get()).max_active_downloads);
  const changed = before + 7;
  await qb.set({ max_active_downloads: changed });
  expect(Number((await qb.get()).max_active_downloads)).toBe(changed);
  // qBittorrent writes its settings to its profile a moment later.
  await expect.poll(() => readFileSync(QB_CONF(), "utf8"), { timeout: 30_000 }).toContain(`MaxActiveDownloads=${changed}`);

  const panel = await openRestore(page, job);
  await expect(panel.locator('[data-testid="restore-preview-file"]', { hasText: "qBittorrent.conf" })).toHaveAttribute("data-change", "changed");

  // A wrong confirmation is refused, and nothing starts.
  await panel.getByTestId("restore-confirm-input").fill("qbitorrent");
  await panel.getByTestId("restore-confirm").click();
  await expect(panel.getByTestId("restore-error")).toContainText("Type the service's name, qbittorrent");
  expect(Number((await qb.get()).max_active_downloads)).toBe(changed);

  await panel.getByTestId("restore-confirm-input").fill("qbittorrent");
  await panel.getByTestId("restore-confirm").click();
  const progress = page.getByTestId("restore-progress");
  await expect(progress).toBeVisible({ timeout: 30_000 });
  // A second restore or backup while it runs is refused.
  const second = await callServerAction(page.request, "/backups", "server/actions/backups.ts", "backupNowAction", [{ serviceId: SERVICE }]);
  expect(second.text).toContain('"code":"conflict"');
  await expect(progress).toHaveAttribute("data-state", "succeeded", { timeout: 300_000 });
  await expect(progress.getByTestId("restore-message")).toContainText("the service is healthy");
  await expect(progress.getByTestId("restore-step")).toHaveCount(7);
  await expect(progress.locator('[data-testid="restore-step"][data-state="done"]')).toHaveCount(7);
  // The old value is back in qBittorrent's own API.
  await expect.poll(async () => Number((await qb.get().catch((): Record<string, unknown> => ({}))).max_active_downloads), { timeout: 60_000 }).toBe(before);

  // The pre-restore backup is in the history, verified.
  await openBackups(page);
  const pre = page.locator(`[data-testid="backup-row"][data-service="${SERVICE}"][data-result="succeeded"]`, { hasText: "pre-restore" }).first();
  await expect(pre).toBeVisible();
  await expect(pre.getByTestId("backup-verification")).toHaveAttribute("data-verification", "verified");
  await expect(page.locator(`[data-testid="backup-row"][data-job="${job}"]`).getByTestId("backup-verification")).toHaveAttribute("data-verification", "verified");

  // Undo: the pre-restore backup restored, the changed value back.
  const preJob = (await pre.getAttribute("data-job")) ?? "";
  const undoPanel = await openRestore(page, preJob);
  await undoPanel.getByTestId("restore-confirm-input").fill("qbittorrent");
  await undoPanel.getByTestId("restore-confirm").click();
  await expect(page.getByTestId("restore-progress")).toHaveAttribute("data-state", "succeeded", { timeout: 300_000 });
  await expect.poll(async () => Number((await qb.get().catch((): Record<string, unknown> => ({}))).max_active_downloads), { timeout: 60_000 }).toBe(changed);

  // A corrupt archive stops the restore at its checks; the service is as it was.
  const location = (await page.locator(`[data-testid="backup-row"][data-job="${job}"]`).getByTestId("backup-location").textContent()) ?? "";
  labCli("corrupt-file", "qbittorrent", "backups", location.split(": ")[1] ?? "", "flip");
  await openBackups(page);
  const corruptRow = page.locator(`[data-testid="backup-row"][data-job="${job}"]`);
  await corruptRow.getByTestId("restore-open").click();
  await expect(corruptRow.getByTestId("restore-preview-error")).toContainText(/checksum/i, { timeout: 60_000 });
  await expect(corruptRow.getByTestId("restore-confirm")).toHaveCount(0);
  // Asked directly, the server checks the archive first and stops there.
  const direct = await callServerAction(page.request, "/backups", "server/actions/backups.ts", "restoreAction", [{ serviceId: SERVICE, backupId: Number(await corruptRow.getAttribute("data-id")), confirm: "qbittorrent" }]);
  expect(direct.text).toContain('"ok":true');
  await expect
    .poll(
      async () => {
        await openBackups(page);
        const mark = page.locator(`[data-testid="backup-row"][data-job="${job}"] [data-testid="backup-verification"]`);
        return (await mark.count()) > 0 ? await mark.getAttribute("data-verification") : null;
      },
      { timeout: 120_000, intervals: [3000] },
    )
    .toBe("failed");
  expect(Number((await qb.get()).max_active_downloads)).toBe(changed);
});

test("admin: a Job that fails says why and records the failure; a second backup while one runs is refused", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, USERS.admin, "/backups");
  await openBackups(page);
  labCli("fail-next-job", "qbittorrent", "3");
  const failed = await backUpNow(page);
  await expect(failed).toHaveAttribute("data-state", "failed", { timeout: 120_000 });
  await expect(failed.getByTestId("backup-progress-error")).toContainText("The backup failed");
  const failedJob = (await failed.getAttribute("data-job")) ?? "";
  await openBackups(page);
  await expect(page.locator(`[data-testid="backup-row"][data-job="${failedJob}"]`)).toHaveAttribute("data-result", "failed");
  // The last good backup still counts; the last run's failure is said.
  await expect(page.getByTestId(`protection-summary-${SLUG}`)).toContainText("last run failed");

  // A Job that hangs: a second "back up now" meanwhile is refused with the running Job's name.
  labCli("hang-next-job", "qbittorrent");
  const hanging = await backUpNow(page);
  await expect(hanging.getByTestId("backup-progress-state")).toHaveText("running…");
  const hangingJob = (await hanging.getAttribute("data-job")) ?? "";
  const second = await callServerAction(page.request, "/backups", "server/actions/backups.ts", "backupNowAction", [{ serviceId: SERVICE }]);
  expect(second.text).toContain('"code":"conflict"');
  expect(second.text).toContain(hangingJob);
});

test("viewer: sees the protection and the history, no buttons, and the server refuses a backup", async ({ page }) => {
  await signIn(page, USERS.viewer, "/backups");
  await openBackups(page);
  await expect(row(page)).toBeVisible();
  await expect(page.getByTestId("backup-row").first()).toBeVisible();
  await expect(page.getByRole("main").locator("button")).toHaveCount(0);
  await expect(page.getByTestId("enable-backups-card")).toHaveCount(0);
  const result = await callServerAction(page.request, "/backups", "server/actions/backups.ts", "backupNowAction", [{ serviceId: SERVICE }]);
  expect(result.text).toContain('"code":"forbidden"');
});

test("the clock moved past the schedule: the backup is stale on the page and in /metrics", async ({ page }) => {
  // Every qBittorrent backup 27 h older, as if the clock had moved on without a backup (daily: stale after 26 h).
  const db = new Database(path.join(E2E_DATA_DIR, "panel.sqlite"));
  try {
    db.prepare("UPDATE backup_runs SET started_at = started_at - ?, finished_at = finished_at - ? WHERE service_id = ?").run(27 * 3_600_000, 27 * 3_600_000, SERVICE);
  } finally {
    db.close();
  }
  await signIn(page, USERS.viewer, "/backups");
  await openBackups(page);
  await expect(row(page)).toHaveAttribute("data-state", "stale");
  await expect(page.getByTestId(`protection-summary-${SLUG}`)).toContainText("stale: older than 26 h");
  await expect(page.getByTestId("backups-counts")).toContainText("1 stale");
  const metrics = await (await page.request.get("/api/metrics", { headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` } })).text();
  expect(metrics).toContain(`panel_backup_stale{service="${SERVICE}"} 1`);
  expect(Number(new RegExp(`^panel_backup_age_seconds\\{service="${SERVICE}"\\} (\\d+)$`, "m").exec(metrics)?.[1])).toBeGreaterThan(26 * 3600);
});
