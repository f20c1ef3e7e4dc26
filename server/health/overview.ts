import "server-only";
import { toCardData, type HistoryWindow, type OverviewData, type ServiceDetail } from "@/lib/overview";
import type { DiscoveredService, ServiceSummary } from "@/lib/services";
import { verdictOf } from "@/lib/verdict";
import { getAppModule } from "@/server/apps/registry";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { availabilitySeries, latencySeries, recentLatencies, uptimeAll } from "@/server/db/probes";
import { readSettings } from "@/server/db/settings";
import { getKubeState, getService, listServices } from "@/server/k8s";
import { getLatestResults } from "@/server/probes/scheduler";
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
  return getAppModule(service.appKind)?.displayName ?? service.displayName;
}

/**
 * Joins the live Kubernetes view (the informers' caches) with the latest app health of each service:
 * the verdict is recomputed from the current Kubernetes state, so a scaled or crashing workload shows
 * at once, without waiting for the next probe.
 */
function summarizeService(
  service: DiscoveredService,
  latest: ReturnType<typeof getLatestResults>,
  latency: Map<string, Array<{ at: number; ms: number | null }>>,
  uptime: { day: Map<string, number | null>; week: Map<string, number | null>; month: Map<string, number | null> },
): ServiceSummary {
  const thresholds = proberSettingsOf(getConfig()).thresholds;
  const probe = latest.get(service.id);
  const app = probe?.app ? { ...probe.app, checkedAt: probe.at } : undefined;
  return {
    service,
    ...(app ? { app } : {}),
    verdict: verdictOf(service.kube, probe?.app, thresholds, { appName: appName(service) }),
    latency: latency.get(service.id) ?? [],
    uptime: {
      day: uptime.day.get(service.id) ?? null,
      week: uptime.week.get(service.id) ?? null,
      month: uptime.month.get(service.id) ?? null,
    },
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

/** Everything the Overview shows. Reads caches and SQLite only: no call to the cluster or the apps. */
export async function getOverview(now = Date.now()): Promise<OverviewData> {
  const kubernetes = kubernetesState();
  const services = kubernetes.configured ? await listServices() : [];
  const latest = getLatestResults();
  const latency = recentLatencies(getDb(), now - SPARKLINE_MS);
  const uptime = uptimeMaps(now);
  return {
    services: services.map((s) => toCardData(summarizeService(s, latest, latency, uptime))),
    kubernetes,
    lastSweepAt: lastSweepAt(latest),
    generatedAt: now,
  };
}

function detailLinks(service: DiscoveredService, all: DiscoveredService[]): ServiceDetail["links"] {
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
  const { runbookBaseUrl } = readSettings(getDb());
  if (runbookBaseUrl) {
    links.push({ label: "Runbook", href: `${runbookBaseUrl.replace(/\/$/, "")}/${service.appKind}`, testId: "link-runbook" });
  }
  return links;
}

/** One service's page: its summary, the charts of `window`, and links. Undefined when it does not exist. */
export async function getServiceDetail(
  namespace: string,
  name: string,
  window: HistoryWindow,
  now = Date.now(),
): Promise<ServiceDetail | undefined> {
  const kubernetes = kubernetesState();
  if (!kubernetes.configured) return undefined;
  const service = await getService(`${namespace}/${name}`);
  if (!service) return undefined;
  const db = getDb();
  const latest = getLatestResults();
  const summary = summarizeService(service, latest, recentLatencies(db, now - SPARKLINE_MS), uptimeMaps(now));
  return {
    summary,
    kubernetes,
    links: detailLinks(service, await listServices()),
    uptimeTargetPercent: getConfig().health.uptimeTargetPercent,
    history: {
      window,
      latency: latencySeries(db, service.id, window, now),
      availability: availabilitySeries(db, service.id, window, now).map((p) => ({ at: p.at, ratio: p.ratio })),
    },
  };
}
