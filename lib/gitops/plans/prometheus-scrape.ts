import { parse } from "yaml";
import { AppError } from "@/lib/errors";
import type { ChangePlan, PlanContext } from "../types";
import { documentsOf, findWorkloads, type ManifestWorkload } from "../workloads";
import { yamlFilesUnder } from "../repo-view";
import { YamlFileEditor, type YamlPath } from "../yaml-file";

/** The panel's Service in the cluster, as `deploy/` names it: `<service>.<namespace>.svc.cluster.local:<port>`. */
export const DEFAULT_PANEL_METRICS_TARGET = "k8s-nas-panel.k8s-nas-panel.svc.cluster.local:80";
export const PANEL_METRICS_PATH = "/api/metrics";
export const PANEL_SCRAPE_JOB = "k8s-nas-panel";
/** The Secret (in Prometheus's namespace) holding the panel's metrics token under the key `token`. */
export const METRICS_TOKEN_SECRET = "k8s-nas-panel-metrics-token";
/** Where Prometheus's pod gets that Secret mounted, and so the file its scrape job reads. */
export const METRICS_TOKEN_DIR = "/etc/prometheus-secrets/k8s-nas-panel";
const METRICS_TOKEN_VOLUME = "k8s-nas-panel-metrics-token";

/** Input of the scrape change: where Prometheus reaches the panel. */
export interface PrometheusScrapeInput {
  /** `host:port` of the panel's Service. */
  target?: string;
}

/** A Prometheus configuration found in the repository. */
export interface ScrapeConfigLocation {
  file: string;
  /** Document and path of the block scalar holding prometheus.yml, or undefined for a plain file. */
  embedded?: { docIndex: number; path: YamlPath };
  config: Record<string, unknown>;
}

function asConfig(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) && "scrape_configs" in value ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Prometheus configurations in the repository: ConfigMaps with a `prometheus.yml` key, or such files. */
export function findPrometheusConfigs(ctx: PlanContext): ScrapeConfigLocation[] {
  const out: ScrapeConfigLocation[] = [];
  for (const file of yamlFilesUnder(ctx.repo, ctx.appsPath)) {
    const text = ctx.repo.read(file);
    if (text === undefined || !text.includes("scrape_configs")) continue;
    if (/(^|\/)prometheus\.ya?ml$/i.test(file)) {
      const config = asConfig(text);
      if (config) out.push({ file, config });
      continue;
    }
    documentsOf(text).forEach((raw, docIndex) => {
      const doc = raw as { kind?: unknown; data?: unknown } | null;
      if (doc?.kind !== "ConfigMap" || typeof doc.data !== "object" || doc.data === null) return;
      for (const [key, value] of Object.entries(doc.data as Record<string, unknown>)) {
        if (!/^prometheus\.ya?ml$/i.test(key) || typeof value !== "string") continue;
        const config = asConfig(value);
        if (config) out.push({ file, embedded: { docIndex, path: ["data", key] }, config });
      }
    });
  }
  return out;
}

function scrapesPanel(job: unknown, target: string): boolean {
  if (typeof job !== "object" || job === null) return false;
  const j = job as { job_name?: unknown; metrics_path?: unknown; static_configs?: unknown };
  if (j.job_name === PANEL_SCRAPE_JOB) return true;
  if (j.metrics_path !== PANEL_METRICS_PATH || !Array.isArray(j.static_configs)) return false;
  return j.static_configs.some((s) => Array.isArray((s as { targets?: unknown }).targets) && (s as { targets: unknown[] }).targets.includes(target));
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The Prometheus workload of a namespace in the repository (a container running the prometheus image). */
export function prometheusWorkload(ctx: PlanContext, namespace: string): { workload: ManifestWorkload; container: number } | undefined {
  for (const workload of findWorkloads(ctx.repo, ctx.appsPath)) {
    if (workload.namespace !== undefined && workload.namespace !== namespace) continue;
    const container = workload.containers.find((c) => /(^|\/)prometheus(:|@|$)/.test(c.image));
    if (container) return { workload, container: container.index };
  }
  return undefined;
}

/**
 * Mounts the Secret holding the metrics token into Prometheus's pod (read-only, `optional` so a
 * missing Secret never keeps Prometheus from starting; the scrape then fails until it exists).
 * Returns false when the pod already mounts it.
 */
function mountTokenSecret(editor: YamlFileEditor, workload: ManifestWorkload, containerIndex: number): boolean {
  const doc = record(editor.values()[workload.docIndex]);
  const pod = record(record(record(doc.spec).template).spec);
  const volumes = Array.isArray(pod.volumes) ? pod.volumes : [];
  if (volumes.some((v) => record(record(v).secret).secretName === METRICS_TOKEN_SECRET)) return false;
  const volume = { name: METRICS_TOKEN_VOLUME, secret: { secretName: METRICS_TOKEN_SECRET, optional: true } };
  const mount = { name: METRICS_TOKEN_VOLUME, mountPath: METRICS_TOKEN_DIR, readOnly: true };
  const podPath = workload.podSpecPath;
  const containerPath = [...podPath, "containers", containerIndex];
  const comment = "k8s-nas-panel: the bearer token for its /api/metrics (Secret created by hand, never in Git)";
  if (editor.node(workload.docIndex, [...podPath, "volumes"]) === undefined) editor.addPairs(workload.docIndex, podPath, { volumes: [volume] }, comment);
  else editor.appendItem(workload.docIndex, [...podPath, "volumes"], volume, comment);
  if (editor.node(workload.docIndex, [...containerPath, "volumeMounts"]) === undefined) editor.addPairs(workload.docIndex, containerPath, { volumeMounts: [mount] });
  else editor.appendItem(workload.docIndex, [...containerPath, "volumeMounts"], mount);
  return true;
}

/**
 * A scrape job for the panel's `/api/metrics` in the user's Prometheus configuration (a ConfigMap
 * holding `prometheus.yml`, or the file itself), appended to `scrape_configs` with a comment.
 */
export function planPrometheusScrape(input: PrometheusScrapeInput, ctx: PlanContext & { metricsTokenRequired?: boolean }): ChangePlan {
  const target = input.target?.trim() || DEFAULT_PANEL_METRICS_TARGET;
  const found = findPrometheusConfigs(ctx);
  const base = {
    kind: "prometheus-scrape" as const,
    key: `prometheus-scrape:${PANEL_SCRAPE_JOB}`,
    title: "prometheus: scrape the k8s-nas-panel metrics",
    why:
      "The panel exports what it sees (service health, probe latency, certificate expiry, GitOps changes) at /api/metrics; " +
      "scraping it keeps that history in Prometheus and lets alert rules use it.",
    labels: ["k8s-nas-panel", "monitoring"],
    slug: "prometheus-scrape",
  };
  const location = found[0];
  if (!location) {
    throw new AppError("not_found", `No Prometheus configuration (a ConfigMap with prometheus.yml, or a prometheus.yml file) under ${ctx.appsPath}/ in the repository.`, { source: "gitops" });
  }
  const locations = [location.file];
  const jobs = Array.isArray(location.config.scrape_configs) ? location.config.scrape_configs : [];
  const holder = location.embedded ? (documentsOf(ctx.repo.read(location.file) ?? "")[location.embedded.docIndex] as { metadata?: { namespace?: unknown } } | null) : null;
  const namespace = typeof holder?.metadata?.namespace === "string" ? holder.metadata.namespace : "monitoring";
  const services = [`${namespace}/prometheus`];
  if (jobs.some((j) => scrapesPanel(j, target))) {
    return { ...base, services, locations, files: [], summary: [], notes: [], alreadySo: `${location.file} already has a scrape job for the panel (${PANEL_SCRAPE_JOB}).` };
  }
  const job: Record<string, unknown> = {
    job_name: PANEL_SCRAPE_JOB,
    metrics_path: PANEL_METRICS_PATH,
    scrape_interval: "30s",
  };
  const notes = [
    `Prometheus reads the new job after a reload (POST /-/reload with --web.enable-lifecycle) or a restart of its pod.`,
  ];
  const prometheus = ctx.metricsTokenRequired ? prometheusWorkload(ctx, namespace) : undefined;
  if (ctx.metricsTokenRequired) {
    job.authorization = { type: "Bearer", credentials_file: `${METRICS_TOKEN_DIR}/token` };
    notes.push(
      `The panel requires its bearer token for /api/metrics. Create the Secret ${METRICS_TOKEN_SECRET} in ${namespace} with the panel's token (never in Git): ` +
        `kubectl -n ${namespace} create secret generic ${METRICS_TOKEN_SECRET} --from-literal=token="$PANEL_METRICS_TOKEN"`,
    );
    if (!prometheus) notes.push(`No Prometheus workload was found in ${namespace}: mount that Secret into its pod at ${METRICS_TOKEN_DIR} yourself.`);
  }
  job.static_configs = [{ targets: [target] }];
  const comment = "k8s-nas-panel: service health, probes, certificates and GitOps changes";
  const text = ctx.repo.read(location.file) ?? "";
  const editor = new YamlFileEditor(location.file, text);
  const append = (inner: YamlFileEditor) => {
    if (inner.node(0, ["scrape_configs"]) === undefined) inner.addPairs(0, [], { scrape_configs: [job] }, comment);
    else inner.appendItem(0, ["scrape_configs"], job, comment);
  };
  if (location.embedded) editor.editEmbedded(location.embedded.docIndex, location.embedded.path, append);
  else append(editor);
  if (found.length > 1) notes.push(`Other Prometheus configurations were left alone: ${found.slice(1).map((f) => f.file).join(", ")}.`);
  const summary = [`scrape job ${PANEL_SCRAPE_JOB}: ${target}${PANEL_METRICS_PATH} every 30s, in ${location.file}`];
  const files = [{ path: location.file, before: text, after: editor.result() }];
  if (prometheus) {
    const file = prometheus.workload.file;
    const same = files.find((f) => f.path === file);
    const podEditor = new YamlFileEditor(file, same ? same.after : (ctx.repo.read(file) ?? ""));
    if (mountTokenSecret(podEditor, prometheus.workload, prometheus.container)) {
      if (same) same.after = podEditor.result();
      else files.push({ path: file, before: ctx.repo.read(file) ?? "", after: podEditor.result() });
      summary.push(`${prometheus.workload.kind} ${namespace}/${prometheus.workload.name}: mounts Secret ${METRICS_TOKEN_SECRET} at ${METRICS_TOKEN_DIR} for the token`);
      locations.push(file);
    }
  }
  return { ...base, services, locations, files, summary, notes };
}
