import { parseQuantity } from "../k8s/quantity";

/**
 * CPU and memory of each container against its limit: usage from the cluster's metrics API
 * (`metrics.k8s.io/v1beta1` PodMetrics, what metrics-server serves), limits from the workload's pod
 * template. Containers without a limit have no ratio (an unlimited container cannot be "at its
 * limit"). Pure.
 */

/** One pod's usage, as PodMetrics reports it. */
export interface PodUsage {
  namespace: string;
  pod: string;
  containers: Array<{ name: string; cpu?: string; memory?: string }>;
}

/** A service's pods and its containers' limits. */
export interface ServiceLimits {
  namespace: string;
  service: string;
  pods: readonly string[];
  limits: Record<string, { cpu?: string; memory?: string }>;
}

/** One container's share of its limits (0.5 = half), null where it has no limit. */
export interface ContainerRatio {
  namespace: string;
  service: string;
  pod: string;
  container: string;
  cpu: number | null;
  memory: number | null;
}

export function resourceRatios(usage: readonly PodUsage[], services: readonly ServiceLimits[]): ContainerRatio[] {
  const byPod = new Map<string, ServiceLimits>();
  for (const s of services) for (const p of s.pods) byPod.set(`${s.namespace}/${p}`, s);
  const out: ContainerRatio[] = [];
  for (const u of usage) {
    const service = byPod.get(`${u.namespace}/${u.pod}`);
    if (!service) continue;
    for (const c of u.containers) {
      const limit = service.limits[c.name];
      const ratio = (used: string | undefined, max: string | undefined): number | null => {
        const a = parseQuantity(used);
        const b = parseQuantity(max);
        return a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null;
      };
      const cpu = ratio(c.cpu, limit?.cpu);
      const memory = ratio(c.memory, limit?.memory);
      if (cpu === null && memory === null) continue;
      out.push({ namespace: u.namespace, service: service.service, pod: u.pod, container: c.name, cpu, memory });
    }
  }
  return out;
}
