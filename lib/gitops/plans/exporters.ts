import { stringify } from "yaml";
import { APP_CATALOGUE, type KnownAppKind, type MetricsFacts } from "@/lib/apps/catalogue";
import { AppError } from "@/lib/errors";
import { recognizeImage } from "@/lib/k8s/recognize";
import type { FileChange } from "../diff";
import { planAddResource } from "../kustomize";
import { dirOf, joinPath, yamlFilesUnder } from "../repo-view";
import type { ChangePlan, PlanContext } from "../types";
import { detectUrlBase } from "../url-base";
import { documentsOf, findServices, findWorkloads, type ManifestWorkload } from "../workloads";
import { YamlFileEditor } from "../yaml-file";
import { findPrometheusConfigs } from "./prometheus-scrape";

/**
 * The apps' metrics, by pull request: the exporters the community runs for them (exportarr for the
 * *arr apps and SABnzbd, esanchezm's qBittorrent exporter; Jellyfin's own `/metrics`), their keys
 * taken from the apps' Secret by reference, a Prometheus scrape job per exporter, and a Grafana
 * dashboard provisioned from a ConfigMap the Grafana sidecar (label `grafana_dashboard`) reads.
 */

export const EXPORTARR_IMAGE = "ghcr.io/onedr0p/exportarr:v2.2.0";
export const EXPORTARR_PORT = 9707;
export const QBITTORRENT_EXPORTER_IMAGE = "ghcr.io/esanchezm/prometheus-qbittorrent-exporter:v1.7.0";
export const QBITTORRENT_EXPORTER_PORT = 8000;
/** Pod labels of an exporter: the workload and namespace of the app it exports. */
export const EXPORTS_LABEL = "k8s-nas-panel/exports";
export const EXPORTS_NAMESPACE_LABEL = "k8s-nas-panel/exports-namespace";
/** The file the exporters are written to, in the folder of the apps that share their Secret's namespace. */
export const EXPORTERS_FILE = "k8s-nas-panel-exporters.yaml";
export const DASHBOARDS_FILE = "k8s-nas-panel-dashboards.yaml";
export const DASHBOARD_KEY = "k8s-nas-panel-apps.json";
export const DASHBOARD_UID = "k8s-nas-panel-apps";
export const GRAFANA_DASHBOARD_LABEL = "grafana_dashboard";

/** The Prometheus job of the app's exporter: `<workload>-exporter`, or the app's own name for its own endpoint. */
export function exporterJob(workload: string, facts: MetricsFacts): string {
  return facts.type === "own-endpoint" ? workload : `${workload}-exporter`;
}

/** One app and where its metrics come from. */
export interface AppExporter {
  kind: KnownAppKind;
  facts: MetricsFacts;
  workload: ManifestWorkload;
  /** `namespace/name` of the app's workload (the `service` label of its series). */
  service: string;
  job: string;
  /** `host:port` Prometheus scrapes. */
  target: string;
  metricsPath: string;
  /** Exporter manifests (Deployment and Service), none for an own endpoint. */
  manifests: Array<Record<string, unknown>>;
}

function appAddress(ctx: PlanContext, app: ManifestWorkload, port: number): { host: string; port: number } {
  const targetPort = app.containers[0]?.ports[0]?.containerPort ?? port;
  const service = findServices(ctx.repo, ctx.appsPath).find(
    (s) =>
      (s.namespace ?? app.namespace) === app.namespace &&
      Object.keys(s.selector).length > 0 &&
      Object.entries(s.selector).every(([k, v]) => app.podLabels[k] === v),
  );
  const servicePort = service?.ports.find((p) => p.targetPort === targetPort || p.port === targetPort)?.port ?? service?.ports[0]?.port ?? targetPort;
  return { host: `${service?.name ?? app.name}.${app.namespace ?? "default"}.svc.cluster.local`, port: servicePort };
}

const secretEnv = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

function exporterManifests(opts: { name: string; namespace: string; app: ManifestWorkload; appNamespace: string; image: string; port: number; args?: string[]; env: unknown[] }): Array<Record<string, unknown>> {
  const labels = { "app.kubernetes.io/name": opts.name, "app.kubernetes.io/part-of": "k8s-nas-panel-exporters", [EXPORTS_LABEL]: opts.app.name, [EXPORTS_NAMESPACE_LABEL]: opts.appNamespace };
  const selector = { "app.kubernetes.io/name": opts.name };
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: opts.name, namespace: opts.namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "exporter",
                image: opts.image,
                ...(opts.args ? { args: opts.args } : {}),
                env: opts.env,
                ports: [{ name: "metrics", containerPort: opts.port }],
                readinessProbe: { httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 30, timeoutSeconds: 10 },
                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: opts.name, namespace: opts.namespace, labels },
      spec: { selector, ports: [{ name: "metrics", port: opts.port, targetPort: "metrics" }] },
    },
  ];
}

/** The apps in the repository whose metrics the panel knows how to collect, with their exporters. */
export function appExporters(ctx: PlanContext): { exporters: AppExporter[]; notes: string[] } {
  const notes: string[] = [];
  const exporters: AppExporter[] = [];
  for (const workload of findWorkloads(ctx.repo, ctx.appsPath)) {
    const container = workload.containers.find((c) => {
      const kind = recognizeImage(c.image);
      return kind !== "other" && APP_CATALOGUE[kind].metrics !== null;
    });
    if (!container) continue;
    const kind = recognizeImage(container.image) as KnownAppKind;
    const entry = APP_CATALOGUE[kind];
    const facts = entry.metrics as MetricsFacts;
    const appNamespace = workload.namespace ?? "default";
    const service = `${appNamespace}/${workload.name}`;
    const job = exporterJob(workload.name, facts);
    const address = appAddress(ctx, workload, entry.port ?? 80);
    if (facts.type === "own-endpoint") {
      exporters.push({ kind, facts, workload, service, job, target: `${address.host}:${address.port}`, metricsPath: facts.path, manifests: [] });
      notes.push(`${entry.label} (${service}) serves its own metrics at ${facts.path} once enabled: ${facts.enable}.`);
      continue;
    }
    const secret = ctx.secretRefs[kind] ?? ctx.secretRefs.default;
    if (!secret) {
      notes.push(`${entry.label} (${service}): apps.secretRefs names no Secret with its key, so no exporter is proposed.`);
      continue;
    }
    const credential = entry.credential;
    let manifests: Array<Record<string, unknown>>;
    let port: number;
    if (facts.type === "exportarr" && credential.type === "api-key") {
      port = EXPORTARR_PORT;
      const urlBase = detectUrlBase(ctx.repo, workload, container).value;
      manifests = exporterManifests({
        name: job,
        namespace: secret.namespace,
        app: workload,
        appNamespace,
        image: EXPORTARR_IMAGE,
        port,
        args: [facts.command],
        env: [
          { name: "PORT", value: String(port) },
          { name: "URL", value: `http://${address.host}:${address.port}${urlBase}` },
          secretEnv("API_KEY", secret.name, credential.secretKey),
        ],
      });
    } else if (facts.type === "qbittorrent-exporter" && credential.type === "login") {
      port = QBITTORRENT_EXPORTER_PORT;
      manifests = exporterManifests({
        name: job,
        namespace: secret.namespace,
        app: workload,
        appNamespace,
        image: QBITTORRENT_EXPORTER_IMAGE,
        port,
        env: [
          { name: "QBITTORRENT_HOST", value: address.host },
          { name: "QBITTORRENT_PORT", value: String(address.port) },
          secretEnv("QBITTORRENT_USER", secret.name, credential.usernameKey),
          secretEnv("QBITTORRENT_PASS", secret.name, credential.passwordKey),
          { name: "EXPORTER_PORT", value: String(port) },
        ],
      });
    } else {
      continue;
    }
    if (secret.namespace !== appNamespace) {
      notes.push(`${job} runs in ${secret.namespace}, beside the Secret ${secret.name} it reads (a pod reads only its own namespace's Secrets), and reaches ${entry.label} at ${address.host}:${address.port}; a NetworkPolicy in ${appNamespace} must let it in.`);
    }
    exporters.push({ kind, facts, workload, service, job, target: `${job}.${secret.namespace}.svc.cluster.local:${port}`, metricsPath: "/metrics", manifests });
  }
  return { exporters, notes };
}

/** The Grafana dashboard: up, the headline figure of each app, qBittorrent's transfer. */
export function dashboardJson(exporters: readonly AppExporter[]): string {
  const panels: unknown[] = [];
  const panel = (title: string, expr: string, legend: string) => {
    const i = panels.length;
    panels.push({
      id: i + 1,
      type: "timeseries",
      title,
      datasource: { type: "prometheus" },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      targets: [{ refId: "A", expr, legendFormat: legend }],
    });
  };
  const jobs = exporters.map((e) => e.job).join("|");
  panel("Exporters up", `up{job=~"${jobs}"}`, "{{job}}");
  for (const e of exporters) panel(`${APP_CATALOGUE[e.kind].label}: ${e.facts.figure.label}`, `sum(${e.facts.figure.metric}{job="${e.job}"})`, e.service);
  if (exporters.some((e) => e.facts.type === "qbittorrent-exporter")) {
    panel("qBittorrent transfer (bytes/s)", `rate(qbittorrent_dl_info_data[5m]) or rate(qbittorrent_up_info_data[5m])`, "{{__name__}}");
  }
  return `${JSON.stringify({ uid: DASHBOARD_UID, title: "Media apps (k8s-nas-panel)", tags: ["k8s-nas-panel"], schemaVersion: 39, time: { from: "now-24h", to: "now" }, refresh: "1m", panels }, null, 2)}\n`;
}

/** ConfigMaps the Grafana sidecar reads (label `grafana_dashboard`), by file and document. */
function dashboardConfigMaps(ctx: PlanContext): Array<{ file: string; docIndex: number; data: Record<string, unknown> }> {
  const out: Array<{ file: string; docIndex: number; data: Record<string, unknown> }> = [];
  for (const file of yamlFilesUnder(ctx.repo, ctx.appsPath)) {
    const text = ctx.repo.read(file);
    if (text === undefined || !text.includes(GRAFANA_DASHBOARD_LABEL)) continue;
    documentsOf(text).forEach((raw, docIndex) => {
      const doc = raw as { kind?: unknown; metadata?: { labels?: Record<string, unknown> }; data?: unknown } | null;
      if (doc?.kind === "ConfigMap" && doc.metadata?.labels?.[GRAFANA_DASHBOARD_LABEL] !== undefined) {
        out.push({ file, docIndex, data: typeof doc.data === "object" && doc.data !== null ? (doc.data as Record<string, unknown>) : {} });
      }
    });
  }
  return out;
}

/** Adds or replaces `change` in `files` (one entry per path, the latest content). */
function put(files: FileChange[], change: FileChange): void {
  const i = files.findIndex((f) => f.path === change.path);
  if (i === -1) files.push(change);
  else files[i] = { ...change, before: files[i]?.before ?? change.before };
}

/**
 * The manifest of an app the exporters are written beside (an app in the namespace they run in), or
 * undefined when there is none: where the exporters' change is deployed from.
 */
export function exportersHome(ctx: PlanContext): string | undefined {
  const withManifests = appExporters(ctx).exporters.filter((e) => e.manifests.length > 0);
  const nsOf = (e: AppExporter) => (e.manifests[0] as { metadata?: { namespace?: string } }).metadata?.namespace;
  return (withManifests.find((e) => nsOf(e) === (e.workload.namespace ?? "default")) ?? withManifests[0])?.workload.file;
}

/** The apps' exporters and the Prometheus configuration, or an AppError saying what is missing. */
function gather(ctx: PlanContext): { exporters: AppExporter[]; notes: string[]; config: ReturnType<typeof findPrometheusConfigs>[number] } {
  const { exporters, notes } = appExporters(ctx);
  if (exporters.length === 0) throw new AppError("not_found", `No app with known metrics (the *arr apps, SABnzbd, qBittorrent, Jellyfin) under ${ctx.appsPath}/ in the repository.`, { source: "gitops" });
  const config = findPrometheusConfigs(ctx)[0];
  if (!config) throw new AppError("not_found", `No Prometheus configuration (a ConfigMap with prometheus.yml, or a prometheus.yml file) under ${ctx.appsPath}/ in the repository.`, { source: "gitops" });
  return { exporters, notes, config };
}

/**
 * The exporters (Deployment and Service each, keys by Secret reference), listed in the kustomization
 * of the apps' folder. A change of its own: the apps and Prometheus are often deployed from
 * different branches (Argo CD Applications), and one pull request has one base branch.
 */
export function planAppExporters(ctx: PlanContext): ChangePlan {
  const { exporters, notes } = gather(ctx);
  const files: FileChange[] = [];
  const summary: string[] = [];
  const locations: string[] = [];
  const withManifests = exporters.filter((e) => e.manifests.length > 0);
  // One file per namespace the exporters run in, in the folder of that namespace's apps.
  const byNamespace = new Map<string, AppExporter[]>();
  for (const e of withManifests) {
    const ns = (e.manifests[0] as { metadata?: { namespace?: string } }).metadata?.namespace ?? "default";
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), e]);
  }
  for (const [ns, list] of byNamespace) {
    const home = list.find((e) => (e.workload.namespace ?? "default") === ns)?.workload ?? list[0]?.workload;
    if (!home) continue;
    const file = joinPath(dirOf(home.file), EXPORTERS_FILE) ?? EXPORTERS_FILE;
    const header = "# Prometheus exporters of the media apps, proposed by k8s-nas-panel. Keys come from the apps' Secret by reference.\n";
    const after = header + list.flatMap((e) => e.manifests).map((m) => stringify(m, { lineWidth: 0 })).join("---\n");
    const before = ctx.repo.read(file) ?? null;
    if (before !== after) {
      files.push({ path: file, before, after });
      summary.push(...list.map((e) => `${e.job} in ${ns} (${e.facts.type === "exportarr" ? `exportarr ${e.facts.command}` : "qbittorrent-exporter"}) for ${e.service}, in ${file}`));
    }
    const listed = planAddResource(ctx.repo, file);
    if (listed) {
      put(files, listed);
      summary.push(`${file.split("/").pop()} listed in ${listed.path}`);
    }
    locations.push(file);
  }
  notes.push("Prometheus scrapes them once its configuration has their jobs: the change \"scrape the apps' exporters\" adds those and a Grafana dashboard.");
  const plan: ChangePlan = {
    kind: "app-exporters",
    key: "app-exporters",
    title: "media apps: Prometheus exporters (exportarr, qBittorrent exporter)",
    summary,
    why:
      "Prometheus scrapes none of the apps today. Exportarr (the *arr apps, SABnzbd) and the qBittorrent exporter turn each app's state " +
      "(health issues, queues, torrents, transfer) into series, so charts and alert rules can use them. The keys stay in the cluster's Secret.",
    services: withManifests.map((e) => e.service),
    files,
    locations,
    notes,
    labels: ["k8s-nas-panel", "monitoring"],
    slug: "app-exporters",
  };
  if (files.length === 0) plan.alreadySo = `The exporters of ${plan.services.join(", ")} are already in the repository.`;
  return plan;
}

/**
 * A scrape job per exporter (and for Jellyfin's own endpoint) in the user's Prometheus
 * configuration, and a Grafana dashboard in a ConfigMap the Grafana sidecar reads.
 */
export function planExporterScrape(ctx: PlanContext): ChangePlan {
  const { exporters, notes: exporterNotes, config } = gather(ctx);
  const notes = exporterNotes.filter((n) => !n.includes(" runs in "));
  const files: FileChange[] = [];
  const summary: string[] = [];
  const services = exporters.map((e) => e.service);
  const locations: string[] = [config.file];
  // Scrape jobs the configuration lacks.
  const existing = new Set((Array.isArray(config.config.scrape_configs) ? config.config.scrape_configs : []).map((j) => (j as { job_name?: unknown }).job_name));
  const jobs = exporters
    .filter((e) => !existing.has(e.job))
    .map((e) => ({ job_name: e.job, metrics_path: e.metricsPath, scrape_interval: "60s", scrape_timeout: "30s", static_configs: [{ targets: [e.target], labels: { service: e.service, app: e.kind } }] }));
  if (jobs.length > 0) {
    const text = ctx.repo.read(config.file) ?? "";
    const editor = new YamlFileEditor(config.file, text);
    const comment = "k8s-nas-panel: the media apps' exporters";
    const append = (inner: YamlFileEditor) => {
      if (inner.node(0, ["scrape_configs"]) === undefined) {
        inner.addPairs(0, [], { scrape_configs: jobs }, comment);
        return;
      }
      inner.appendItems(0, ["scrape_configs"], jobs, comment);
    };
    if (config.embedded) editor.editEmbedded(config.embedded.docIndex, config.embedded.path, append);
    else append(editor);
    put(files, { path: config.file, before: text, after: editor.result() });
    summary.push(`scrape jobs ${jobs.map((j) => j.job_name).join(", ")} in ${config.file}`);
    notes.push("Prometheus reads the new jobs after a reload (POST /-/reload with --web.enable-lifecycle) or a restart of its pod.");
  }

  // The dashboard: a key in a ConfigMap the Grafana sidecar already reads, or a new labelled ConfigMap.
  const json = dashboardJson(exporters);
  const holders = dashboardConfigMaps(ctx);
  const holder = holders.find((h) => typeof h.data[DASHBOARD_KEY] === "string") ?? holders[0];
  if (holder) {
    if (holder.data[DASHBOARD_KEY] !== json) {
      const current = files.find((f) => f.path === holder.file);
      const text = current?.after ?? ctx.repo.read(holder.file) ?? "";
      const editor = new YamlFileEditor(holder.file, text);
      if (holder.data[DASHBOARD_KEY] !== undefined) {
        notes.push(`${holder.file} already has a dashboard ${DASHBOARD_KEY} that differs from the one for these apps; it was left as it is.`);
      } else {
        editor.addPairs(holder.docIndex, ["data"], { [DASHBOARD_KEY]: json }, "k8s-nas-panel: the media apps' dashboard");
        put(files, { path: holder.file, before: current?.before ?? text, after: editor.result() });
        summary.push(`Grafana dashboard ${DASHBOARD_KEY} in the ConfigMap of ${holder.file} (label ${GRAFANA_DASHBOARD_LABEL})`);
      }
    }
    locations.push(holder.file);
  } else {
    const file = joinPath(dirOf(config.file), DASHBOARDS_FILE) ?? DASHBOARDS_FILE;
    const holderDoc = documentsOf(ctx.repo.read(config.file) ?? "")[config.embedded?.docIndex ?? 0] as { metadata?: { namespace?: unknown } } | null;
    const namespace = typeof holderDoc?.metadata?.namespace === "string" ? holderDoc.metadata.namespace : "monitoring";
    const after = stringify(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "k8s-nas-panel-dashboards", namespace, labels: { [GRAFANA_DASHBOARD_LABEL]: "1" } }, data: { [DASHBOARD_KEY]: json } },
      { lineWidth: 0 },
    );
    if (ctx.repo.read(file) !== after) {
      files.push({ path: file, before: ctx.repo.read(file) ?? null, after });
      summary.push(`Grafana dashboard ${DASHBOARD_KEY} in a ConfigMap labelled ${GRAFANA_DASHBOARD_LABEL}: "1", in ${file}`);
    }
    const listed = planAddResource(ctx.repo, file);
    if (listed) put(files, listed);
    locations.push(file);
  }

  const plan: ChangePlan = {
    kind: "exporter-scrape",
    key: "exporter-scrape",
    title: "prometheus: scrape the media apps' exporters; Grafana dashboard",
    summary,
    why: "Scrape jobs for the apps' exporters (and Jellyfin's own /metrics) so their series reach Prometheus, and a dashboard of them in Grafana.",
    services,
    files,
    locations,
    notes,
    labels: ["k8s-nas-panel", "monitoring"],
    slug: "exporter-scrape",
  };
  if (files.length === 0) plan.alreadySo = `The scrape jobs of ${services.join(", ")} and the dashboard are already in the repository.`;
  return plan;
}
