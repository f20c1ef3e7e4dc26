import { expect, test } from "@playwright/test";
import { ChangesPage } from "./support/changes-page";
import { bareGit, listLabPulls, requireLabGitops, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * The panel's alert rules on the Changes page, against the lab: rules that do not validate are refused
 * before any branch or pull request, saying what is wrong (the panel's own checks, promtool, the lab's
 * real Prometheus' parser); valid rules of one's own preview with the checks that ran.
 */

let lab: LabGitops;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  lab = requireLabGitops();
  await resetLabGitops(lab);
});

test.afterAll(async () => {
  if (lab) await resetLabGitops(lab);
});

test("rules that do not validate are refused on the Changes page with what is wrong; no branch and no pull request", async ({ page }) => {
  // The first visit of the Changes page clones the repository: slow on a loaded machine.
  test.setTimeout(300_000);
  const pullsBefore = (await listLabPulls(lab)).length;
  const branchesBefore = bareGit(lab, ["for-each-ref", "--format=%(refname)", "refs/heads/"]);
  await signIn(page, USERS.admin);
  const changes = new ChangesPage(page);
  await changes.goto();
  await page.getByTestId("custom-rules-form").locator("summary").click();
  const error = page.getByTestId("change-preview-error");

  // The panel's own checks: a `for` that is no duration.
  await page.getByTestId("custom-rules").fill("- alert: DiskAlmostFull\n  expr: node_filesystem_avail_bytes < 1e9\n  for: soon\n");
  await page.getByTestId("custom-rules-preview").click();
  await expect(error).toContainText("Your rules do not validate, so no pull request was opened");
  await expect(error).toContainText('"soon" is not a duration');
  await expect(changes.confirmButton()).toHaveCount(0);

  // Balanced brackets, but no PromQL: promtool and the lab's Prometheus' own parser refuse it.
  await page.getByTestId("custom-rules").fill("- alert: HalfExpression\n  expr: sum by (job) (up) >\n  for: 1m\n  labels: { severity: warning }\n");
  await page.getByTestId("custom-rules-preview").click();
  await expect(error).toContainText("The change does not validate, so no pull request was opened.");
  await expect(error).toContainText(/promtool check rules refused [^ ]+: .*"HalfExpression": could not parse expression/);
  await expect(error).toContainText(/Prometheus cannot parse [^:]*\/HalfExpression: .*unexpected end of input/);
  await expect(changes.confirmButton()).toHaveCount(0);

  // A valid rule of one's own previews, with the checks that ran.
  await page.getByTestId("custom-rules").fill("- alert: LidarrQueueStuck\n  expr: sum by (namespace, service) (panel_service_up{service=\"lidarr\"}) < 1\n  for: 30m\n  labels: { severity: warning }\n");
  await page.getByTestId("custom-rules-preview").click();
  await expect(changes.preview()).toHaveAttribute("data-outcome", "preview");
  await expect(changes.previewDiff()).toContainText("alert: LidarrQueueStuck");
  await expect(changes.preview()).toContainText(/promtool .* check rules: .*SUCCESS/);
  await expect(changes.preview()).toContainText(/Your Prometheus parsed all \d+ expressions\./);

  expect((await listLabPulls(lab)).length).toBe(pullsBefore);
  expect(bareGit(lab, ["for-each-ref", "--format=%(refname)", "refs/heads/"])).toBe(branchesBefore);
});
