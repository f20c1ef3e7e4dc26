import { expect, test, type Locator, type Page } from "@playwright/test";
import { ChangesPage } from "./support/changes-page";
import { labCli } from "./support/lab";
import { readLabAlerting } from "./support/lab-alerts";
import { listLabPulls, mergeLabPull, readLabGitops, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { signIn } from "./support/pages";
import { ROOT, USERS } from "./support/panel-env";

/**
 * The service page's "Metrics from Prometheus" card against the lab's real Prometheus, which the
 * panel discovers (the Prometheus Service, under the route prefix the manifests give it; no
 * observability.prometheus.url is configured). CPU and memory come from the kubelet's resource
 * metrics, which kwok plays for the lab's nodes; the exporters come from the pull request the panel
 * proposes, merged and synced by the lab's Argo CD, run for real by the lab executor.
 */

let lab: LabGitops;
let prometheus: string;

test.describe.configure({ mode: "serial", timeout: 300_000 });

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query of the lab's Prometheus. */
async function promQuery(query: string): Promise<Sample[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  expect(res.status, `Prometheus answered ${query}`).toBe(200);
  return ((await res.json()) as { data: { result: Sample[] } }).data.result;
}

/** The service page's card. */
async function card(page: Page, service: string): Promise<Locator> {
  await page.goto(`/services/${service}`);
  const c = page.getByTestId("prometheus-charts");
  await expect(c).toBeVisible();
  return c;
}

/**
 * Loads the service page again until its chart `id` has points (Prometheus scrapes every 5 s; a
 * chart needs a sample, a rate two) and its last value reads `last` (a pod being replaced can show
 * for a while); the error says what the chart showed last.
 */
async function chartWithPoints(page: Page, service: string, id: string, last?: RegExp | string, timeout = 90_000): Promise<Locator> {
  let seen = "";
  try {
    await expect(async () => {
      const c = await card(page, service);
      const chart = c.getByTestId(`metric-chart-${id}`);
      await expect(chart).toBeVisible({ timeout: 15_000 });
      seen = `points=${(await chart.getAttribute("data-points")) ?? "?"}: ${(await chart.textContent()) ?? ""}`;
      expect(Number(await chart.getAttribute("data-points"))).toBeGreaterThan(0);
      if (last !== undefined) await expect(chart.getByTestId(`metric-last-${id}`)).toHaveText(last, { timeout: 1_000 });
    }).toPass({ timeout, intervals: [3_000] });
  } catch (error) {
    throw new Error(`The ${id} chart of ${service} got no points within ${timeout / 1000} s; it showed: ${seen}\n${(error as Error).message}`);
  }
  return page.getByTestId("prometheus-charts").getByTestId(`metric-chart-${id}`);
}

test.beforeAll(async () => {
  const found = readLabGitops();
  const url = readLabAlerting(ROOT)?.prometheus;
  if (!found || !url) throw new Error("The lab is not up (no apps.git / apps.forge / apps.prometheus in .lab/lab.json): start it with `npm run lab -- up` before the e2e tests.");
  lab = found;
  prometheus = url;
  await resetLabGitops(lab);
});

test.afterAll(async () => {
  if (!lab) return;
  await resetLabGitops(lab);
  // The exporter Deployments came with the sync: the reset deletes what the lab did not seed.
  labCli("reset");
});

test("the discovered Prometheus charts the pods' CPU and memory against requests and limits, and says what is not scraped", async ({ page }) => {
  await signIn(page, USERS.admin);
  const c = await card(page, "media/sonarr");
  // The Prometheus Service, where its manifest's --web.external-url puts it (the lab's Prometheus serves there too).
  await expect(c.getByTestId("prometheus-source")).toContainText(/From the Prometheus at http:\/\/127\.0\.0\.1:\d+\/prometheus \(discovered: Service monitoring\/prometheus, URL base \/prometheus\)/);
  expect(new URL(prometheus).pathname).toBe("/prometheus");

  // The kubelet's series of Sonarr's pod, against what its Deployment asks for (100m, 256Mi) and is limited to (500m, 512Mi).
  await expect
    .poll(async () => (await promQuery('container_memory_working_set_bytes{job="kubelet",namespace="media",container="sonarr"}')).length, { timeout: 60_000, message: "Sonarr's memory series of the kubelet job in the lab's Prometheus" })
    .toBeGreaterThan(0);
  await chartWithPoints(page, "media/sonarr", "cpu", /^[1-9]\d*m · request 100m · limit 500m$/);
  await chartWithPoints(page, "media/sonarr", "memory", /^[1-9]\d* MiB · request 256 MiB · limit 512 MiB$/);

  // What the lab has no provider of (kube-state-metrics), and what the exporters' pull request brings.
  expect(await promQuery("count(kube_pod_container_status_restarts_total)")).toEqual([]);
  await expect(c.getByTestId("metric-missing-restarts")).toContainText("No restart series: Prometheus holds no kube_pod_container_status_restarts_total for any pod of the cluster. kube_pod_container_status_restarts_total comes from kube-state-metrics.");
  // Jellyfin's own /metrics is scraped by a job of the Prometheus ConfigMap, which the lab's Prometheus
  // does not take over (the exporters of the other apps may have been scraped by earlier tests: the
  // charts look 6 h back).
  expect(await promQuery('count(up{service="media/jellyfin"})')).toEqual([]);
  const jellyfin = await card(page, "media/jellyfin");
  await expect(jellyfin.getByTestId("metric-missing-exporter-up")).toContainText("no scrape target carries this service's label yet");
  await expect(jellyfin.getByTestId("metric-missing-figure")).toContainText("the app's exporter is not scraped yet");
});

test("the exporters' pull request, merged and synced: Prometheus lists the exporters up, and the service page charts the exporter's figure beside CPU and memory", async ({ page }) => {
  await signIn(page, USERS.admin, "/changes");
  const changes = new ChangesPage(page);
  await changes.goto();
  await changes.previewChange("app-exporters");
  await expect(changes.preview()).toHaveAttribute("data-outcome", "preview");
  await expect(changes.previewDiff()).toContainText("k8s-nas-panel-exporters.yaml");
  await expect(changes.previewDiff()).toContainText("secretKeyRef");
  const prUrl = await changes.confirm();
  const pull = (await listLabPulls(lab)).find((p) => p.html_url === prUrl);
  expect(pull?.state).toBe("open");
  await mergeLabPull(lab, pull?.number ?? 0);
  expect((await listLabPulls(lab)).find((p) => p.number === pull?.number)?.merged).toBe(true);

  // The lab's Argo CD syncs the merge; the executor runs the exporters; Prometheus scrapes them.
  const jobs = ["qbittorrent-exporter", "sonarr-exporter", "radarr-exporter", "sabnzbd-exporter"];
  let up: Sample[] = [];
  try {
    await expect(async () => {
      up = await promQuery(`up{job=~"${jobs.join("|")}"}`);
      expect(Object.fromEntries(up.map((s) => [s.metric.job, s.value[1]]))).toEqual(Object.fromEntries(jobs.map((j) => [j, "1"])));
    }).toPass({ timeout: 180_000, intervals: [3_000] });
  } catch (error) {
    throw new Error(`The exporters' targets were not all up within 180 s; last: ${JSON.stringify(up.map((s) => ({ ...s.metric, up: s.value[1] })))}\n${(error as Error).message}`);
  }

  // qBittorrent: the real exporter from PyPI reading the real qBittorrent.
  const torrents = await promQuery('sum(qbittorrent_torrents_count{service="qbittorrent/qbittorrent"})');
  expect(torrents.length, "qbittorrent_torrents_count of the qBittorrent exporter").toBe(1);
  const figure = await chartWithPoints(page, "qbittorrent/qbittorrent", "figure", String(Number(torrents[0]?.value[1])));
  await expect(figure).toContainText("qBittorrent: torrents");
  const c = page.getByTestId("prometheus-charts");
  await expect(c.getByTestId("metric-chart-exporter-up")).not.toHaveAttribute("data-points", "0");
  await expect(c.getByTestId("metric-last-exporter-up")).toHaveText("1");
  await expect(c.getByTestId("metric-chart-cpu")).not.toHaveAttribute("data-points", "0");
  await expect(c.getByTestId("metric-chart-memory")).not.toHaveAttribute("data-points", "0");
  await expect(c.getByTestId("metric-missing-figure")).toHaveCount(0);

  // Sonarr: exportarr's health issues, as the stand-in reads them from the simulator.
  const sonarr = await chartWithPoints(page, "media/sonarr", "figure", /^\d+$/);
  await expect(sonarr).toContainText("Sonarr: health issues");
});
