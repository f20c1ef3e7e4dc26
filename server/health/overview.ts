import "server-only";
import { appRunbookId } from "@/lib/runbooks";
import { runbookIds } from "@/server/runbooks";
import { worstFirst } from "@/lib/certs/signals";
import type { CertificatesView } from "@/lib/certs/view";
import type { ServiceAfterSync } from "@/lib/gitops/change-state";
import { toCardData, type CertificateNote, type HistoryWindow, type OverviewData, type ServiceDetail } from "@/lib/overview";
import type { DiscoveredService, ServiceSummary } from "@/lib/services";
import { thinLatency } from "@/lib/sparkline";
import { verdictOf } from "@/lib/verdict";
import { getHealthModule } from "@/server/apps/registry";
import { getCertificatesView, onCertificatesChanged } from "@/server/certs";
import { serviceCertificateSignals } from "@/lib/certs/view";
import { logger } from "@/server/observability/logger";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { availabilitySeries, latencySeries, recentLatencies, recentLatenciesOf, uptime, uptimeAll } from "@/server/db/probes";
import { getApplicationsView, getKubeState, listServices, onChange } from "@/server/k8s";
import { getPanelSettings } from "@/server/panel/settings";
import { getLatestResults, onProbeResults } from "@/server/probes/scheduler";
import { proberSettingsOf } from "@/server/probes/prober";

const SPARKLINE_MS = 60 * 60_000;

function kubernetesState(): OverviewData["kubernetes"] {
  if (getConfig().kubernetes.mode === "none") {
    return { configured: false, connected: false, message: "Kubernetes is not configured (kubernetes.mode: none)." };
  }
  const state = getKubeState();
  return { configured: true, connected: state.connected, message: state.message };
}

function appName(service: DiscoveredService): string {
  return getHealthModule(service.appKind)?.displayName ?? service.displayName;
}

/**
 * Joins the live Kubernetes view (the informers' caches) with the latest app health of each service:
 * the verdict is recomputed from the current Kubernetes state, so a scaled or crashing workload shows
 * at once, without waiting for the next probe.
 */
function summarizeService(
  service: DiscoveredService,
  latest: ReturnType<typeof getLatestResults>,
  latency: Array<{ at: number; ms: number | null }>,
  uptime: ServiceSummary["uptime"],
): ServiceSummary {
  const thresholds = proberSettingsOf(getConfig()).thresholds;
  const probe = latest.get(service.id);
  const app = probe?.app ? { ...probe.app, checkedAt: probe.at } : undefined;
  return {
    service,
    ...(probe?.access ? { access: probe.access } : {}),
    ...(app ? { app } : {}),
    verdict: verdictOf(service.kube, probe?.app, thresholds, { appName: appName(service) }),
    latency,
    uptime,
  };
}

function uptimeMaps(now: number) {
  const db = getDb();
  return { day: uptimeAll(db, "24h", now), week: uptimeAll(db, "7d", now), month: uptimeAll(db, "30d", now) };
}

function lastSweepAt(latest: ReturnType<typeof getLatestResults>): number | null {
  let at: number | null = null;
  for (const r of latest.values()) at = Math.max(at ?? 0, r.at);
  return at;
}

/** The certificate view, or undefined when it cannot be built (the Overview shows the rest). */
async function certificatesOrNone(configured: boolean): Promise<CertificatesView | undefined> {
  if (!configured) return undefined;
  try {
    return await getCertificatesView();
  } catch (error) {
    logger.warn({ err: (error as Error).message }, "the certificate view could not be built for the Overview");
    return undefined;
  }
}

/** The banner's certificate line: the headline and the worst problem. */
function certificateBanner(view: CertificatesView): NonNullable<OverviewData["certificates"]> {
  const worst = view.summary.problems[0];
  return {
    state: view.summary.state,
    headline: view.summary.headline,
    ...(worst ? { worst: { state: worst.signal.state, subject: worst.subject, message: worst.signal.message } } : {}),
    problems: view.summary.problems.length,
  };
}

/** How long a computed Overview is reused while nothing it reads has said it changed. */
const OVERVIEW_REUSE_MS = 2_000;

interface OverviewMemo {
  version: number;
  config: unknown;
  at: number;
  data: Promise<OverviewData>;
}

const memo = globalThis as typeof globalThis & {
  __panelOverviewMemo?: OverviewMemo;
  /** Bumped by every change of what the Overview reads: the cluster's caches, a probe result, a certificate signal. */
  __panelOverviewVersion?: number;
  __panelOverviewWatching?: boolean;
};

function watchOverviewInputs(configured: boolean): void {
  if (memo.__panelOverviewWatching) return;
  memo.__panelOverviewWatching = true;
  memo.__panelOverviewVersion ??= 0;
  const bump = () => {
    memo.__panelOverviewVersion = (memo.__panelOverviewVersion ?? 0) + 1;
    memo.__panelOverviewMemo = undefined;
  };
  onProbeResults(bump);
  if (configured) {
    onChange(bump);
    onCertificatesChanged(bump);
  }
}

/**
 * Everything the Overview shows. Reads caches and SQLite only: no call to the cluster or the apps.
 * Every view and every live refresh asks for it; one computation serves them all for up to two
 * seconds, and any change of the cluster's caches, of a probe result or of a certificate signal
 * makes the next ask compute it again (the live events go out after that change, so a refresh
 * they trigger never gets the model from before it). An explicit `now` always computes.
 */
export function getOverview(now?: number): Promise<OverviewData> {
  if (now !== undefined) return computeOverview(now);
  const at = Date.now();
  watchOverviewInputs(getConfig().kubernetes.mode !== "none");
  const version = memo.__panelOverviewVersion ?? 0;
  const config = getConfig();
  const last = memo.__panelOverviewMemo;
  if (last && last.version === version && last.config === config && at - last.at >= 0 && at - last.at < OVERVIEW_REUSE_MS) return last.data;
  const data = computeOverview(at);
  const entry: OverviewMemo = { version, config, at, data };
  memo.__panelOverviewMemo = entry;
  data.catch(() => {
    if (memo.__panelOverviewMemo === entry) memo.__panelOverviewMemo = undefined;
  });
  return data;
}

async function computeOverview(now: number): Promise<OverviewData> {
  const kubernetes = kubernetesState();
  const services = kubernetes.configured ? await listServices() : [];
  const latest = getLatestResults();
  const latency = recentLatencies(getDb(), now - SPARKLINE_MS);
  const uptime = uptimeMaps(now);
  const certs = await certificatesOrNone(kubernetes.configured);
  const certSignals = certs ? serviceCertificateSignals(certs) : new Map<string, CertificateNote>();
  return {
    services: services.map((s) => {
      const card = toCardData(
        summarizeService(s, latest, thinLatency(latency.get(s.id) ?? []), {
          day: uptime.day.get(s.id) ?? null,
          week: uptime.week.get(s.id) ?? null,
          month: uptime.month.get(s.id) ?? null,
        }),
      );
      const note = certSignals.get(s.id);
      return note ? { ...card, certificate: note } : card;
    }),
    kubernetes,
    applications: { problems: kubernetes.configured ? (await getApplicationsView()).problems : [] },
    lastSweepAt: lastSweepAt(latest),
    generatedAt: now,
    ...(certs ? { certificates: certificateBanner(certs) } : {}),
  };
}

/** Every certificate problem that concerns one service, worst first. */
function serviceCertificates(view: CertificatesView, id: string): CertificateNote[] {
  const notes: CertificateNote[] = [];
  for (const r of view.certificates) if (r.services.some((s) => s.id === id)) for (const sig of r.signals) notes.push({ state: sig.state, subject: `Certificate ${r.cert.id}`, message: sig.message });
  for (const r of view.hosts) if (r.services.some((s) => s.id === id)) for (const sig of r.signals) notes.push({ state: sig.state, subject: r.host, message: sig.message });
  for (const r of view.httpsOnly) if (r.services.some((s) => s.id === id)) for (const sig of r.signals) notes.push({ state: sig.state, subject: `${r.host} (Ingress ${r.ingress})`, message: sig.message });
  return worstFirst(notes);
}

function detailLinks(service: DiscoveredService, all: readonly DiscoveredService[]): ServiceDetail["links"] {
  const links: ServiceDetail["links"] = [];
  if (service.ingressUrls[0]) links.push({ label: "Open the app", href: service.ingressUrls[0], testId: "link-app" });
  const argocd = all.find((s) => s.appKind === "argocd" && s.ingressUrls.length > 0);
  if (service.argocdApp && argocd?.ingressUrls[0]) {
    const base = argocd.ingressUrls[0].replace(/\/$/, "");
    links.push({
      label: `Argo CD: ${service.argocdApp.name}`,
      href: `${base}/applications/${service.argocdApp.namespace}/${service.argocdApp.name}`,
      testId: "link-argocd",
    });
  }
  const { runbookBaseUrl } = getPanelSettings();
  if (runbookBaseUrl) {
    links.push({ label: "Runbook", href: `${runbookBaseUrl.replace(/\/$/, "")}/${service.appKind}`, testId: "link-runbook" });
  } else if (runbookIds().has(appRunbookId(service.appKind))) {
    // The panel's own runbook of the app kind (or the owner's from the GitOps repository).
    links.push({ label: "Runbook", href: `/runbooks/${appRunbookId(service.appKind)}`, testId: "link-runbook" });
  }
  return links;
}

/**
 * One service's page: its summary, the charts of `window`, and links. Undefined when it does not
 * exist. One read of the services list (the service, and Argo CD's address for the link); the
 * history and uptime of this service only.
 */
export async function getServiceDetail(
  namespace: string,
  name: string,
  window: HistoryWindow,
  now = Date.now(),
): Promise<ServiceDetail | undefined> {
  const kubernetes = kubernetesState();
  if (!kubernetes.configured) return undefined;
  const services = await listServices();
  const service = services.find((s) => s.id === `${namespace}/${name}`);
  if (!service) return undefined;
  const db = getDb();
  const summary = summarizeService(service, getLatestResults(), recentLatenciesOf(db, service.id, now - SPARKLINE_MS), {
    day: uptime(db, service.id, "24h", now),
    week: uptime(db, service.id, "7d", now),
    month: uptime(db, service.id, "30d", now),
  });
  const certs = await certificatesOrNone(true);
  return {
    summary,
    kubernetes,
    ...(certs ? { certificates: serviceCertificates(certs, service.id) } : {}),
    links: detailLinks(service, services),
    uptimeTargetPercent: getConfig().health.uptimeTargetPercent,
    history: {
      window,
      latency: latencySeries(db, service.id, window, now),
      availability: availabilitySeries(db, service.id, window, now).map((p) => ({ at: p.at, ratio: p.ratio })),
    },
  };
}

/**
 * The panel's verdict on the services `ids` (`namespace/name`) now: Kubernetes state from the
 * caches joined with the latest app probe, as on the Overview. Services not found are left out.
 */
export async function serviceVerdicts(ids: readonly string[]): Promise<Map<string, ServiceAfterSync>> {
  const out = new Map<string, ServiceAfterSync>();
  if (ids.length === 0 || kubernetesState().configured === false) return out;
  const wanted = new Set(ids);
  const latest = getLatestResults();
  for (const service of await listServices()) {
    if (!wanted.has(service.id)) continue;
    const { verdict } = summarizeService(service, latest, [], { day: null, week: null, month: null });
    const reason = verdict.reasons[0]?.message;
    out.set(service.id, { id: service.id, name: service.name, status: verdict.status, ...(verdict.status !== "up" && reason ? { reason } : {}) });
  }
  return out;
}
