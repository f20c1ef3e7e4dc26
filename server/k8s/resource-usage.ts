import "server-only";
import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import type { PodUsage } from "@/lib/alerts/resources";
import { kubeAnswerOf, kubeGet } from "./rest";

/**
 * What the cluster's APIs say beyond the informers' kinds:
 * - pods' CPU and memory from the metrics API (`GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods`,
 *   served by metrics-server, which k3s ships; RBAC: `list` of `pods.metrics.k8s.io` in each
 *   watched namespace, see deploy/rbac.yaml);
 * - whether the cluster serves a resource (API discovery, `GET /apis/{group}/{version}`, readable by
 *   every authenticated client): the PrometheusRule CRD of the Prometheus Operator.
 */

/** The metrics API: group/version and resource the panel lists. */
export const METRICS_API = { group: "metrics.k8s.io", version: "v1beta1", plural: "pods", verb: "list" } as const;

const podMetricsSchema = z.object({
  items: z
    .array(
      z.object({
        metadata: z.object({ name: z.string(), namespace: z.string() }).loose(),
        containers: z.array(z.object({ name: z.string(), usage: z.object({ cpu: z.string().optional(), memory: z.string().optional() }).loose() })).default([]),
      }),
    )
    .default([]),
});

/** Usage of the pods of one namespace; rejects with a Kubernetes AppError (`not_found` when the metrics API is not served). */
export async function listPodUsage(kc: KubeConfig, namespace: string, timeoutMs: number): Promise<PodUsage[]> {
  const list = await kubeGet(kc, `/apis/${METRICS_API.group}/${METRICS_API.version}/namespaces/${encodeURIComponent(namespace)}/pods`, podMetricsSchema, { timeoutMs });
  return list.items.map((i) => ({
    namespace: i.metadata.namespace,
    pod: i.metadata.name,
    containers: i.containers.map((c) => ({ name: c.name, cpu: c.usage.cpu, memory: c.usage.memory })),
  }));
}

const resourceListSchema = z.object({ resources: z.array(z.object({ name: z.string() }).loose()).default([]) });

/** True when the cluster serves `resource` in `group/version` (false on 404); rejects on other failures. */
export async function servesResource(kc: KubeConfig, group: string, version: string, resource: string, timeoutMs: number): Promise<boolean> {
  try {
    const list = await kubeGet(kc, `/apis/${group}/${version}`, resourceListSchema, { timeoutMs });
    return list.resources.some((r) => r.name === resource);
  } catch (error) {
    if (kubeAnswerOf(error)?.status === 404) return false;
    throw error;
  }
}
