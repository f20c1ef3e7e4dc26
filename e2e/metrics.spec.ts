import { expect, test, type Page } from "@playwright/test";
import { readLabAlerting } from "./support/lab-alerts";
import { readLabGitops, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { signIn } from "./support/pages";
import { ROOT, USERS } from "./support/panel-env";

/**
 * The service page's "Metrics from Prometheus" card against the lab's real Prometheus. CPU and memory
 * cannot exist in the lab (kwok's nodes serve no cAdvisor), and the card says so.
 */

let lab: LabGitops;
let prometheus: string;

test.describe.configure({ mode: "serial", timeout: 120_000 });

/** An instant query of the lab's Prometheus. */
async function promQuery(query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
}

/** The service page's card. */
async function card(page: Page, service: string) {
  await page.goto(`/services/${service}`);
  const c = page.getByTestId("prometheus-charts");
  await expect(c).toBeVisible();
  return c;
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
});

test("without exporters: the card reads the lab's Prometheus, and says there are no CPU and memory series in the cluster and why", async ({ page }) => {
  // What the lab's Prometheus really holds: no cAdvisor series for any pod.
  expect(await promQuery("count(container_cpu_usage_seconds_total)")).toEqual([]);
  expect(await promQuery("count(container_memory_working_set_bytes)")).toEqual([]);
  await signIn(page, USERS.admin);
  const c = await card(page, "media/sonarr");
  await expect(c.getByTestId("metric-missing-cpu")).toHaveText(
    "No CPU series: Prometheus holds no container_cpu_usage_seconds_total for any pod of the cluster. container_cpu_usage_seconds_total comes from the kubelet's cAdvisor endpoint (the kubernetes-cadvisor scrape job), which nodes without a real kubelet (kwok's emulated nodes, for one) do not serve.",
  );
  await expect(c.getByTestId("metric-missing-memory")).toContainText("No memory series: Prometheus holds no container_memory_working_set_bytes for any pod of the cluster.");
  await expect(c.getByTestId("metric-missing-restarts")).toContainText("No restart series: Prometheus holds no kube_pod_container_status_restarts_total for any pod of the cluster. kube_pod_container_status_restarts_total comes from kube-state-metrics.");
  await expect(c.getByTestId("metric-missing-exporter-up")).toContainText("no scrape target carries this service's label yet");
  await expect(c.getByTestId("metric-missing-figure")).toContainText("the app's exporter is not scraped yet");
});
