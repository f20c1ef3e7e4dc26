import "server-only";
import type { Container, KubeObject, ObjectMeta, Pod, Workload } from "@/lib/k8s/types";

/**
 * What the informer caches keep of each object: the fields discovery reads. Pods and ReplicaSets are
 * the bulk of a cluster (3,000 pods at ten times a home lab) and the join needs little of each;
 * workloads, Services, Ingresses, PVCs and Events keep everything but managedFields and the
 * last-applied annotation. These functions change the object they are given in place (measured:
 * rebuilding objects costs V8 more memory than deleting fields from the parsed ones) and return it;
 * they are applied to objects fresh from JSON.parse, owned by the cache.
 */

const DROPPED_ANNOTATIONS = ["kubectl.kubernetes.io/last-applied-configuration"];

function slimMeta(meta: (ObjectMeta & { managedFields?: unknown }) | undefined): void {
  if (!meta) return;
  delete meta.managedFields;
  if (meta.annotations) for (const a of DROPPED_ANNOTATIONS) delete meta.annotations[a];
}

/** Any object: metadata without managedFields and the last-applied annotation. */
export function slimObject<T extends KubeObject>(obj: T): T {
  slimMeta(obj.metadata);
  return obj;
}

const slimContainer = (c: Container): Container => ({
  name: c.name,
  ...(c.image !== undefined ? { image: c.image } : {}),
  ...(c.restartPolicy !== undefined ? { restartPolicy: c.restartPolicy } : {}),
});

/** A pod keeps its identity, node, container names and images (native sidecars among init containers) and its status. */
export function slimPod(pod: Pod): Pod {
  slimMeta(pod.metadata);
  const spec = pod.spec;
  if (spec) {
    pod.spec = {
      ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
      containers: (spec.containers ?? []).map(slimContainer),
      ...(spec.initContainers ? { initContainers: spec.initContainers.filter((c) => c.restartPolicy === "Always").map(slimContainer) } : {}),
    };
  }
  return pod;
}

/** A ReplicaSet keeps only who it is and who owns it. */
export function slimReplicaSet(rs: Workload): Workload {
  slimMeta(rs.metadata);
  delete rs.spec;
  delete rs.status;
  return rs;
}
