import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests, workloadsForImage } from "../lib/manifests";
import { defaultGitopsRepo } from "../paths";
import { setPanelScrape } from "./monitoring";
import type { AppsHandle } from "./test-support";
import { useLabApps } from "./test-support";

let lab: AppsHandle;
const PROMETHEUS_IMAGE = /(^|\/)prometheus(:|@|$)/i;

beforeAll(async () => {
  lab = await useLabApps();
});

afterAll(async () => {
  await lab?.release();
});

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.ok).toBe(true);
  return (await res.json()) as T;
}

interface Targets {
  data: { activeTargets: { labels: { job: string }; scrapeUrl: string; health: string }[] };
}

describe("Prometheus and Alertmanager", () => {
  it("Prometheus is ready and scrapes the panel's /api/metrics and itself", async () => {
    expect((await fetch(`${lab.apps.prometheus.url}/-/ready`)).status).toBe(200);
    // Targets show up after the first discovery cycle of a freshly started Prometheus.
    let byJob = new Map<string, Targets["data"]["activeTargets"][number]>();
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const targets = await json<Targets>(`${lab.apps.prometheus.url}/api/v1/targets`);
      byJob = new Map(targets.data.activeTargets.map((t) => [t.labels.job, t]));
      if (byJob.has("k8s-nas-panel") && byJob.has("prometheus")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const panelPort = process.env.LAB_PANEL_PORT ?? "3000";
    expect(byJob.get("k8s-nas-panel")?.scrapeUrl).toBe(`http://127.0.0.1:${panelPort}/api/metrics`);
    expect(byJob.get("prometheus")?.scrapeUrl).toBe(`${lab.apps.prometheus.url}/metrics`);
    expect(byJob.has("alertmanager")).toBe(true);
  });

  it("panel-scrape points the panel job at another panel's port, with its token, without a reload", async () => {
    const seen: Array<string | undefined> = [];
    const other = createServer((req, res) => {
      if (req.url === "/api/metrics") seen.push(req.headers.authorization);
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end("panel_service_up{namespace=\"media\",service=\"lidarr\",app=\"lidarr\"} 0\n");
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const port = (other.address() as AddressInfo).port;
    const token = "lab-scrape-token-0123456789";
    try {
      setPanelScrape(lab.labDir, { port, token });
      for (const deadline = Date.now() + 45_000; Date.now() < deadline && seen.length === 0; ) await new Promise((r) => setTimeout(r, 500));
      expect(seen[0]).toBe(`Bearer ${token}`);
      const targets = await json<Targets>(`${lab.apps.prometheus.url}/api/v1/targets`);
      expect(targets.data.activeTargets.filter((t) => t.labels.job === "k8s-nas-panel").map((t) => t.scrapeUrl)).toEqual([`http://127.0.0.1:${port}/api/metrics`]);
    } finally {
      setPanelScrape(lab.labDir, { port: Number(process.env.LAB_PANEL_PORT ?? "3000"), token: process.env.LAB_PANEL_METRICS_TOKEN });
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it("loads the lab alert rules", async () => {
    const rules = await json<{ data: { groups: { rules: { name: string; type: string }[] }[] } }>(`${lab.apps.prometheus.url}/api/v1/rules`);
    const names = rules.data.groups.flatMap((g) => g.rules.filter((r) => r.type === "alerting").map((r) => r.name));
    expect(names).toEqual(expect.arrayContaining(["Watchdog", "PanelMetricsDown"]));
  });

  it("Alertmanager is ready and receives the always-firing Watchdog alert", async () => {
    expect((await fetch(`${lab.apps.alertmanager.url}/-/ready`)).status).toBe(200);
    const deadline = Date.now() + 60_000;
    let names: string[] = [];
    while (Date.now() < deadline) {
      const alerts = await json<{ labels: { alertname: string } }[]>(`${lab.apps.alertmanager.url}/api/v2/alerts`);
      names = alerts.map((a) => a.labels.alertname);
      if (names.includes("Watchdog")) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(names).toContain("Watchdog");
  });

  it("is what the address map names for the user's Prometheus Service, serving under the route prefix the manifests give", async () => {
    const { origin, routePrefix, url } = lab.apps.prometheus;
    expect(lab.addressMap["prometheus.monitoring"]).toBe(origin);
    expect(url).toBe(`${origin}${routePrefix}`);
    // The Deployment of the user's Prometheus says where it serves (--web.route-prefix, or the path of --web.external-url).
    const template = workloadsForImage(loadManifests(defaultGitopsRepo()), PROMETHEUS_IMAGE)[0]?.template;
    const args = ((template?.spec as { containers?: Array<{ args?: string[] }> } | undefined)?.containers ?? []).flatMap((c) => c.args ?? []);
    const declared = args.find((a) => a.startsWith("--web.route-prefix="))?.split("=")[1] ?? args.find((a) => a.startsWith("--web.external-url="))?.replace(/^--web\.external-url=[a-z]+:\/\/[^/]+/, "");
    expect(routePrefix).toBe((declared ?? "").replace(/\/+$/, ""));
    // There its API answers; under another prefix it does not.
    const status = await json<{ data: { yaml: string } }>(`${url}/api/v1/status/config`);
    expect(status.data.yaml).toContain("job_name: prometheus");
    if (routePrefix !== "") expect((await fetch(`${origin}/api/v1/status/config`)).status).toBe(404);
  });
});
