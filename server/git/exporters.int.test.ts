/**
 * The apps' exporters by pull request, against the lab: proposed through the real git server and
 * forge, merged, synced by the lab's Argo CD reconciler; the lab executor then runs the exporter
 * pods for real (the PyPI qBittorrent exporter against the real qBittorrent, the exportarr stand-in
 * against the simulators) and the lab's real Prometheus scrapes them.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { AppsV1Api } from "@kubernetes/client-node";
import { resetLab } from "@/lab/controls";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { labFiles } from "@/lab/paths";
import { bareGit, listLabPulls, mergeLabPull, readLabGitops, resetLabGitops, type LabGitops } from "@/e2e/support/lab-gitops";
import { GitopsService } from "./service";
import { labGitopsConfig, labGitopsService } from "@/e2e/support/gitops-service";

vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

const getLab = useLabCluster({ reset: false });
let lab: LabGitops;

function prometheusUrl(): string {
  const json = JSON.parse(readFileSync(labFiles().labJson, "utf8")) as { apps: { prometheus?: { url: string } } };
  const url = json.apps.prometheus?.url;
  if (!url) throw new Error("the lab runs no Prometheus (apps.prometheus in lab.json)");
  return url;
}

async function promQuery(query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${prometheusUrl()}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  return body.data.result;
}

function service(): GitopsService {
  return labGitopsService(getLab().kc, labGitopsConfig(lab), { GITOPS_TOKEN: lab.forge.token, GITOPS_GIT_PASSWORD: lab.git.password });
}

beforeAll(async () => {
  const found = readLabGitops();
  if (!found) throw new Error("the lab has no git server or forge (apps.git / apps.forge in lab.json)");
  lab = found;
  await resetLabGitops(lab);
}, 60_000);

afterAll(async () => {
  if (!lab) return;
  await resetLabGitops(lab);
  // The exporter Deployments were added by the sync: the reset deletes what the lab did not seed.
  await resetLab();
}, 180_000);

describe("exporters by pull request", () => {
  it("merged and synced: the exporters run for real and Prometheus lists their targets up with the apps' figures", async () => {
    const svc = service();
    const proposed = await svc.propose({ kind: "app-exporters" }, "admin");
    expect(proposed.outcome).toBe("opened");
    const pull = (await listLabPulls(lab)).find((p) => p.head.ref === proposed.change?.branch);
    expect(pull?.base.ref).toBe("dev_starr");
    const file = bareGit(lab, ["show", `refs/heads/${proposed.change?.branch}:apps/media-services/starr/k8s-nas-panel-exporters.yaml`]);
    expect(file).toContain("secretKeyRef");
    expect(file).not.toMatch(/API_KEY\s*\n\s*value:/);
    await mergeLabPull(lab, pull?.number ?? 0);

    const apps = getLab().kc.makeApiClient(AppsV1Api);
    await vi.waitFor(
      async () => {
        const names = (await apps.listNamespacedDeployment({ namespace: "media", labelSelector: "app.kubernetes.io/part-of=k8s-nas-panel-exporters" })).items.map((d) => d.metadata?.name);
        expect(names).toEqual(expect.arrayContaining(["qbittorrent-exporter", "sonarr-exporter", "radarr-exporter", "sabnzbd-exporter"]));
      },
      { timeout: 120_000, interval: 2_000 },
    );

    // The lab's Prometheus scrapes the exporters' pods (their programs) as soon as they run.
    await vi.waitFor(
      async () => {
        const up = await promQuery('up{job=~"qbittorrent-exporter|sonarr-exporter|sabnzbd-exporter"}');
        const byJob = Object.fromEntries(up.map((r) => [r.metric.job, r.value[1]]));
        expect(byJob).toEqual({ "qbittorrent-exporter": "1", "sonarr-exporter": "1", "sabnzbd-exporter": "1" });
      },
      { timeout: 150_000, interval: 3_000 },
    );
    // The real exporter read the real qBittorrent (its login from the Secret, by reference).
    const qbtUp = await promQuery('qbittorrent_up{job="qbittorrent-exporter"}');
    expect(qbtUp[0]?.value[1]).toBe("1");
    expect((await promQuery('qbittorrent_torrents_count{job="qbittorrent-exporter"}')).length).toBeGreaterThan(0);
    // The exportarr stand-in read the simulators with their keys.
    const status = await promQuery('sonarr_system_status{job="sonarr-exporter"}');
    expect(status[0]?.metric.service).toBe("media/sonarr");
    expect(status[0]?.value[1]).toBe("1");
    expect((await promQuery('sabnzbd_queue_length{job="sabnzbd-exporter"}')).length).toBe(1);

    // The scrape jobs and dashboard are a change of the monitoring folder, on the branch Argo CD deploys it from.
    const scrape = await svc.propose({ kind: "exporter-scrape" }, "admin");
    expect(scrape.outcome).toBe("opened");
    const scrapePull = (await listLabPulls(lab)).find((p) => p.head.ref === scrape.change?.branch);
    // In the lab's repository the monitoring folder is rendered by the infrastructure Application, from main.
    expect(scrapePull?.base.ref).toBe("main");
    const cm = parse(bareGit(lab, ["show", `refs/heads/${scrape.change?.branch}:apps/infrastructure/monitoring/prometheus-configmap.yaml`])) as { data: Record<string, string> };
    const jobs = (parse(cm.data["prometheus.yml"] ?? "") as { scrape_configs: Array<{ job_name: string }> }).scrape_configs.map((j) => j.job_name);
    expect(jobs).toEqual(expect.arrayContaining(["qbittorrent-exporter", "sonarr-exporter", "jellyfin"]));
  }, 420_000);
});
