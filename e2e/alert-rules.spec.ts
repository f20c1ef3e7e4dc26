import { expect, test } from "@playwright/test";
import { ChangesPage } from "./support/changes-page";
import { E2E_SERVICE_DOWN_FOR, readLabAlerting } from "./support/lab-alerts";
import { bareGit, listLabPulls, mergeLabPull, readApplicationSync, readLabGitops, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { labCli, labCliWithEnv } from "./support/lab";
import { signIn } from "./support/pages";
import { E2E_METRICS_TOKEN, E2E_PORT, ROOT, USERS } from "./support/panel-env";

/**
 * The panel's alert rules through the whole chain, against the lab: refused on the Changes page when
 * they do not validate; otherwise proposed, merged on the lab's forge, synced by the lab's Argo CD into
 * the monitoring ConfigMap, loaded by the lab's real Prometheus (prometheus-sync), which scrapes this
 * e2e panel (`npm run lab -- panel-scrape`), so a stopped service makes ServiceDown pending, then
 * firing, in Prometheus and Alertmanager, on the Alerts page, while the detector's message reaches ntfy.
 */

/** The Argo CD Application that renders the monitoring folder in the lab's repository (from main). */
const MONITORING_APP = { namespace: "argocd", name: "infrastructure-production-cluster" };
const SERVICE = { namespace: "media", name: "lidarr", id: "media/lidarr" };

let lab: LabGitops;

function alerting() {
  const a = readLabAlerting(ROOT);
  if (!a?.prometheus || !a.alertmanager || !a.ntfy) throw new Error("These tests need the lab's Prometheus, Alertmanager and ntfy: npm run lab -- up.");
  return { prometheus: a.prometheus, alertmanager: a.alertmanager, ntfy: a.ntfy };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  expect(res.ok).toBe(true);
  return (await res.json()) as T;
}

/** Alerting rules Prometheus has loaded, by group. */
async function loadedRules(): Promise<Array<{ group: string; name: string; duration: number }>> {
  const body = await getJson<{ data: { groups: Array<{ name: string; rules: Array<{ type: string; name: string; duration?: number }> }> } }>(`${alerting().prometheus}/api/v1/rules?type=alert`);
  return body.data.groups.flatMap((g) => g.rules.filter((r) => r.type === "alerting").map((r) => ({ group: g.name, name: r.name, duration: r.duration ?? 0 })));
}

async function promValue(query: string): Promise<string | undefined> {
  const body = await getJson<{ data: { result: Array<{ value: [number, string] }> } }>(`${alerting().prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  return body.data.result[0]?.value[1];
}

/** Prometheus' state of ServiceDown for the service (undefined: inactive). */
async function serviceDownState(): Promise<string | undefined> {
  const body = await getJson<{ data: { alerts: Array<{ labels: Record<string, string>; state: string }> } }>(`${alerting().prometheus}/api/v1/alerts`);
  return body.data.alerts.find((a) => a.labels.alertname === "ServiceDown" && a.labels.namespace === SERVICE.namespace && a.labels.service === SERVICE.name)?.state;
}

async function inAlertmanager(): Promise<boolean> {
  const filter = encodeURIComponent(`alertname="ServiceDown"`);
  const alerts = await getJson<Array<{ labels: Record<string, string>; status: { state: string } }>>(`${alerting().alertmanager}/api/v2/alerts?filter=${filter}`);
  return alerts.some((a) => a.labels.namespace === SERVICE.namespace && a.labels.service === SERVICE.name && a.status.state === "active");
}

async function ntfyTitles(): Promise<string[]> {
  const body = await getJson<{ messages: Array<{ message: { title?: string; click?: string } }> }>(`${alerting().ntfy.controlUrl}/messages`);
  return body.messages.filter((m) => (m.message.click ?? "").endsWith(`/services/${SERVICE.id}`)).map((m) => m.message.title ?? "");
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  const found = readLabGitops();
  if (!found) throw new Error("The lab is not up (no apps.git / apps.forge in .lab/lab.json): start it with `npm run lab -- up` before the e2e tests.");
  lab = found;
  await resetLabGitops(lab);
  // The lab's Prometheus scrapes this e2e panel (its port and metrics token) for the rules to see its figures.
  labCliWithEnv({ LAB_PANEL_METRICS_TOKEN: E2E_METRICS_TOKEN }, "panel-scrape", String(E2E_PORT));
});

test.afterAll(async () => {
  test.setTimeout(180_000);
  labCliWithEnv({ LAB_PANEL_METRICS_TOKEN: process.env.LAB_PANEL_METRICS_TOKEN }, "panel-scrape", process.env.LAB_PANEL_PORT ?? "3000");
  if (!lab) return;
  await resetLabGitops(lab);
  // The lab's Argo CD takes the monitoring folder back to the imported commit: the rules go again.
  const base = bareGit(lab, ["rev-parse", "refs/heads/main"]);
  await expect.poll(async () => (await readApplicationSync(MONITORING_APP.namespace, MONITORING_APP.name))?.revision, { timeout: 120_000 }).toBe(base);
  await expect.poll(async () => (await loadedRules()).some((r) => r.name === "ServiceDown"), { timeout: 60_000 }).toBe(false);
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

test("the rules pull request merged and synced: Prometheus loads them; a stopped service makes ServiceDown pending then firing, in Alertmanager, on the Alerts page, and ntfy gets the message", async ({ page }) => {
  test.setTimeout(480_000);
  await fetch(`${alerting().ntfy.controlUrl}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action: "clear" }) });
  await signIn(page, USERS.admin);
  const changes = new ChangesPage(page);
  await changes.goto();
  // The rules form with nothing of one's own: the panel's rules alone (offered whether or not the suggestion list has them).
  await page.getByTestId("custom-rules-form").locator("summary").click();
  await page.getByTestId("custom-rules-preview").click();
  await expect(changes.preview()).toHaveAttribute("data-outcome", "preview", { timeout: 60_000 });
  await expect(changes.previewDiff()).toContainText("alert: ServiceDown");
  await expect(changes.previewDiff()).toContainText(`for: ${E2E_SERVICE_DOWN_FOR}`);
  const prUrl = await changes.confirm();
  const pull = (await listLabPulls(lab)).find((p) => p.html_url === prUrl);
  expect(pull).toMatchObject({ state: "open", base: { ref: "main" } });
  const mergeSha = await mergeLabPull(lab, pull?.number ?? 0);

  // Argo CD syncs the merge; prometheus-sync writes the rule file from the ConfigMap and reloads Prometheus.
  await expect.poll(async () => (await readApplicationSync(MONITORING_APP.namespace, MONITORING_APP.name))?.revision, { timeout: 180_000, intervals: [2000] }).toBe(mergeSha);
  await expect.poll(async () => (await loadedRules()).find((r) => r.name === "ServiceDown"), { timeout: 60_000, intervals: [1000] }).toMatchObject({ duration: 15 });
  expect((await loadedRules()).map((r) => r.name)).toEqual(expect.arrayContaining(["ServiceDown", "AppHealthErrors", "PodCrashLooping", "NotificationsFailing"]));
  // The lab's Prometheus reads this panel's figures.
  await expect.poll(() => promValue(`panel_service_up{namespace="${SERVICE.namespace}",service="${SERVICE.name}"}`), { timeout: 60_000, intervals: [1000] }).toBe("1");

  const stoppedAt = Date.now();
  labCli("scale", SERVICE.namespace, SERVICE.name, "0");
  try {
    // Pending while the rule's `for` runs, then firing.
    const seen: string[] = [];
    await expect
      .poll(
        async () => {
          const state = (await serviceDownState()) ?? "inactive";
          if (seen.at(-1) !== state) seen.push(state);
          return state;
        },
        { timeout: 150_000, intervals: [1000] },
      )
      .toBe("firing");
    expect(seen).toContain("pending");
    expect(seen.indexOf("pending")).toBeLessThan(seen.indexOf("firing"));
    const firingAfter = (Date.now() - stoppedAt) / 1000;
    test.info().annotations.push({ type: "stop-to-prometheus-firing-seconds", description: firingAfter.toFixed(1) });
    await expect.poll(inAlertmanager, { timeout: 30_000, intervals: [1000] }).toBe(true);

    // The Alerts page: under the service, Prometheus' ServiceDown firing (folded with Alertmanager's copy), with its runbook.
    await page.goto("/alerts");
    const group = page.locator(`[data-testid="alert-group-service"][data-service="${SERVICE.id}"]`);
    const row = group.locator('[data-testid="alert-row"][data-alert="ServiceDown"][data-source="prometheus"]');
    await expect(row).toHaveAttribute("data-state", "firing", { timeout: 30_000 });
    await expect(row.getByTestId("alert-runbook")).toHaveAttribute("href", "/runbooks/alerts/service-down");

    // The owner's phone: one message about the service.
    await expect.poll(ntfyTitles, { timeout: 60_000, intervals: [1000] }).toEqual(["Lidarr is down"]);
  } finally {
    labCli("scale", SERVICE.namespace, SERVICE.name, "1");
  }
  await expect.poll(async () => (await serviceDownState()) ?? "inactive", { timeout: 120_000, intervals: [2000] }).toBe("inactive");
});
