import { isHttpUrl } from "../safe-url";
import { alertDefinition, kebabCase, SEVERITY_RANK, severityOf, type Severity } from "./catalogue";

/**
 * The Alerts page's model: alerts from Prometheus (firing and pending, `/api/v1/alerts`), from
 * Alertmanager (`/api/v2/alerts`, with the silences that mute them) and from the panel's own
 * detector, merged (the same alert in Prometheus and Alertmanager is one row), joined to the
 * services they are about through their labels, and grouped by service. Pure.
 */

/** An alert as Prometheus' `/api/v1/alerts` lists it. */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "firing" | "pending" | "inactive";
  activeAt?: string;
  value?: string;
}

/** An alert as Alertmanager's `/api/v2/alerts` lists it. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  fingerprint: string;
  generatorURL?: string;
  status: { state: "active" | "suppressed" | "unprocessed"; silencedBy: string[]; inhibitedBy: string[] };
}

/** A matcher of a silence. */
export interface Matcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}

/** A silence as Alertmanager's `/api/v2/silences` lists it. */
export interface Silence {
  id: string;
  status: { state: "active" | "pending" | "expired" };
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** A service an alert can be joined to. */
export interface ServiceRef {
  id: string;
  namespace: string;
  name: string;
  displayName: string;
  appKind: string;
  pvcs?: string[];
  pods?: string[];
}

export type AlertSource = "panel" | "prometheus" | "alertmanager";

/** A silence as the page shows it. */
export interface SilenceView {
  id: string;
  state: Silence["status"]["state"];
  comment: string;
  createdBy: string;
  startsAt: string;
  endsAt: string;
  /** `alertname="ServiceDown", namespace="media"`. */
  matchers: string;
}

/** One alert row. */
export interface AlertView {
  /** Stable across reads: source and label set. */
  key: string;
  source: AlertSource;
  name: string;
  state: "firing" | "pending";
  severity: Severity;
  summary: string;
  description: string | null;
  /** When it started (ms), when known. */
  since: number | null;
  labels: Record<string, string>;
  serviceId: string | null;
  /** Panel path of its runbook (`/runbooks/alerts/service-down`), or an http(s) URL the rule names. */
  runbook: string | null;
  /** Known to Alertmanager (it can be silenced there). */
  inAlertmanager: boolean;
  silencedBy: SilenceView[];
}

/** Alerts of one service (or of none: `serviceId` null). */
export interface AlertGroup {
  serviceId: string | null;
  title: string;
  appKind: string | null;
  alerts: AlertView[];
}

/** Label values that name a workload, most specific first. */
const NAME_LABELS = ["service", "deployment", "statefulset", "daemonset", "workload", "app_kubernetes_io_name", "app", "kubernetes_name", "job_name", "container"];
const NAMESPACE_LABELS = ["namespace", "kubernetes_namespace", "exported_namespace"];

/** The service an alert is about, from its labels. */
export function serviceOfLabels(labels: Record<string, string>, services: readonly ServiceRef[]): ServiceRef | undefined {
  const namespace = NAMESPACE_LABELS.map((k) => labels[k]).find((v) => v);
  const pool = namespace ? services.filter((s) => s.namespace === namespace) : services;
  for (const key of NAME_LABELS) {
    const value = labels[key];
    if (!value) continue;
    const found = pool.filter((s) => s.name === value);
    if (found.length === 1) return found[0];
  }
  const pod = labels.pod ?? labels.kubernetes_pod_name;
  if (pod) {
    const byPod = pool.filter((s) => s.pods?.includes(pod) || pod.startsWith(`${s.name}-`));
    if (byPod.length >= 1) return byPod.sort((a, b) => b.name.length - a.name.length)[0];
  }
  const pvc = labels.persistentvolumeclaim;
  if (pvc) {
    const byPvc = pool.filter((s) => s.pvcs?.includes(pvc));
    if (byPvc.length === 1) return byPvc[0];
  }
  return undefined;
}

/** Label set as a stable string. */
export function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(",");
}

function includesLabels(outer: Record<string, string>, inner: Record<string, string>): boolean {
  return Object.entries(inner).every(([k, v]) => outer[k] === v);
}

function formatMatchers(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.name}${m.isEqual === false ? "!" : ""}${m.isRegex ? "=~" : "="}"${m.value}"`).join(", ");
}

/** A silence as the page shows it. */
export function silenceView(s: Silence): SilenceView {
  return { id: s.id, state: s.status.state, comment: s.comment, createdBy: s.createdBy, startsAt: s.startsAt, endsAt: s.endsAt, matchers: formatMatchers(s.matchers) };
}

/** The runbook of an alert: the panel's (or the owner's) by name, else the rule's `runbook_url`, else the app's. */
export function runbookOfAlert(
  name: string,
  annotations: Record<string, string>,
  service: ServiceRef | undefined,
  runbookIds: ReadonlySet<string>,
): string | null {
  const known = alertDefinition(name);
  const candidates = [known ? `alerts/${known.runbook}` : undefined, `alerts/${kebabCase(name)}`];
  for (const id of candidates) if (id && runbookIds.has(id)) return `/runbooks/${id}`;
  const url = annotations.runbook_url;
  if (url && isHttpUrl(url)) return url;
  if (service && runbookIds.has(`apps/${service.appKind}`)) return `/runbooks/apps/${service.appKind}`;
  return null;
}

function time(value: string | undefined): number | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) || t <= 0 ? null : t;
}

/** What `mergeAlerts` needs. */
export interface MergeInput {
  prometheus: readonly PromAlert[] | null;
  alertmanager: readonly AmAlert[] | null;
  silences: readonly Silence[];
  detector: readonly AlertView[];
  services: readonly ServiceRef[];
  runbookIds: ReadonlySet<string>;
}

/** Merges the sources into rows (worst first). Alertmanager's copy of a Prometheus alert is folded into it. */
export function mergeAlerts(input: MergeInput): AlertView[] {
  const byId = new Map(input.silences.map((s) => [s.id, s]));
  const rows: AlertView[] = [...input.detector];
  const usedAm = new Set<string>();
  const toRow = (
    source: AlertSource,
    labels: Record<string, string>,
    annotations: Record<string, string>,
    state: AlertView["state"],
    since: number | null,
    am: AmAlert | undefined,
  ): AlertView => {
    const name = labels.alertname ?? "(unnamed)";
    const service = serviceOfLabels(labels, input.services);
    const silenced = (am?.status.silencedBy ?? []).map((id) => byId.get(id)).filter((s): s is Silence => s !== undefined);
    return {
      key: `${source}:${labelKey(labels)}`,
      source,
      name,
      state,
      severity: severityOf(labels.severity ?? alertDefinition(name)?.severity),
      summary: annotations.summary ?? annotations.message ?? annotations.description ?? name,
      description: annotations.description && annotations.description !== annotations.summary ? annotations.description : null,
      since,
      labels,
      serviceId: service?.id ?? null,
      runbook: runbookOfAlert(name, annotations, service, input.runbookIds),
      inAlertmanager: am !== undefined,
      silencedBy: silenced.map(silenceView),
    };
  };
  for (const p of input.prometheus ?? []) {
    if (p.state === "inactive") continue;
    const am = p.state === "firing" ? input.alertmanager?.find((a) => !usedAm.has(a.fingerprint) && includesLabels(a.labels, p.labels)) : undefined;
    if (am) usedAm.add(am.fingerprint);
    rows.push(toRow("prometheus", p.labels, { ...am?.annotations, ...p.annotations }, p.state, time(p.activeAt), am));
  }
  for (const a of input.alertmanager ?? []) {
    if (usedAm.has(a.fingerprint)) continue;
    rows.push(toRow("alertmanager", a.labels, a.annotations, "firing", time(a.startsAt), a));
  }
  return rows.sort(
    (a, b) =>
      Number(a.silencedBy.length > 0) - Number(b.silencedBy.length > 0) ||
      Number(a.state === "pending") - Number(b.state === "pending") ||
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      (a.since ?? 0) - (b.since ?? 0) ||
      a.key.localeCompare(b.key),
  );
}

/** Rows grouped by service (services with the worst alerts first; alerts about no service last). */
export function groupByService(rows: readonly AlertView[], services: readonly ServiceRef[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const row of rows) {
    const id = row.serviceId ?? "";
    let group = groups.get(id);
    if (!group) {
      const service = services.find((s) => s.id === row.serviceId);
      group = { serviceId: row.serviceId, title: service ? `${service.displayName} (${service.id})` : row.serviceId ?? "Not about one service", appKind: service?.appKind ?? null, alerts: [] };
      groups.set(id, group);
    }
    group.alerts.push(row);
  }
  const rank = (g: AlertGroup): number => Math.max(...g.alerts.map((a) => (a.silencedBy.length > 0 || a.state === "pending" ? 0 : SEVERITY_RANK[a.severity])));
  return [...groups.values()].sort((a, b) => Number(a.serviceId === null) - Number(b.serviceId === null) || rank(b) - rank(a) || a.title.localeCompare(b.title));
}

/** Alerts that count in the navigation: firing, not silenced, warning or worse (an always-firing `Watchdog` is `none`, so info). */
export function activeCount(rows: readonly AlertView[]): number {
  return rows.filter((r) => r.state === "firing" && r.silencedBy.length === 0 && r.severity !== "info").length;
}

/** Matchers that mute exactly this alert (every label of it, equality). */
export function matchersForAlert(labels: Record<string, string>): Matcher[] {
  return Object.keys(labels)
    .sort()
    .map((name) => ({ name, value: labels[name] as string, isRegex: false, isEqual: true }));
}
