import "server-only";
import { resourceRatios, type ContainerRatio, type ServiceLimits } from "@/lib/alerts/resources";
import { toAppError } from "@/lib/errors";
import type { Workload } from "@/lib/k8s/types";
import { clusterSnapshot, listPodUsageEverywhere, listServices } from "@/server/k8s";
import { kubeAnswerOf } from "@/server/k8s/rest";
import { log } from "./parts";

/**
 * CPU and memory of every container against its limit, read from the metrics API every minute (a
 * scrape only reads the last figures). Where the cluster does not serve the metrics API, the figures
 * are absent and `panel_resource_metrics_available` is 0, with the reason on the Alerts page.
 */

export interface ResourceFigures {
  at: number;
  available: boolean;
  /** Why there are no figures (not served, refused). */
  reason: string | null;
  ratios: ContainerRatio[];
}

const holder = globalThis as typeof globalThis & { __panelResources?: ResourceFigures; __panelResourcesTimer?: NodeJS.Timeout };
const EVERY_MS = 60_000;

/** The last figures (undefined before the first read). */
export function resourceFigures(): ResourceFigures | undefined {
  return holder.__panelResources;
}

function limitsOf(w: Workload | undefined): ServiceLimits["limits"] {
  const out: ServiceLimits["limits"] = {};
  for (const c of w?.spec?.template?.spec?.containers ?? []) {
    const l = c.resources?.limits;
    if (l && (l.cpu || l.memory)) out[c.name] = { cpu: l.cpu, memory: l.memory };
  }
  return out;
}

/** Reads usage and limits once. */
export async function readResourceFigures(): Promise<ResourceFigures> {
  const at = Date.now();
  try {
    const [usage, services] = await Promise.all([listPodUsageEverywhere(), listServices()]);
    const snapshot = clusterSnapshot();
    const workloads = { Deployment: snapshot.deployments, StatefulSet: snapshot.statefulsets, DaemonSet: snapshot.daemonsets };
    const limits: ServiceLimits[] = services.map((s) => ({
      namespace: s.namespace,
      service: s.name,
      pods: s.kube.pods.map((p) => p.name),
      limits: limitsOf(workloads[s.workloadKind].find((w) => w.metadata?.namespace === s.namespace && w.metadata?.name === s.name)),
    }));
    holder.__panelResources = { at, available: true, reason: null, ratios: resourceRatios(usage, limits) };
  } catch (error) {
    const status = kubeAnswerOf(error)?.status;
    const reason =
      status === 404
        ? "The cluster does not serve the metrics API (metrics.k8s.io): install metrics-server (k3s ships it) for the CPU and memory figures."
        : status === 403
          ? "The panel may not list pods.metrics.k8s.io: apply the Role in deploy/rbac.yaml."
          : `The metrics API could not be read: ${toAppError(error).message}`;
    if (holder.__panelResources?.reason !== reason) log.warn({ reason }, "no CPU and memory figures");
    holder.__panelResources = { at, available: false, reason, ratios: [] };
  }
  return holder.__panelResources;
}

/** Reads the figures now and every minute. */
export function startResourceFigures(): void {
  if (holder.__panelResourcesTimer) return;
  const tick = () => void readResourceFigures().catch(() => undefined);
  tick();
  holder.__panelResourcesTimer = setInterval(tick, EVERY_MS);
  holder.__panelResourcesTimer.unref();
}
