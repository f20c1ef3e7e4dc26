import "server-only";
import { toAppError } from "@/lib/errors";
import { readinessMatrix, type ReadinessInput, type ReadinessMatrix } from "@/lib/readiness/matrix";
import { getAlertsData } from "@/server/alerts/service";
import { backupsView } from "@/server/backups/service";
import { getCertificatesView } from "@/server/certs";
import { getConfig } from "@/server/config/load";
import { serviceVerdicts } from "@/server/health/overview";
import { readIntegrationsView } from "@/server/integrations/view";
import { listServices } from "@/server/k8s";
import { getPanelSettings } from "@/server/panel/settings";
import { getDb } from "@/server/db";
import { listChanges } from "@/server/db/changes";
import { getGitopsService } from "@/server/git";
import type { ChangeView } from "@/lib/gitops/change-state";
import { databaseFault } from "@/server/db/faults";
import { STACK, readinessHistories, recordReadiness, type ReadinessPoint } from "@/server/db/readiness-history";
import { logger } from "@/server/observability/logger";
import { rememberReadiness } from "@/server/readiness-metrics";
import { runbookIds } from "@/server/runbooks";

/** How long a reading of the apps' links serves the matrix before it is read again. */
const LINKS_MAX_AGE_MS = 60_000;

type IntegrationsReading = NonNullable<ReadinessInput["integrations"]>;

/**
 * The apps' links and VPN verdicts, read at most once a minute for the matrix (the Overview and the
 * Readiness page both show it): one reading shared by every request in that minute.
 */
function integrationsReading(now: number): Promise<IntegrationsReading> {
  const h = globalThis as typeof globalThis & { __panelReadinessLinks?: { at: number; reading: Promise<IntegrationsReading> } };
  const cached = h.__panelReadinessLinks;
  if (cached && now - cached.at < LINKS_MAX_AGE_MS) return cached.reading;
  const reading = readIntegrationsView().then((v) => ({
    links: v.links.map(({ key, fromService, toService, fromName, toName, title, state, message, fix, blocked, gitChange }) => ({
      key,
      fromService,
      ...(toService ? { toService } : {}),
      fromName,
      toName,
      title,
      state,
      ...(message ? { message } : {}),
      ...(fix ? { fix } : {}),
      ...(blocked ? { blocked } : {}),
      ...(gitChange ? { gitChange } : {}),
    })),
    vpn: v.vpn.map(({ service, status, message }) => ({ service, status, message })),
  }));
  h.__panelReadinessLinks = { at: now, reading };
  reading.catch(() => {
    if (h.__panelReadinessLinks?.reading === reading) delete h.__panelReadinessLinks;
  });
  return reading;
}

/** Drops the shared reading of the links: the next matrix reads them again (after a fix changed them). */
export function forgetIntegrationsReading(): void {
  delete (globalThis as typeof globalThis & { __panelReadinessLinks?: unknown }).__panelReadinessLinks;
}

/** Settles a source: its value, or the reason it could not be read. */
async function settle<T>(p: () => Promise<T>): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await p() };
  } catch (error) {
    return { error: toAppError(error).message };
  }
}

/**
 * The readiness matrix from what the panel already holds: the informers' services with the latest
 * probe verdicts, the certificate view, the backups, the last reading of the links, the alerts as
 * last polled, and the runbooks. A source that cannot be read makes its cells say so; never throws
 * for one source.
 */
export async function getReadiness(now = Date.now()): Promise<ReadinessMatrix> {
  const config = getConfig();
  if (config.kubernetes.mode === "none") {
    return readinessMatrix({ now, services: [], runbooks: { ids: new Set() }, errors: {}, settings: { certMinDays: config.certificates.warnDays, drillIntervalDays: config.backups.drillIntervalDays } });
  }
  const services = await listServices();
  const [verdicts, certs, backups, integrations, alerts, rules] = await Promise.all([
    serviceVerdicts(services.map((s) => s.id)),
    settle(() => getCertificatesView()),
    settle(() => backupsView(now)),
    settle(() => integrationsReading(now)),
    settle(() => getAlertsData({ maxAgeMs: 60_000 })),
    rulesChange(),
  ]);
  const errors: ReadinessInput["errors"] = {};
  if (certs.error) errors.certificates = certs.error;
  if (backups.error) errors.backups = backups.error;
  if (integrations.error) errors.integrations = integrations.error;
  if (alerts.error) errors.alerts = alerts.error;
  const { runbookBaseUrl } = getPanelSettings();
  const matrix = readinessMatrix({
    now,
    services: services.map((service) => {
      const v = verdicts.get(service.id);
      return { service, status: v?.status ?? "unknown", ...(v?.reason ? { reason: v.reason } : {}) };
    }),
    ...(certs.value ? { certificates: certs.value } : {}),
    ...(backups.value ? { backups: { services: backups.value.services, records: backups.value.backups } } : {}),
    ...(integrations.value ? { integrations: integrations.value } : {}),
    ...(alerts.value
      ? {
          alerts: {
            prometheusConfigured: alerts.value.prometheus.configured,
            prometheusError: alerts.value.prometheus.error,
            panelRules: alerts.value.prometheus.panelRules,
            notifications: alerts.value.notifications,
            targets: alerts.value.detector.targets,
            ...rules,
          },
        }
      : {}),
    runbooks: { ids: runbookIds(), ...(runbookBaseUrl ? { baseUrl: runbookBaseUrl } : {}) },
    errors,
    settings: { certMinDays: config.certificates.warnDays, drillIntervalDays: config.backups.drillIntervalDays, backupClaim: config.backups.claim },
  });
  keep(matrix, now);
  return matrix;
}

/** The newest pull request that adds the panel's alert rules, from the changes record. */
function latestRulesChange(): ChangeView | undefined {
  return listChanges(getDb()).find((c) => c.kind === "alert-rules");
}

/**
 * The newest pull request that adds the panel's alert rules and where it stands, as recorded. While
 * it is not live, the GitOps service is asked to follow it on the forge and in Argo CD (at most once
 * per `gitops.pollSeconds`), in the background: a view never waits on the forge, and the next read
 * has the news. None when it cannot be read.
 */
async function rulesChange(): Promise<{ rulesChange?: NonNullable<ReadinessInput["alerts"]>["rulesChange"] }> {
  try {
    const change = latestRulesChange();
    const svc = change && change.status !== "live" && change.status !== "closed" ? getGitopsService() : null;
    if (svc) void svc.refresh().catch((error: unknown) => logger.warn({ err: error }, "the alert rules' pull request cannot be followed"));
    return change ? { rulesChange: { status: change.status, prUrl: change.prUrl, files: change.files, applications: change.apps.length } } : {};
  } catch (error) {
    logger.warn({ err: databaseFault(error) }, "the changes cannot be read for the readiness of the alert rules");
    return {};
  }
}

/**
 * Keeps what was just computed: for the scrape, and in the history (a row per change of score, and
 * one a day). A database that cannot take the row does not hide the matrix: it is logged.
 */
function keep(matrix: ReadinessMatrix, now: number): void {
  rememberReadiness(matrix);
  try {
    recordReadiness(getDb(), [...matrix.services.map((s) => ({ service: s.id, score: s.score })), { service: STACK, score: matrix.score }], now);
  } catch (error) {
    logger.error({ err: databaseFault(error) }, "the readiness history could not record the scores");
  }
}

/**
 * Every service's score history since `since`, oldest first, by service id (the stack's under the
 * empty id); empty when the database cannot be read (the trend is left out, the matrix stays).
 */
export function getReadinessTrends(since: number): Map<string, ReadinessPoint[]> {
  try {
    return readinessHistories(getDb(), since);
  } catch (error) {
    logger.warn({ err: databaseFault(error) }, "the readiness history cannot be read");
    return new Map();
  }
}

export { STACK as READINESS_STACK } from "@/server/db/readiness-history";
