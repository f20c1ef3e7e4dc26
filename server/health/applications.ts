import "server-only";
import type { ApplicationsData } from "@/lib/gitops/argo-status";
import { getConfig } from "@/server/config/load";
import { getApplicationsView, getKubeState, listServices } from "@/server/k8s";

/**
 * The Applications view: every Argo CD Application and ApplicationSet from the informers' caches,
 * with the services each Application deploys (so a row links to their pages). Reads caches only.
 */
export async function getApplicationsData(now = Date.now()): Promise<ApplicationsData> {
  const config = getConfig();
  if (config.kubernetes.mode === "none") {
    return { applications: [], applicationSets: [], problems: [], servicesByApp: {}, synced: false, message: "Kubernetes is not configured (kubernetes.mode: none).", argocdNamespace: config.discovery.argocdNamespace, generatedAt: now };
  }
  const [view, services] = await Promise.all([getApplicationsView(), listServices()]);
  const servicesByApp: Record<string, Array<{ id: string; displayName: string }>> = {};
  for (const s of services) {
    if (!s.argocdApp) continue;
    (servicesByApp[`${s.argocdApp.namespace}/${s.argocdApp.name}`] ??= []).push({ id: s.id, displayName: s.displayName });
  }
  const state = getKubeState();
  const message = view.error ?? (state.connected ? undefined : state.message);
  return {
    applications: view.applications,
    applicationSets: view.applicationSets,
    problems: view.problems,
    servicesByApp,
    synced: view.synced,
    ...(message ? { message } : {}),
    argocdNamespace: config.discovery.argocdNamespace,
    generatedAt: now,
  };
}
