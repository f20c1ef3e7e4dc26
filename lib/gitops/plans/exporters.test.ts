import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { planChange } from "../change-kinds";
import { fixtureRepo } from "../fixture-repo.test-helper";
import { renderedFiles } from "../kustomize";
import { memoryRepo, type RepoView } from "../repo-view";
import type { ChangePlan, PlanContext } from "../types";
import { DASHBOARD_KEY, EXPORTERS_FILE, EXPORTS_LABEL, EXPORTS_NAMESPACE_LABEL, exportersHome } from "./exporters";

const repo = fixtureRepo();
const ctx = (view: RepoView = repo): PlanContext => ({ repo: view, appsPath: "apps", secretRefs: { default: { namespace: "media", name: "starr-secrets" } } });

function applied(view: RepoView, plan: ChangePlan): RepoView {
  const files: Record<string, string> = {};
  for (const p of view.paths) {
    const t = view.read(p);
    if (t !== undefined) files[p] = t;
  }
  for (const f of plan.files) {
    if (f.after === null) delete files[f.path];
    else files[f.path] = f.after;
  }
  return memoryRepo(files, [...view.paths].filter((p) => view.read(p) === undefined));
}

type Doc = { kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: Record<string, unknown> };
type Container = { image: string; args?: string[]; env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>; ports: Array<{ containerPort: number }> };

describe("app exporters", () => {
  const plan = planChange({ kind: "app-exporters" }, ctx());
  const scrape = planChange({ kind: "exporter-scrape" }, ctx());
  const exportersFile = `apps/media-services/starr/${EXPORTERS_FILE}`;
  const docs = () => parseAllDocuments(plan.files.find((f) => f.path === exportersFile)?.after ?? "").map((d) => d.toJSON() as Doc);
  const deployment = (name: string) => docs().find((d) => d.kind === "Deployment" && d.metadata.name === name);
  const container = (name: string) => (deployment(name)?.spec as { template: { spec: { containers: Container[] } } } | undefined)?.template.spec.containers[0];

  it("proposes exportarr for the *arr apps and SABnzbd, with the key from the Secret by reference and the app's in-cluster URL", () => {
    const names = docs().filter((d) => d.kind === "Deployment").map((d) => d.metadata.name).sort();
    expect(names).toEqual(["bazarr-exporter", "lidarr-exporter", "prowlarr-exporter", "qbittorrent-exporter", "radarr-exporter", "sabnzbd-exporter", "sonarr-exporter"]);
    const sonarr = container("sonarr-exporter");
    expect(sonarr?.image).toMatch(/^ghcr\.io\/onedr0p\/exportarr:v/);
    expect(sonarr?.args).toEqual(["sonarr"]);
    expect(sonarr?.env.find((e) => e.name === "API_KEY")?.valueFrom?.secretKeyRef).toEqual({ name: "starr-secrets", key: "SONARR_API_KEY" });
    expect(sonarr?.env.find((e) => e.name === "URL")?.value).toMatch(/^http:\/\/sonarr\.media\.svc\.cluster\.local:8989/);
    // No key value anywhere in the change: only references.
    expect(plan.files.map((f) => f.after ?? "").join("\n")).not.toMatch(/API_KEY\s*\n\s*value:/);
    expect(deployment("sonarr-exporter")?.metadata.labels[EXPORTS_LABEL]).toBe("sonarr");
    // SABnzbd's URL base comes from the url_base its init container writes into sabnzbd.ini.
    expect(container("sabnzbd-exporter")?.env.find((e) => e.name === "URL")?.value).toBe("http://sabnzbd.media.svc.cluster.local:8080/sabnzbd");
  });

  it("runs the qBittorrent exporter beside the Secret, pointed at qBittorrent's Service in its own namespace", () => {
    const qbt = container("qbittorrent-exporter");
    expect(qbt?.image).toMatch(/^ghcr\.io\/esanchezm\/prometheus-qbittorrent-exporter:v/);
    expect(qbt?.env.find((e) => e.name === "QBITTORRENT_HOST")?.value).toBe("qbittorrent.qbittorrent.svc.cluster.local");
    expect(qbt?.env.find((e) => e.name === "QBITTORRENT_PASS")?.valueFrom?.secretKeyRef).toEqual({ name: "starr-secrets", key: "QBITTORRENT_PASSWORD" });
    expect(deployment("qbittorrent-exporter")?.metadata.namespace).toBe("media");
    expect(deployment("qbittorrent-exporter")?.metadata.labels[EXPORTS_NAMESPACE_LABEL]).toBe("qbittorrent");
    expect(plan.notes.join("\n")).toContain("qbittorrent-exporter runs in media");
  });

  it("is offered on the branch of the apps beside which the exporters run (not qBittorrent's own folder)", () => {
    expect(exportersHome(ctx())).toMatch(/^apps\/media-services\/starr\//);
  });

  it("deploys the file through its kustomization, in the apps' folder only (the apps and Prometheus are deployed from different branches)", () => {
    expect(plan.files.map((f) => f.path).sort()).toEqual([exportersFile, "apps/media-services/starr/kustomization.yaml"]);
    expect(renderedFiles(applied(repo, plan), "apps/media-services/starr").has(exportersFile)).toBe(true);
  });

  it("adds one scrape job per exporter and for Jellyfin's own endpoint, as a change of the monitoring folder", () => {
    expect(scrape.files.map((f) => f.path).every((p) => p.startsWith("apps/infrastructure/monitoring/"))).toBe(true);
    const after = applied(repo, scrape);
    const cm = parse(after.read("apps/infrastructure/monitoring/prometheus-configmap.yaml") ?? "") as { data: Record<string, string> };
    const prom = parse(cm.data["prometheus.yml"] ?? "") as { scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs: Array<{ targets: string[]; labels: Record<string, string> }> }> };
    const job = (name: string) => prom.scrape_configs.find((j) => j.job_name === name);
    expect(job("sonarr-exporter")?.static_configs[0]?.targets).toEqual(["sonarr-exporter.media.svc.cluster.local:9707"]);
    expect(job("sonarr-exporter")?.static_configs[0]?.labels).toEqual({ service: "media/sonarr", app: "sonarr" });
    expect(job("qbittorrent-exporter")?.static_configs[0]?.targets).toEqual(["qbittorrent-exporter.media.svc.cluster.local:8000"]);
    expect(job("jellyfin")?.metrics_path).toBe("/metrics");
    expect(scrape.notes.join("\n")).toContain("EnableMetrics");
    // The existing jobs are kept.
    expect(job("kubernetes-pods")).toBeDefined();
  });

  it("adds the dashboard to the ConfigMap the Grafana sidecar reads, as valid JSON querying every exporter", () => {
    const after = applied(repo, scrape);
    const cm = parse(after.read("apps/infrastructure/monitoring/grafana-dashboard-configmap.yaml") ?? "") as { metadata: { labels: Record<string, string> }; data: Record<string, string> };
    expect(cm.metadata.labels.grafana_dashboard).toBe("1");
    const dashboard = JSON.parse(cm.data[DASHBOARD_KEY] ?? "") as { uid: string; panels: Array<{ targets: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs).toContain('sum(qbittorrent_torrents_count{job="qbittorrent-exporter"})');
    expect(exprs).toContain('sum(sonarr_system_health_issues{job="sonarr-exporter"})');
    // The dashboard that was there stays.
    expect(Object.keys(cm.data)).toContain("kubernetes-cluster-monitoring.json");
  });

  it("is already so once applied", () => {
    const both = applied(applied(repo, plan), scrape);
    for (const kind of ["app-exporters", "exporter-scrape"] as const) {
      const again = planChange({ kind }, ctx(both));
      expect(again.files).toEqual([]);
      expect(again.alreadySo).toContain("already in the repository");
    }
  });

  it("says so when the repository has no Prometheus configuration", () => {
    const files: Record<string, string> = {};
    for (const p of repo.paths) if (!p.includes("prometheus-configmap")) files[p] = repo.read(p) ?? "";
    expect(() => planChange({ kind: "exporter-scrape" }, ctx(memoryRepo(files)))).toThrow(/No Prometheus configuration/);
  });
});
