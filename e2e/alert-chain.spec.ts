import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { ChangesPage } from "./support/changes-page";
import { readLabAlerting } from "./support/lab-alerts";
import { bareGit, listLabPulls, mergeLabPull, readApplicationSync, requireLabGitops, readLabObject, replaceLabObject, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { labCli, labDir } from "./support/lab";
import { signIn } from "./support/pages";
import { E2E_METRICS_TOKEN, E2E_PORT, ROOT, USERS } from "./support/panel-env";

/**
 * The whole chain of the panel's alert rules, against the lab: the owner's monitoring folder deployed
 * by Argo CD (the owner's repository ships it disabled: its ApplicationSet has no element, so the
 * first step enables it, as the owner would), the rules pull request proposed on the Changes page,
 * merged on the lab's forge, synced by the lab's Argo CD into the `monitoring/prometheus-config`
 * ConfigMap, loaded by the lab's real Prometheus (its configmap-reload), a service stopped, the rule
 * pending then firing in Prometheus and in Alertmanager, on the Alerts page under the service with its
 * runbook, and silenced from the panel in Alertmanager. Everything changed is put back afterwards.
 */

const SERVICE = { namespace: "media", name: "lidarr" };
const MONITORING_APP = "monitoring-production-cluster";
const APPSET_FILE = "argocd/applicationsets/monitoring-appset.yaml";
const CM_PATH = "/api/v1/namespaces/monitoring/configmaps/prometheus-config";
const DEPLOY_PATH = "/apis/apps/v1/namespaces/monitoring/deployments/prometheus";
const APP_PATH = `/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/${MONITORING_APP}`;
const RULES_KEY = "k8s-nas-panel.rules.yml";

type KubeObj = { metadata: { resourceVersion?: string; managedFields?: unknown; annotations?: Record<string, string> }; data?: Record<string, string> } & Record<string, unknown>;
interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

let lab: LabGitops;
let saved: { configMap: KubeObj; deployment: KubeObj; scrapeTarget: string; scrapeToken: string } | undefined;

function alerting() {
  const a = readLabAlerting(ROOT);
  if (!a?.prometheus || !a.alertmanager) throw new Error("This test needs the lab's Prometheus and Alertmanager: npm run lab -- up.");
  return { prometheus: a.prometheus, alertmanager: a.alertmanager };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Names of the rule groups the lab's Prometheus has loaded. */
async function loadedGroups(): Promise<Array<{ name: string; rules: Array<{ name: string }> }>> {
  return (await getJson<{ data: { groups: Array<{ name: string; rules: Array<{ name: string }> }> } }>(`${alerting().prometheus}/api/v1/rules`)).data.groups;
}

/** The ServiceDown alert about the service in Prometheus, if any. */
async function promServiceDown(): Promise<PromAlert | undefined> {
  const alerts = (await getJson<{ data: { alerts: PromAlert[] } }>(`${alerting().prometheus}/api/v1/alerts`)).data.alerts;
  return alerts.find((a) => a.labels.alertname === "ServiceDown" && a.labels.namespace === SERVICE.namespace && a.labels.service === SERVICE.name);
}

/** The same alert in Alertmanager, with its state there (active, suppressed). */
async function amServiceDown(): Promise<{ labels: Record<string, string>; status: { state: string; silencedBy: string[] } } | undefined> {
  const alerts = await getJson<Array<{ labels: Record<string, string>; status: { state: string; silencedBy: string[] } }>>(
    `${alerting().alertmanager}/api/v2/alerts?filter=${encodeURIComponent('alertname="ServiceDown"')}`,
  );
  return alerts.find((a) => a.labels.namespace === SERVICE.namespace && a.labels.service === SERVICE.name);
}

/** Pushes a commit to `branch` of the lab's repository that enables the monitoring ApplicationSet's element. */
function enableMonitoringInGit(branch: string): string {
  const work = mkdtempSync(path.join(os.tmpdir(), "alert-chain-"));
  const who = { GIT_AUTHOR_NAME: "owner", GIT_AUTHOR_EMAIL: "owner@lab.invalid", GIT_COMMITTER_NAME: "owner", GIT_COMMITTER_EMAIL: "owner@lab.invalid", GIT_CONFIG_NOSYSTEM: "1" };
  const git = (args: string[]) => execFileSync("git", ["-C", work, ...args], { encoding: "utf8", env: { ...process.env, ...who } }).trim();
  try {
    execFileSync("git", ["clone", "--quiet", "--branch", branch, lab.git.bareDir, work], { env: { ...process.env, ...who } });
    const file = path.join(work, APPSET_FILE);
    const before = readFileSync(file, "utf8");
    const after = before.replace(/^(\s*)# (- name: production-cluster)\n\1# (  server: .*)\n\1# (  environment: .*)$/m, "$1$2\n$1$3\n$1$4");
    if (after === before) throw new Error(`${APPSET_FILE} has no commented-out production-cluster element to enable:\n${before}`);
    writeFileSync(file, after);
    git(["commit", "--quiet", "-am", "monitoring: enable the ApplicationSet's production-cluster element"]);
    git(["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`]);
    return git(["rev-parse", "HEAD"]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The lab's CLI with `LAB_PANEL_METRICS_TOKEN` set for this call only. */
function labCliWithToken(token: string, ...args: string[]): void {
  const before = process.env.LAB_PANEL_METRICS_TOKEN;
  process.env.LAB_PANEL_METRICS_TOKEN = token;
  try {
    labCli(...args);
  } finally {
    if (before === undefined) delete process.env.LAB_PANEL_METRICS_TOKEN;
    else process.env.LAB_PANEL_METRICS_TOKEN = before;
  }
}

/** Puts an object back as it was saved (its current resourceVersion, none of the saved server fields). */
async function putBack(apiPath: string, savedObj: KubeObj): Promise<void> {
  // A controller may write the object between the read and the write (409): read again and retry.
  for (let attempt = 1; ; attempt++) {
    const current = await readLabObject<KubeObj>(apiPath);
    const obj = structuredClone(savedObj);
    delete obj.metadata.managedFields;
    delete (obj as { status?: unknown }).status;
    obj.metadata.resourceVersion = current?.metadata.resourceVersion;
    try {
      await replaceLabObject(apiPath, obj);
      return;
    } catch (error) {
      if (attempt >= 10 || !/HTTP 409/.test((error as Error).message)) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  lab = requireLabGitops();
  await resetLabGitops(lab);
});

test.afterAll(async () => {
  test.setTimeout(240_000);
  if (!lab) return;
  labCli("scale", SERVICE.namespace, SERVICE.name, "1");
  await resetLabGitops(lab);
  if (!saved) return;
  const { configMap, deployment, scrapeTarget, scrapeToken } = saved;
  // The lab's ApplicationSet controller deletes the Application it no longer generates (no finalizer:
  // its objects stay), then the ConfigMap and the Deployment are put back as they were.
  let last: unknown;
  await expect
    .poll(async () => (last = await readLabObject(APP_PATH)) === undefined, { timeout: 120_000, message: `${MONITORING_APP} still exists: ${JSON.stringify(last)?.slice(0, 300)}` })
    .toBe(true);
  await putBack(CM_PATH, configMap);
  await putBack(DEPLOY_PATH, deployment);
  labCliWithToken(scrapeToken, "panel-scrape", scrapeTarget.split(":").at(-1) ?? "3000");
  let groups: string[] = [];
  await expect
    .poll(async () => (groups = (await loadedGroups()).map((g) => g.name)).includes("k8s-nas-panel"), { timeout: 60_000, message: `Prometheus still has the panel's rules: ${groups.join(", ")}` })
    .toBe(false);
});

test("the rules pull request merged and synced, Prometheus loads the rules, a stopped service fires in Prometheus and Alertmanager, shows on /alerts with its runbook, and is silenced from the panel", async ({ page }) => {
  test.setTimeout(600_000);
  const a = alerting();
  // What is put back afterwards: the monitoring objects as seeded, the lab Prometheus' panel target.
  const configMap = await readLabObject<KubeObj>(CM_PATH);
  const deployment = await readLabObject<KubeObj>(DEPLOY_PATH);
  if (!configMap || !deployment) throw new Error("the lab has no monitoring/prometheus-config ConfigMap or monitoring/prometheus Deployment");
  expect(configMap.data?.[RULES_KEY]).toBeUndefined();
  const scrapeTarget = (JSON.parse(readFileSync(path.join(labDir(), "prometheus", "panel-target.json"), "utf8")) as Array<{ targets: string[] }>)[0]?.targets[0] ?? "127.0.0.1:3000";
  const scrapeToken = readFileSync(path.join(labDir(), "prometheus", "panel-metrics-token"), "utf8");
  saved = { configMap, deployment, scrapeTarget, scrapeToken };

  // The owner's repository ships monitoring disabled: no Application deploys apps/infrastructure/monitoring.
  expect(await readLabObject(APP_PATH)).toBeUndefined();
  const enabledAt = enableMonitoringInGit(lab.git.defaultBranch);
  await expect.poll(async () => await readApplicationSync("argocd", "root-application"), { timeout: 120_000 }).toMatchObject({ status: "Synced", revision: enabledAt });
  const monitoringBase = bareGit(lab, ["rev-parse", "refs/heads/feat/nginx-routing"]);
  await expect.poll(async () => await readApplicationSync("argocd", MONITORING_APP), { timeout: 180_000 }).toMatchObject({ status: "Synced", revision: monitoringBase });

  // The lab Prometheus scrapes this run's panel (its panel_service_up figures).
  labCliWithToken(E2E_METRICS_TOKEN, "panel-scrape", String(E2E_PORT));
  const upQuery = `${a.prometheus}/api/v1/query?query=${encodeURIComponent(`panel_service_up{namespace="${SERVICE.namespace}",service="${SERVICE.name}"}`)}`;
  let up: unknown;
  await expect
    .poll(async () => (up = (await getJson<{ data: { result: Array<{ value: [number, string] }> } }>(upQuery)).data.result)[0]?.value[1] ?? null, {
      timeout: 60_000,
      message: `panel_service_up of ${SERVICE.name} from the e2e panel: ${JSON.stringify(up)}`,
    })
    .toBe("1");

  // The Changes page offers the rules; the preview goes into the branch the monitoring Application follows.
  await signIn(page, USERS.admin);
  const changes = new ChangesPage(page);
  await expect(async () => {
    await changes.goto();
    await expect(changes.proposeButton("alert-rules")).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 120_000 });
  await changes.previewChange("alert-rules");
  await expect(changes.preview()).toHaveAttribute("data-outcome", "preview");
  await expect(changes.preview()).toContainText("Into feat/nginx-routing");
  await expect(changes.preview()).toContainText(`argocd/${MONITORING_APP}`);
  await expect(changes.previewDiff()).toContainText(RULES_KEY);
  await expect(changes.previewDiff()).toContainText("alert: ServiceDown");
  const prUrl = await changes.confirm();
  const pull = (await listLabPulls(lab)).find((p) => p.html_url === prUrl);
  expect(pull).toMatchObject({ state: "open", base: { ref: "feat/nginx-routing" } });

  // Merged on the forge, synced by the lab's Argo CD: the ConfigMap in the cluster holds the rules.
  const mergedAt = Date.now();
  const mergeSha = await mergeLabPull(lab, pull?.number ?? 0);
  await expect.poll(async () => await readApplicationSync("argocd", MONITORING_APP), { timeout: 180_000 }).toMatchObject({ status: "Synced", revision: mergeSha });
  const live = await readLabObject<KubeObj>(CM_PATH);
  expect(live?.data?.[RULES_KEY]).toContain("alert: ServiceDown");
  expect(live?.data?.["prometheus.yml"]).toContain(RULES_KEY);
  // The Changes page follows it to live through the monitoring Application (loaded again: a busy machine
  // can keep the page's own refresh pending for a while).
  const branch = pull?.head.ref ?? "";
  let status: string | null = null;
  await expect(async () => {
    await changes.goto();
    status = await changes.change(branch).getAttribute("data-status", { timeout: 5_000 });
    expect(status).toBe("live");
  }).toPass({ timeout: 120_000 });
  await expect(changes.change(branch)).toContainText(`argocd/${MONITORING_APP}`);
  await expect(changes.change(branch)).not.toContainText("argocd/infrastructure-production-cluster");

  // The lab's Prometheus loaded them (its configmap-reload wrote the file and asked for a reload).
  let groups: string[] = [];
  await expect
    .poll(async () => (await loadedGroups()).find((g) => g.name === "k8s-nas-panel")?.rules.map((r) => r.name) ?? (groups = (await loadedGroups()).map((g) => g.name)), {
      timeout: 90_000,
      message: `the groups Prometheus has loaded: ${groups.join(", ")}`,
    })
    .toContain("ServiceDown");
  test.info().annotations.push({ type: "merge-to-rules-loaded-seconds", description: ((Date.now() - mergedAt) / 1000).toFixed(1) });

  // The service stopped: pending, then firing after the rule's `for`, in Prometheus and in Alertmanager.
  const seen: string[] = [];
  const stoppedAt = Date.now();
  labCli("scale", SERVICE.namespace, SERVICE.name, "0");
  try {
    await expect
      .poll(
        async () => {
          const state = (await promServiceDown())?.state ?? "none";
          if (seen.at(-1) !== state) seen.push(state);
          return state;
        },
        { timeout: 180_000, intervals: [1000], message: `ServiceDown of ${SERVICE.name} in Prometheus went through: ${seen.join(" -> ")}` },
      )
      .toBe("firing");
    test.info().annotations.push({ type: "stop-to-firing-seconds", description: ((Date.now() - stoppedAt) / 1000).toFixed(1) });
    expect(seen).toContain("pending");
    expect(seen.indexOf("pending")).toBeLessThan(seen.indexOf("firing"));
    let am: unknown;
    await expect.poll(async () => (am = await amServiceDown())?.status.state, { timeout: 60_000, message: `in Alertmanager: ${JSON.stringify(am)}` }).toBe("active");

    // The Alerts page: under the service, from Prometheus, firing, with its runbook.
    const row = page.locator(`[data-testid="alert-group-service"][data-service="${SERVICE.namespace}/${SERVICE.name}"] [data-testid="alert-row"][data-alert="ServiceDown"][data-source="prometheus"]`);
    await expect(async () => {
      await page.goto("/alerts");
      await expect(row).toHaveAttribute("data-state", "firing", { timeout: 5_000 });
    }).toPass({ timeout: 60_000 });
    await expect(row.getByTestId("alert-runbook")).toHaveAttribute("href", /\/runbooks\/alerts\/service-down$/);
    await expect(row).toHaveAttribute("data-silenced", "false");

    // Silenced from the panel: muted in Alertmanager, shown as silenced; then the silence ended again.
    await row.getByTestId("alert-silence-open").click();
    await page.getByTestId("silence-comment").fill("e2e: lidarr stopped on purpose");
    await page.getByTestId("silence-submit").click();
    await expect(page.getByTestId("alerts-message")).toContainText("Silenced in Alertmanager until");
    await expect.poll(async () => (am = await amServiceDown())?.status.state, { timeout: 30_000, message: `in Alertmanager: ${JSON.stringify(am)}` }).toBe("suppressed");
    await expect(async () => {
      await page.goto("/alerts");
      await expect(row).toHaveAttribute("data-silenced", "true", { timeout: 5_000 });
    }).toPass({ timeout: 30_000 });
    const silenceRow = page.getByTestId("silence-row").filter({ hasText: "e2e: lidarr stopped on purpose" });
    await expect(silenceRow).toContainText('alertname="ServiceDown"');
    page.once("dialog", (d) => void d.accept());
    await silenceRow.getByTestId("silence-expire").click();
    await expect(page.getByTestId("alerts-message")).toContainText("The silence has ended.");
    await expect.poll(async () => (am = await amServiceDown())?.status.state, { timeout: 30_000, message: `in Alertmanager: ${JSON.stringify(am)}` }).toBe("active");
  } finally {
    labCli("scale", SERVICE.namespace, SERVICE.name, "1");
  }
});
