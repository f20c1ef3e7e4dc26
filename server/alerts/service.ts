import "server-only";
import { ALERT_CATALOGUE } from "@/lib/alerts/catalogue";
import { detectorAlertName, type DetectorAlert } from "@/lib/alerts/detector";
import { testMessage } from "@/lib/alerts/message";
import type { TargetStatus } from "@/lib/alerts/notifications";
import { PANEL_RULE_GROUP } from "@/lib/alerts/rules";
import { activeCount, groupByService, matchersForAlert, mergeAlerts, silenceView, type AlertView, type AmAlert, type PromAlert, type ServiceRef, type Silence } from "@/lib/alerts/view";
import { AppError, toAppError } from "@/lib/errors";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { getNotification, listNotifications } from "@/server/db/alerts";
import { runbookIds } from "@/server/runbooks";
import { emitAlertsChanged } from "./events";
import { getDetector, getOutbox, log } from "./parts";
import { AlertmanagerApi, PrometheusApi, type LoadedRuleGroup } from "./sources";
import type { AlertsData, PanelRulesState, TestOutcome } from "@/lib/alerts/page-data";

export type { AlertsData, PanelRulesState, SourceState, TestOutcome } from "@/lib/alerts/page-data";

/**
 * What the Alerts page shows, and what its actions do: alerts from the owner's Prometheus and
 * Alertmanager (read at most every few seconds, and polled in the background every
 * `alerts.pollSeconds` for the count in the navigation), the panel's own detector, silences, the
 * state of the panel's alert rules in Prometheus, and the notifications sent.
 */

interface Poll {
  at: number;
  prometheus: { alerts: PromAlert[] | null; rules: LoadedRuleGroup[] | null; error: string | null };
  alertmanager: { alerts: AmAlert[] | null; silences: Silence[]; error: string | null };
}

const holder = globalThis as typeof globalThis & {
  __panelAlertPoll?: Poll;
  __panelAlertPolling?: Promise<Poll>;
  __panelAlertPollTimer?: NodeJS.Timeout;
  __panelAlertKeys?: string;
};

const TIMEOUT_MS = 5_000;

function apis(): { prometheus?: PrometheusApi; alertmanager?: AlertmanagerApi } {
  const { alerts } = getConfig();
  const token = (env: string | undefined) => (env ? process.env[env] : undefined);
  return {
    ...(alerts.prometheus ? { prometheus: new PrometheusApi({ url: alerts.prometheus.url, token: token(alerts.prometheus.bearerTokenEnv), timeoutMs: TIMEOUT_MS }) } : {}),
    ...(alerts.alertmanager ? { alertmanager: new AlertmanagerApi({ url: alerts.alertmanager.url, token: token(alerts.alertmanager.bearerTokenEnv), timeoutMs: TIMEOUT_MS }) } : {}),
  };
}

/** The configured Alertmanager, or a clear error when there is none. */
export function alertmanager(): AlertmanagerApi {
  const am = apis().alertmanager;
  if (!am) throw new AppError("invalid_input", "No Alertmanager is configured (alerts.alertmanager.url): silences are made in Alertmanager.", { source: "alertmanager" });
  return am;
}

/** The configured Prometheus, when there is one. */
export function prometheus(): PrometheusApi | undefined {
  return apis().prometheus;
}

async function pollNow(): Promise<Poll> {
  const { prometheus: prom, alertmanager: am } = apis();
  const msg = (e: unknown) => toAppError(e).message;
  const [pa, pr, aa, as] = await Promise.allSettled([
    prom ? prom.alerts() : Promise.resolve(null),
    prom ? prom.rules() : Promise.resolve(null),
    am ? am.alerts() : Promise.resolve(null),
    am ? am.silences() : Promise.resolve([] as Silence[]),
  ]);
  const poll: Poll = {
    at: Date.now(),
    prometheus: {
      alerts: pa.status === "fulfilled" ? pa.value : null,
      rules: pr.status === "fulfilled" ? pr.value : null,
      error: pa.status === "rejected" ? msg(pa.reason) : pr.status === "rejected" ? msg(pr.reason) : null,
    },
    alertmanager: {
      alerts: aa.status === "fulfilled" ? aa.value : null,
      silences: as.status === "fulfilled" ? as.value : [],
      error: aa.status === "rejected" ? msg(aa.reason) : as.status === "rejected" ? msg(as.reason) : null,
    },
  };
  holder.__panelAlertPoll = poll;
  return poll;
}

/** The last poll when it is younger than `maxAgeMs`, else a new one (concurrent callers share it). */
async function poll(maxAgeMs: number): Promise<Poll> {
  const last = holder.__panelAlertPoll;
  if (last && Date.now() - last.at < maxAgeMs) return last;
  holder.__panelAlertPolling ??= pollNow().finally(() => {
    holder.__panelAlertPolling = undefined;
  });
  return holder.__panelAlertPolling;
}

function detectorRow(a: DetectorAlert, probeIntervalSeconds: number, downProbes: number): AlertView {
  const name = detectorAlertName(a);
  const [namespace = "", service = a.serviceId] = a.serviceId.split("/");
  const firing = a.status === "firing";
  const progress = firing ? "" : ` (${a.downCount || a.badCount} of ${downProbes} probes, ${probeIntervalSeconds} s apart)`;
  return {
    key: `panel:${a.serviceId}`,
    source: "panel",
    name,
    state: firing ? "firing" : "pending",
    severity: firing ? a.severity : a.downCount > 0 ? "critical" : "warning",
    summary: `${a.displayName} is ${a.severity === "critical" || a.downCount > 0 ? "down" : "degraded"}${progress}`,
    description: a.reason,
    since: a.since,
    labels: { alertname: name, namespace, service, severity: a.severity },
    serviceId: a.serviceId,
    runbook: `/runbooks/alerts/${ALERT_CATALOGUE[name].runbook}`,
    inAlertmanager: false,
    silencedBy: [],
  };
}

async function serviceRefs(): Promise<ServiceRef[]> {
  if (getConfig().kubernetes.mode === "none") return [];
  const { listServices } = await import("@/server/k8s");
  const services = await listServices().catch(() => []);
  return services.map((s) => ({
    id: s.id,
    namespace: s.namespace,
    name: s.name,
    displayName: s.displayName,
    appKind: s.appKind,
    pvcs: s.pvcs.map((p) => p.name),
    pods: s.kube.pods.map((p) => p.name),
  }));
}

function panelRules(rules: LoadedRuleGroup[] | null): PanelRulesState | null {
  if (!rules) return null;
  const group = rules.find((g) => g.name === PANEL_RULE_GROUP);
  return {
    loaded: Boolean(group),
    count: group?.rules.length ?? 0,
    file: group?.file ?? null,
    unhealthy: (group?.rules ?? []).filter((r) => r.health && r.health !== "ok" && r.health !== "unknown").map((r) => `${r.name}: ${r.lastError ?? r.health}`),
  };
}

function rowsOf(p: Poll, services: readonly ServiceRef[]): AlertView[] {
  const config = getConfig();
  const detector = config.kubernetes.mode === "none" ? [] : getDetector().current();
  return mergeAlerts({
    prometheus: p.prometheus.alerts,
    alertmanager: p.alertmanager.alerts,
    silences: p.alertmanager.silences,
    detector: detector.map((a) => detectorRow(a, config.health.probeIntervalSeconds, config.alerts.detector.downProbes)),
    services,
    runbookIds: runbookIds(),
  });
}

/** The Alerts page's data; Prometheus and Alertmanager are read again when the last read is older than `maxAgeMs`. */
export async function getAlertsData(opts: { maxAgeMs?: number } = {}): Promise<AlertsData> {
  const config = getConfig();
  const [p, services] = await Promise.all([poll(opts.maxAgeMs ?? 3_000), serviceRefs()]);
  const rows = rowsOf(p, services);
  const now = Date.now();
  return {
    groups: groupByService(rows, services),
    count: activeCount(rows),
    prometheus: {
      configured: Boolean(config.alerts.prometheus),
      url: config.alerts.prometheus?.url ?? null,
      ok: config.alerts.prometheus ? p.prometheus.error === null : null,
      error: p.prometheus.error,
      checkedAt: config.alerts.prometheus ? p.at : null,
      panelRules: panelRules(p.prometheus.rules),
    },
    alertmanager: {
      configured: Boolean(config.alerts.alertmanager),
      url: config.alerts.alertmanager?.url ?? null,
      ok: config.alerts.alertmanager ? p.alertmanager.error === null : null,
      error: p.alertmanager.error,
      checkedAt: config.alerts.alertmanager ? p.at : null,
    },
    silences: p.alertmanager.silences.filter((s) => s.status.state !== "expired").map(silenceView),
    detector: {
      enabled: config.kubernetes.mode !== "none",
      downProbes: config.alerts.detector.downProbes,
      probeIntervalSeconds: config.health.probeIntervalSeconds,
      targets: config.notifications.targets.length,
    },
    notifications: listNotifications(getDb(), { limit: 30 }),
    generatedAt: now,
  };
}

/**
 * Firing alerts that are not silenced (warning or worse): the detector's now, Prometheus' and
 * Alertmanager's as last polled. Cheap: for the navigation of every page.
 */
export async function getAlertCount(): Promise<number> {
  const p = holder.__panelAlertPoll ?? { at: 0, prometheus: { alerts: null, rules: null, error: null }, alertmanager: { alerts: null, silences: [], error: null } };
  return activeCount(rowsOf(p, await serviceRefs()));
}

/** Polls Prometheus and Alertmanager every `alerts.pollSeconds` and says when the firing set changed. */
export function startAlertPolling(): void {
  const config = getConfig();
  if (holder.__panelAlertPollTimer || (!config.alerts.prometheus && !config.alerts.alertmanager)) return;
  const tick = async () => {
    try {
      const p = await poll(0);
      const rows = rowsOf(p, await serviceRefs()).filter((r) => r.source !== "panel");
      const keys = rows.map((r) => `${r.key}|${r.state}|${r.silencedBy.length}`).sort().join("\n");
      if (keys !== holder.__panelAlertKeys) {
        holder.__panelAlertKeys = keys;
        emitAlertsChanged(rows.map((r) => r.serviceId).filter((id): id is string => id !== null));
      }
    } catch (error) {
      log.warn({ err: toAppError(error).message }, "polling Prometheus and Alertmanager failed");
    }
  };
  void tick();
  holder.__panelAlertPollTimer = setInterval(() => void tick(), config.alerts.pollSeconds * 1000);
  holder.__panelAlertPollTimer.unref();
}

/** Silences one alert in Alertmanager (every label of it, equality), from now for `minutes`. */
export async function silenceAlert(input: { labels: Record<string, string>; minutes: number; comment: string }, createdBy: string): Promise<{ id: string; endsAt: string }> {
  const am = alertmanager();
  const startsAt = new Date();
  const endsAt = new Date(startsAt.getTime() + input.minutes * 60_000);
  const id = await am.createSilence({ matchers: matchersForAlert(input.labels), startsAt, endsAt, createdBy, comment: input.comment });
  await poll(0).catch(() => undefined);
  emitAlertsChanged([]);
  return { id, endsAt: endsAt.toISOString() };
}

/** Expires a silence in Alertmanager. */
export async function expireSilence(id: string): Promise<void> {
  await alertmanager().expireSilence(id);
  await poll(0).catch(() => undefined);
  emitAlertsChanged([]);
}

/** The notification targets with their queues, for the Settings page. */
export function notificationTargets(): TargetStatus[] {
  return getOutbox().status();
}

/**
 * Sends a test notification to one target (or every one) through the outbox, and waits up to
 * `waitMs` for the first attempt, so the answer says whether it arrived. An undelivered test stays
 * in the outbox and is retried like any message.
 */
export async function sendTestNotification(opts: { target?: string; requestedBy: string; waitMs?: number }): Promise<TestOutcome[]> {
  const config = getConfig();
  const outbox = getOutbox();
  if (config.notifications.targets.length === 0) {
    throw new AppError("invalid_input", "No notification target is configured: add notifications.targets (ntfy or a webhook) to the panel's configuration.", { source: "notifications" });
  }
  if (opts.target && !config.notifications.targets.some((t) => t.name === opts.target)) throw new AppError("not_found", `No notification target is named ${opts.target}.`, { source: "notifications" });
  const now = Date.now();
  const targets = opts.target ? [opts.target] : config.notifications.targets.map((t) => t.name);
  const records = targets.flatMap((t) => outbox.enqueue(testMessage({ publicUrl: config.server.publicUrl, requestedBy: opts.requestedBy, now, target: t }), { only: t, requestedBy: opts.requestedBy }));
  const deadline = Date.now() + (opts.waitMs ?? config.notifications.timeoutMs + 1_000);
  const db = getDb();
  let latest = records;
  while (Date.now() < deadline) {
    await outbox.settled();
    latest = records.map((r) => getNotification(db, r.id) ?? r);
    if (latest.every((r) => r.status !== "pending" || r.attempts > 0)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return latest.map((r) => ({ target: r.target, status: r.status, error: r.lastError, nextAttemptAt: r.status === "pending" ? r.nextAttemptAt : null }));
}
