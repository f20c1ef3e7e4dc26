import { expect, test } from "@playwright/test";
import { ChangesPage } from "./support/changes-page";
import { listLabPulls, mergeLabPull, readLabGitops, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { labCli } from "./support/lab";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * The apps' metrics in the browser against the lab: the exporters' pull request proposed on the
 * Changes page, merged on the forge and synced by the lab's Argo CD; the lab executor runs the real
 * PyPI qBittorrent exporter against the real qBittorrent and the exportarr stand-in against the
 * simulators; the lab's real Prometheus scrapes them, and the service page charts what it holds.
 */

let lab: LabGitops;

test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async () => {
  const found = readLabGitops();
  if (!found) throw new Error("The lab is not up (no apps.git / apps.forge in .lab/lab.json): start it with `npm run lab -- up` before the e2e tests.");
  lab = found;
  await resetLabGitops(lab);
});

test.afterAll(async () => {
  if (!lab) return;
  await resetLabGitops(lab);
  // The exporters' Deployments came with the merge: the lab's reset deletes what it did not seed.
  labCli("reset");
});

test("exporters by pull request: merged and synced, Prometheus scrapes them and the service page charts the exporter's figure", async ({ page }) => {
  await signIn(page, USERS.admin);
  const changes = new ChangesPage(page);
  await changes.goto();
  await changes.previewChange("app-exporters");
  await expect(changes.preview()).toHaveAttribute("data-outcome", "preview");
  await expect(changes.preview()).toContainText("Into dev_starr");
  await expect(changes.previewDiff()).toContainText("apps/media-services/starr/k8s-nas-panel-exporters.yaml");
  await expect(changes.previewDiff()).toContainText("secretKeyRef");
  const prUrl = await changes.confirm();
  const pull = (await listLabPulls(lab)).find((p) => p.html_url === prUrl);
  expect(pull).toMatchObject({ state: "open", base: { ref: "dev_starr" } });
  await mergeLabPull(lab, pull?.number ?? 0);

  // qBittorrent's page: the real exporter's figure and its target up, from the lab's Prometheus.
  await expect(async () => {
    await page.goto("/services/qbittorrent/qbittorrent");
    const figure = page.getByTestId("metric-chart-figure");
    await expect(figure).toBeVisible({ timeout: 10_000 });
    expect(Number(await figure.getAttribute("data-points"))).toBeGreaterThan(0);
  }).toPass({ timeout: 240_000, intervals: [5_000] });
  await expect(page.getByTestId("metric-chart-figure")).toContainText("qBittorrent: torrents");
  await expect(page.getByTestId("metric-last-exporter-up")).toHaveText(/^1/);
  // Sonarr's page: the exportarr stand-in's health issues.
  await page.goto("/services/media/sonarr");
  await expect(page.getByTestId("metric-chart-figure")).toContainText("Sonarr: health issues");
  await expect(page.getByTestId("metric-last-exporter-up")).toHaveText(/^1/, { timeout: 30_000 });

  // What the lab cannot produce is said, not drawn: kwok's nodes have no kubelet cAdvisor endpoint
  // for the lab's Prometheus, and the lab runs no kube-state-metrics.
  await expect(page.getByTestId("metric-missing-cpu")).toContainText("container_cpu_usage_seconds_total comes from the kubelet's cAdvisor endpoint");
  await expect(page.getByTestId("metric-missing-memory")).toContainText("container_memory_working_set_bytes");
  await expect(page.getByTestId("metric-missing-restarts")).toContainText("kube-state-metrics");
});
