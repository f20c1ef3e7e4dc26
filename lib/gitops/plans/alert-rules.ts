import { stringify } from "yaml";
import type { AlertRuleThresholds } from "@/lib/config-schema";
import { AppError } from "@/lib/errors";
import { describeRuleProblems, parseCustomRules } from "@/lib/alerts/rule-file";
import { PANEL_CUSTOM_RULE_GROUP, panelAlertRules, type RuleFile } from "@/lib/alerts/rules";
import type { FileChange } from "../diff";
import { kustomizationIn, planAddResource } from "../kustomize";
import { dirOf, joinPath, yamlFilesUnder } from "../repo-view";
import type { ChangePlan, PlanContext } from "../types";
import { documentsOf, type ManifestWorkload } from "../workloads";
import { YamlFileEditor } from "../yaml-file";
import { findPrometheusConfigs, prometheusWorkload, type ScrapeConfigLocation } from "./prometheus-scrape";

/**
 * The panel's alert rules in the owner's monitoring configuration, through the Changes flow:
 *
 * - Prometheus configured by a ConfigMap (the fixture's `prometheus-config`): the rule file becomes a
 *   key of that ConfigMap (`k8s-nas-panel.rules.yml`, mounted next to `prometheus.yml`), its name is
 *   added to `rule_files` (filling the commented-out list the file may have), and when the Prometheus
 *   Deployment has no config reloader, one is added as a sidecar (Prometheus reads new rules only
 *   after `POST /-/reload`, which the sidecar sends when the mounted ConfigMap changes);
 * - a cluster that serves the PrometheusRule CRD (the Prometheus Operator): a PrometheusRule object
 *   next to the Prometheus resource, listed in its kustomization.
 *
 * Every edit keeps the file's comments and layout (`YamlFileEditor`). The rule file is handed to the
 * server's checks (promtool, Prometheus' query parser) before any pull request.
 */

/** The ConfigMap key (and file name beside prometheus.yml) of the panel's rules. */
export const RULES_FILE_KEY = "k8s-nas-panel.rules.yml";
/** The PrometheusRule's name and file. */
export const PROMETHEUS_RULE_NAME = "k8s-nas-panel";
export const PROMETHEUS_RULE_FILE = "k8s-nas-panel-prometheusrule.yaml";
/** The reloader sidecar (the Prometheus Operator's, as the prometheus-community chart uses it). */
export const RELOADER_IMAGE = "quay.io/prometheus-operator/prometheus-config-reloader:v0.85.0";
const RELOADER_NAME = "config-reloader";

/** What the person asks for. */
export interface AlertRulesInput {
  /** Extra alerting rules of their own, YAML (a list of `{ alert, expr, for, labels, annotations }`). */
  customRules?: string;
}

/** Planning context of this kind. */
export type AlertRulesContext = PlanContext & {
  alertRules: AlertRuleThresholds;
  /** The cluster serves monitoring.coreos.com/v1 PrometheusRule. */
  prometheusRuleCrd?: boolean;
};

/** The rule file the change writes: the panel's rules, and the person's own in a second group. */
export function buildRuleFile(input: AlertRulesInput, ctx: Pick<AlertRulesContext, "alertRules" | "publicUrl">): { file: RuleFile; text: string; custom: number } {
  const file = panelAlertRules(ctx.alertRules, { publicUrl: ctx.publicUrl });
  const custom = parseCustomRules(input.customRules ?? "");
  if (!custom.ok) {
    throw new AppError("invalid_input", `Your rules do not validate, so no pull request was opened: ${describeRuleProblems(custom.problems)}`, { source: "gitops" });
  }
  const names = new Set(file.groups.flatMap((g) => g.rules.map((r) => r.alert)));
  const clash = custom.rules.find((r) => names.has(r.alert));
  if (clash) throw new AppError("invalid_input", `Your rule ${clash.alert} has the name of one of the panel's rules: give it another name.`, { source: "gitops" });
  if (custom.rules.length > 0) file.groups.push({ name: PANEL_CUSTOM_RULE_GROUP, rules: custom.rules });
  const header = "# Alert rules proposed by k8s-nas-panel. Each names its runbook; the panel keeps this file up to date.\n";
  return { file, text: header + stringify(file, { lineWidth: 0, indentSeq: true }), custom: custom.rules.length };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** How Prometheus' pod mounts its ConfigMap, and the URL its own reload endpoint has. */
interface PodFacts {
  workload: ManifestWorkload;
  container: number;
  volumeName?: string;
  mountPath?: string;
  reloadUrl: string;
  hasReloader: boolean;
  lifecycle: boolean;
}

function podFacts(editor: YamlFileEditor, found: { workload: ManifestWorkload; container: number }, configMapName: string): PodFacts {
  const { workload, container } = found;
  const doc = record(editor.values()[workload.docIndex]);
  const pod = record(record(record(doc.spec).template).spec);
  const volume = list(pod.volumes).map(record).find((v) => record(v.configMap).name === configMapName);
  const volumeName = typeof volume?.name === "string" ? volume.name : undefined;
  const main = record(list(pod.containers)[container]);
  const mount = list(main.volumeMounts).map(record).find((m) => m.name === volumeName && m.subPath === undefined);
  const args = list(main.args).map(String);
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  let prefix = flag("web.route-prefix");
  if (prefix === undefined) {
    const external = flag("web.external-url");
    try {
      prefix = external ? new URL(external).pathname : "/";
    } catch {
      prefix = "/";
    }
  }
  const port = Number(record(list(main.ports)[0]).containerPort) || 9090;
  const path = `/${prefix.replace(/^\/+|\/+$/g, "")}/-/reload`.replace(/^\/\//, "/");
  const containers = list(pod.containers).map(record);
  return {
    workload,
    container,
    volumeName,
    mountPath: typeof mount?.mountPath === "string" ? mount.mountPath : undefined,
    reloadUrl: `http://127.0.0.1:${port}${path}`,
    hasReloader: containers.some((c) => /config-?reload|configmap-reload/.test(String(c.image ?? ""))),
    lifecycle: args.includes("--web.enable-lifecycle"),
  };
}

/** The change as a PrometheusRule, where the Operator is there. */
function planPrometheusRule(ctx: AlertRulesContext, rules: { file: RuleFile; text: string }, base: Omit<ChangePlan, "files" | "summary" | "notes" | "locations" | "services">): ChangePlan {
  let dir: string | undefined;
  let namespace = "monitoring";
  let labels: Record<string, string> = {};
  for (const file of yamlFilesUnder(ctx.repo, ctx.appsPath)) {
    const text = ctx.repo.read(file);
    if (!text?.includes("monitoring.coreos.com")) continue;
    for (const raw of documentsOf(text)) {
      const doc = record(raw);
      if (doc.kind !== "Prometheus") continue;
      dir = dirOf(file);
      const meta = record(doc.metadata);
      if (typeof meta.namespace === "string") namespace = meta.namespace;
      labels = Object.fromEntries(Object.entries(record(record(record(doc.spec).ruleSelector).matchLabels)).map(([k, v]) => [k, String(v)]));
    }
  }
  const configs = findPrometheusConfigs(ctx);
  dir ??= configs[0] ? dirOf(configs[0].file) : (joinPath(ctx.appsPath, "monitoring") ?? "monitoring");
  const path = joinPath(dir, PROMETHEUS_RULE_FILE) ?? PROMETHEUS_RULE_FILE;
  const content =
    "# Alert rules proposed by k8s-nas-panel; the Prometheus Operator loads them into Prometheus.\n" +
    stringify(
      { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: PROMETHEUS_RULE_NAME, namespace, ...(Object.keys(labels).length > 0 ? { labels } : {}) }, spec: rules.file },
      { lineWidth: 0, indentSeq: true },
    );
  const before = ctx.repo.read(path);
  const services = [`${namespace}/prometheus`];
  if (before === content) return { ...base, services, locations: [path], files: [], summary: [], notes: [], alreadySo: `${path} already holds these rules.` };
  const files: FileChange[] = [{ path, before: before ?? "", after: content }];
  const listed = planAddResource(ctx.repo, path);
  if (listed) files.push(listed);
  const notes = [
    `The Prometheus Operator loads PrometheusRule objects${Object.keys(labels).length > 0 ? ` labelled ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(", ")} (the Prometheus resource's ruleSelector)` : " its Prometheus resource selects (check its ruleSelector)"} within a minute of the sync.`,
  ];
  if (!listed && !kustomizationIn(ctx.repo, dir)) notes.push(`No kustomization lists ${path}: make sure Argo CD deploys that folder.`);
  const summary = [`PrometheusRule ${namespace}/${PROMETHEUS_RULE_NAME} in ${path}: ${rules.file.groups.reduce((n, g) => n + g.rules.length, 0)} rules`];
  return { ...base, services, locations: [path], files, summary, notes, checks: [{ kind: "prometheus-rules", name: path, content: stringify(rules.file, { lineWidth: 0 }) }] };
}

/** The ConfigMap-held rule file, its `rule_files` entry and the reloader sidecar. */
function planConfigMapRules(ctx: AlertRulesContext, location: ScrapeConfigLocation, rules: { file: RuleFile; text: string }, base: Omit<ChangePlan, "files" | "summary" | "notes" | "locations" | "services">): ChangePlan {
  const embedded = location.embedded;
  if (!embedded) {
    throw new AppError(
      "conflict",
      `${location.file} is a prometheus.yml file, not a ConfigMap: add ${RULES_FILE_KEY} next to it by hand (the rule file is in the preview's notes), or keep the configuration in a ConfigMap.`,
      { source: "gitops" },
    );
  }
  const text = ctx.repo.read(location.file) ?? "";
  const editor = new YamlFileEditor(location.file, text);
  const doc = record(editor.values()[embedded.docIndex]);
  const meta = record(doc.metadata);
  const namespace = typeof meta.namespace === "string" ? meta.namespace : "monitoring";
  const configMapName = typeof meta.name === "string" ? meta.name : "prometheus-config";
  const data = record(doc.data);
  const summary: string[] = [];
  const notes: string[] = [];
  const services = [`${namespace}/prometheus`];
  const locations = [location.file];
  const existing = data[RULES_FILE_KEY];
  let rulesChanged = false;
  if (existing === undefined) {
    editor.addPairs(embedded.docIndex, ["data"], { [RULES_FILE_KEY]: rules.text }, "k8s-nas-panel: its alert rules (each names its runbook)");
    summary.push(`ConfigMap ${namespace}/${configMapName}: new key ${RULES_FILE_KEY} with ${rules.file.groups.reduce((n, g) => n + g.rules.length, 0)} alert rules`);
    rulesChanged = true;
  } else if (existing !== rules.text) {
    editor.setBlockText(embedded.docIndex, ["data", RULES_FILE_KEY], rules.text);
    summary.push(`ConfigMap ${namespace}/${configMapName}: ${RULES_FILE_KEY} updated`);
    rulesChanged = true;
  }
  const ruleFiles = location.config.rule_files;
  const listed = Array.isArray(ruleFiles) && ruleFiles.some((f) => typeof f === "string" && (f === RULES_FILE_KEY || f.endsWith(`/${RULES_FILE_KEY}`)));
  if (!listed) {
    editor.editEmbedded(embedded.docIndex, embedded.path, (inner) => {
      const node = inner.node(0, ["rule_files"]);
      const comment = "k8s-nas-panel: its alert rules, a key of this ConfigMap";
      if (node === undefined) inner.addPairs(0, [], { rule_files: [RULES_FILE_KEY] }, comment);
      else if (ruleFiles === null || ruleFiles === undefined) inner.fillEmpty(0, ["rule_files"], [RULES_FILE_KEY], comment);
      else inner.appendItem(0, ["rule_files"], RULES_FILE_KEY, comment);
    });
    summary.push(`prometheus.yml: rule_files lists ${RULES_FILE_KEY}`);
  }
  const files: FileChange[] = [];
  const found = prometheusWorkload(ctx, namespace);
  let podFile: { path: string; editor: YamlFileEditor } | undefined;
  if (found) {
    const sameFile = found.workload.file === location.file;
    const podEditor = sameFile ? editor : new YamlFileEditor(found.workload.file, ctx.repo.read(found.workload.file) ?? "");
    const facts = podFacts(podEditor, found, configMapName);
    if (!facts.hasReloader && facts.volumeName && facts.mountPath) {
      const podPath = found.workload.podSpecPath;
      const sidecar = {
        name: RELOADER_NAME,
        image: RELOADER_IMAGE,
        args: [`--watched-dir=${facts.mountPath}`, `--reload-url=${facts.reloadUrl}`],
        volumeMounts: [{ name: facts.volumeName, mountPath: facts.mountPath, readOnly: true }],
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
      };
      podEditor.appendItem(found.workload.docIndex, [...podPath, "containers"], sidecar, "k8s-nas-panel: reloads Prometheus when its ConfigMap changes (new rules without a restart)");
      summary.push(`${found.workload.kind} ${namespace}/${found.workload.name}: a ${RELOADER_NAME} sidecar that POSTs ${facts.reloadUrl.replace("http://127.0.0.1", "")} when the ConfigMap changes`);
      notes.push(
        `Prometheus reads new rules only after a reload; ${found.workload.name} has no config reloader, so this change adds one. Adding it restarts Prometheus once` +
          (/emptyDir/.test(ctx.repo.read(found.workload.file) ?? "") ? " (its data is in an emptyDir: the history so far is lost once; a PVC would keep it)." : "."),
      );
      if (!facts.lifecycle) {
        podEditor.appendItem(found.workload.docIndex, [...podPath, "containers", found.container, "args"], "--web.enable-lifecycle");
        summary.push(`${found.workload.kind} ${namespace}/${found.workload.name}: --web.enable-lifecycle (the reload endpoint)`);
      }
      if (!sameFile) podFile = { path: found.workload.file, editor: podEditor };
      locations.push(found.workload.file);
    } else if (!facts.hasReloader) {
      notes.push(`No reloader was added: the ConfigMap is not mounted as a folder in ${found.workload.name}. Restart Prometheus (or POST /-/reload) after the merge.`);
    }
  } else {
    notes.push(`No Prometheus workload was found in ${namespace}: reload Prometheus (POST /-/reload) after the merge.`);
  }
  if (summary.length === 0) {
    return { ...base, services, locations, files: [], summary: [], notes: [], alreadySo: `${location.file} already holds these rules and lists them in rule_files.` };
  }
  files.push({ path: location.file, before: text, after: editor.result() });
  if (podFile) files.push({ path: podFile.path, before: ctx.repo.read(podFile.path) ?? "", after: podFile.editor.result() });
  if (!rulesChanged) notes.push(`The rules in ${RULES_FILE_KEY} are unchanged.`);
  notes.push(
    "Certificate rules read cert-manager's own metrics (its pods carry prometheus.io/scrape annotations); volume rules read the kubelet's (the kubernetes-nodes job); CPU and memory read the panel's, from the cluster's metrics API (metrics-server, which k3s ships).",
  );
  return { ...base, services, locations, files, summary, notes, checks: [{ kind: "prometheus-rules", name: RULES_FILE_KEY, content: rules.text }] };
}

/** The alert-rules change. */
export function planAlertRules(input: AlertRulesInput, ctx: AlertRulesContext): ChangePlan {
  const rules = buildRuleFile(input, ctx);
  const base = {
    kind: "alert-rules" as const,
    key: "alert-rules:k8s-nas-panel",
    title: "prometheus: alert rules of k8s-nas-panel",
    why:
      "Alerts from Prometheus reach you through Alertmanager even when the panel itself is down: a service down for a while, app health errors, " +
      "crash loops, certificates about to expire, stale or failed backups, a VPN leak, full volumes, CPU and memory at their limits. Each rule links to its runbook.",
    labels: ["k8s-nas-panel", "monitoring"],
    slug: "alert-rules",
  };
  if (ctx.prometheusRuleCrd) return planPrometheusRule(ctx, rules, base);
  const found = findPrometheusConfigs(ctx);
  const location = found.find((f) => f.embedded) ?? found[0];
  if (!location) {
    throw new AppError("not_found", `No Prometheus configuration (a ConfigMap with prometheus.yml) under ${ctx.appsPath}/ in the repository, and the cluster serves no PrometheusRule.`, { source: "gitops" });
  }
  const plan = planConfigMapRules(ctx, location, rules, base);
  if (rules.custom > 0) plan.summary.push(`${rules.custom} rule(s) of your own in the group ${PANEL_CUSTOM_RULE_GROUP}`);
  if (found.length > 1) plan.notes.push(`Other Prometheus configurations were left alone: ${found.filter((f) => f !== location).map((f) => f.file).join(", ")}.`);
  return plan;
}
