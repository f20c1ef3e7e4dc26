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
    links: v.links.map(({ fromService, toService, fromName, toName, title, state, message }) => ({ fromService, ...(toService ? { toService } : {}), fromName, toName, title, state, ...(message ? { message } : {}) })),
    vpn: v.vpn.map(({ service, status, message }) => ({ service, status, message })),
  }));
  h.__panelReadinessLinks = { at: now, reading };
  reading.catch(() => {
    if (h.__panelReadinessLinks?.reading === reading) delete h.__panelReadinessLinks;
  });
  return reading;
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
  const [verdicts, certs, backups, integrations, alerts] = await Promise.all([
    serviceVerdicts(services.map((s) => s.id)),
    settle(() => getCertificatesView()),
    settle(() => backupsView(now)),
    settle(() => integrationsReading(now)),
    settle(() => getAlertsData({ maxAgeMs: 60_000 })),
  ]);
  const errors: ReadinessInput["errors"] = {};
  if (certs.error) errors.certificates = certs.error;
  if (backups.error) errors.backups = backups.error;
  if (integrations.error) errors.integrations = integrations.error;
  if (alerts.error) errors.alerts = alerts.error;
  const { runbookBaseUrl } = getPanelSettings();
  return readinessMatrix({
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
          },
        }
      : {}),
    runbooks: { ids: runbookIds(), ...(runbookBaseUrl ? { baseUrl: runbookBaseUrl } : {}) },
    errors,
    settings: { certMinDays: config.certificates.warnDays, drillIntervalDays: config.backups.drillIntervalDays },
  });
}
