import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { requireShared } from "../shared-fixture.test-helper";
import { emptySnapshot, type ClusterSnapshot, type KubeObject, type Pod, type Workload } from "./types";

/**
 * Test support: the user's manifests from the shared fixture (`../shared/fixtures/k8s_nas`, or
 * `$K8S_NAS_SHARED_DIR/fixtures/k8s_nas`), read as the API server would serve them, and a small
 * simulation of what the controllers add (ReplicaSets, ready pods) so the pure join can be tested
 * on the real shapes.
 */

/** Root of the fixture repository. */
export function fixtureRoot(): string {
  return requireShared("fixtures", "k8s_nas");
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return walk(full);
    return /\.ya?ml$/.test(entry) ? [full] : [];
  });
}

/** Every Kubernetes object under `apps/` of the fixture; a missing namespace is the one its folder defines. */
export function readFixtureObjects(): KubeObject[] {
  const byDir = new Map<string, KubeObject[]>();
  for (const file of walk(path.join(fixtureRoot(), "apps"))) {
    const docs = parseAllDocuments(readFileSync(file, "utf8"));
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      const value = doc.toJS() as unknown;
      if (!value || typeof value !== "object") continue;
      const o = value as KubeObject;
      if (!o.apiVersion || !o.kind || !o.metadata?.name) continue;
      const dir = path.dirname(file);
      byDir.set(dir, [...(byDir.get(dir) ?? []), o]);
    }
  }
  const out: KubeObject[] = [];
  for (const [, objs] of byDir) {
    const ns = objs.find((o) => o.kind === "Namespace")?.metadata?.name;
    for (const o of objs) {
      if (o.kind !== "Namespace" && !o.metadata?.namespace && ns && o.metadata) o.metadata.namespace = ns;
      out.push(o);
    }
  }
  return out;
}

let uidCounter = 0;
const uid = (prefix: string) => `${prefix}-${(++uidCounter).toString(16).padStart(8, "0")}`;

/** Options of {@link simulateCluster}. */
export interface SimulateOptions {
  /** Start time of the pods (ISO). */
  startTime?: string;
}

/**
 * The fixture as a running cluster would hold it: workloads with uids and ready status, one
 * ReplicaSet per Deployment, `replicas` ready pods each, PVCs Bound.
 */
export function simulateCluster(objects: readonly KubeObject[], opts: SimulateOptions = {}): ClusterSnapshot {
  const snap = emptySnapshot();
  const startTime = opts.startTime ?? "2026-01-01T00:00:00Z";
  const clone = <T>(o: T): T => structuredClone(o);
  const deployments: Workload[] = [];
  const replicasets: Workload[] = [];
  const pods: Pod[] = [];
  for (const raw of objects) {
    const o = clone(raw);
    if (o.metadata) o.metadata.uid ??= uid(o.kind ?? "obj");
    if (o.metadata) o.metadata.resourceVersion ??= "1";
    switch (o.kind) {
      case "Deployment": {
        const w = o as Workload;
        const replicas = w.spec?.replicas ?? 1;
        w.status = { observedGeneration: 1, replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas };
        deployments.push(w);
        const rsName = `${w.metadata?.name}-5d8f7c9b4`;
        const rs: Workload = {
          metadata: { name: rsName, namespace: w.metadata?.namespace, uid: uid("rs"), ownerReferences: [{ kind: "Deployment", name: w.metadata?.name ?? "", uid: w.metadata?.uid ?? "", controller: true }] },
          spec: { replicas, selector: w.spec?.selector, template: w.spec?.template },
        };
        replicasets.push(rs);
        for (let i = 0; i < replicas; i++) pods.push(podFor(w, rs, i, startTime));
        break;
      }
      case "Service":
        snap.services = [...snap.services, o];
        break;
      case "Ingress":
        snap.ingresses = [...snap.ingresses, o];
        break;
      case "IngressRoute":
        snap.ingressroutes = [...snap.ingressroutes, o];
        break;
      case "Middleware":
        snap.middlewares = [...snap.middlewares, o];
        break;
      case "HTTPRoute":
        snap.httproutes = [...snap.httproutes, o];
        break;
      case "Gateway":
        // Istio's Gateway (networking.istio.io) shares the name; only the Gateway API's is routed.
        if ((o.apiVersion ?? "").startsWith("gateway.networking.k8s.io/")) snap.gateways = [...snap.gateways, o];
        break;
      case "PersistentVolumeClaim":
        snap.pvcs = [...snap.pvcs, { ...o, status: { phase: "Bound", capacity: { storage: (o as { spec?: { resources?: { requests?: { storage?: string } } } }).spec?.resources?.requests?.storage ?? "1Gi" } } }];
        break;
      default:
        break;
    }
  }
  return { ...snap, deployments, replicasets, pods };
}

/** A ready pod of a workload, owned by `owner`. */
export function podFor(w: Workload, owner: Workload, i: number, startTime: string): Pod {
  const spec = w.spec?.template?.spec ?? {};
  const containers = spec.containers ?? [];
  return {
    metadata: {
      name: `${owner.metadata?.name}-p${i}`,
      namespace: w.metadata?.namespace,
      uid: uid("pod"),
      resourceVersion: "1",
      labels: { ...(w.spec?.template?.metadata?.labels ?? {}) },
      ownerReferences: [{ kind: owner === w ? (w.kind ?? "StatefulSet") : "ReplicaSet", name: owner.metadata?.name ?? "", uid: owner.metadata?.uid ?? "", controller: true }],
    },
    spec: { ...spec, nodeName: "lab-node-1" },
    status: {
      phase: "Running",
      startTime,
      conditions: [
        { type: "PodScheduled", status: "True" },
        { type: "Ready", status: "True" },
      ],
      containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, ready: true, restartCount: 0, state: { running: { startedAt: startTime } } })),
    },
  };
}
