import "server-only";
import type { CertManagerCertificateRequest, ClusterSnapshot, CronJob, KubeObject, Pod, Workload } from "@/lib/k8s/types";
import { slimApplication, slimCertificateRequest, slimCronJob, slimObject, slimPod, slimReplicaSet } from "./slim";

/**
 * The kinds discovery watches, each a tiny descriptor: where its REST path lives and which snapshot
 * list it fills. Events are core/v1 (the same objects events.k8s.io/v1 serves; core/v1 supports the
 * `type=Warning` field selector, so only warnings are cached). Kinds of a CRD (Traefik's routers and
 * middlewares, the Gateway API's routes and gateways) are `optional`: their informer starts once the
 * API server serves them, and empties when they go away. Two descriptors may fill one list (Traefik's
 * `traefik.io` group and Traefik v2's `traefik.containo.us`).
 */
export interface KindDescriptor<N extends string = keyof ClusterSnapshot> {
  /** Key in KubeState.kinds and in change notifications; the ClusterSnapshot field of discovery's kinds. */
  name: N;
  /** `""` for the core group. */
  group: string;
  version: string;
  /** Resource name in the path. */
  plural: string;
  fieldSelector?: string;
  /** True for a kind that lives outside namespaces (ClusterIssuers): one cluster-wide watch, never filtered. */
  clusterScoped?: boolean;
  /** True for a kind a CRD provides: watched only while the API server serves it. */
  optional?: boolean;
  /** What the cache keeps of an object (default: all but managedFields and the last-applied annotation). */
  slim: (obj: KubeObject) => KubeObject;
  /**
   * `argocd-namespace`: watched in Argo CD's namespace only (`discovery.argocdNamespace`), whatever the watched
   * namespaces are; its Role there grants it (deploy/rbac.yaml). `velero-namespace`: likewise in
   * Velero's namespace (`backups.veleroNamespace`). Default: every watched namespace.
   */
  scope?: "argocd-namespace" | "velero-namespace";
}

export const INFORMER_KINDS: readonly KindDescriptor[] = [
  { name: "deployments", group: "apps", version: "v1", plural: "deployments", slim: slimObject },
  { name: "statefulsets", group: "apps", version: "v1", plural: "statefulsets", slim: slimObject },
  { name: "daemonsets", group: "apps", version: "v1", plural: "daemonsets", slim: slimObject },
  { name: "replicasets", group: "apps", version: "v1", plural: "replicasets", slim: (o) => slimReplicaSet(o as Workload) },
  { name: "pods", group: "", version: "v1", plural: "pods", slim: (o) => slimPod(o as Pod) },
  { name: "services", group: "", version: "v1", plural: "services", slim: slimObject },
  { name: "ingresses", group: "networking.k8s.io", version: "v1", plural: "ingresses", slim: slimObject },
  { name: "pvcs", group: "", version: "v1", plural: "persistentvolumeclaims", slim: slimObject },
  { name: "events", group: "", version: "v1", plural: "events", fieldSelector: "type=Warning", slim: slimObject },
  // Certificates (docs/certificates.md): cert-manager's state, and the CronJobs that copy its Secrets.
  { name: "certificates", group: "cert-manager.io", version: "v1", plural: "certificates", slim: slimObject },
  { name: "certificaterequests", group: "cert-manager.io", version: "v1", plural: "certificaterequests", slim: (o) => slimCertificateRequest(o as CertManagerCertificateRequest) },
  { name: "issuers", group: "cert-manager.io", version: "v1", plural: "issuers", slim: slimObject },
  { name: "clusterissuers", group: "cert-manager.io", version: "v1", plural: "clusterissuers", clusterScoped: true, slim: slimObject },
  { name: "cronjobs", group: "batch", version: "v1", plural: "cronjobs", slim: (o) => slimCronJob(o as CronJob) },
  { name: "applications", group: "argoproj.io", version: "v1alpha1", plural: "applications", scope: "argocd-namespace", optional: true, slim: slimApplication },
  { name: "applicationsets", group: "argoproj.io", version: "v1alpha1", plural: "applicationsets", scope: "argocd-namespace", optional: true, slim: slimObject },
  // Velero's Backups and Schedules (docs/backups.md), read-only, when its CRDs are installed.
  { name: "velerobackups", group: "velero.io", version: "v1", plural: "backups", scope: "velero-namespace", optional: true, slim: slimObject },
  { name: "veleroschedules", group: "velero.io", version: "v1", plural: "schedules", scope: "velero-namespace", optional: true, slim: slimObject },
  { name: "ingressroutes", group: "traefik.io", version: "v1alpha1", plural: "ingressroutes", optional: true, slim: slimObject },
  { name: "middlewares", group: "traefik.io", version: "v1alpha1", plural: "middlewares", optional: true, slim: slimObject },
  { name: "ingressroutes", group: "traefik.containo.us", version: "v1alpha1", plural: "ingressroutes", optional: true, slim: slimObject },
  { name: "middlewares", group: "traefik.containo.us", version: "v1alpha1", plural: "middlewares", optional: true, slim: slimObject },
  { name: "httproutes", group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", optional: true, slim: slimObject },
  { name: "gateways", group: "gateway.networking.k8s.io", version: "v1", plural: "gateways", optional: true, slim: slimObject },
];

/**
 * The panel's only writes to the cluster, beside the informers' reads: `verb group/resource` as RBAC
 * names them. `deploy/` grants exactly these (deploy/deploy.test.ts derives the Roles from this list
 * and INFORMER_KINDS); configuration itself only ever changes through Git.
 */
export const CLUSTER_WRITES = [
  // "Renew now": the Issuing condition of a Certificate, as `cmctl renew` sets it (server/k8s/certificates.ts).
  { verb: "patch", group: "cert-manager.io", resource: "certificates/status" },
] as const;

/**
 * The kinds the backups feature watches, only in the namespaces that hold backups
 * (`backups.namespaces`): the backup CronJobs and the Jobs made from them (deploy/backups.yaml
 * grants list and watch of exactly these there).
 */
export const BACKUP_KINDS: readonly KindDescriptor<"cronjobs" | "jobs">[] = [
  { name: "cronjobs", group: "batch", version: "v1", plural: "cronjobs", slim: slimObject },
  { name: "jobs", group: "batch", version: "v1", plural: "jobs", slim: slimObject },
];

/** Names of the kinds, as reported in KubeState and change notifications. */
export type InformerKind = KindDescriptor["name"];

/** The API discovery path of a kind's group and version (`/api/v1`, `/apis/traefik.io/v1alpha1`). */
export function groupVersionPath(kind: Pick<KindDescriptor, "group" | "version">): string {
  return kind.group === "" ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
}

/** REST path of a kind, in one namespace or cluster-wide. */
export function kindPath(kind: KindDescriptor<string>, namespace?: string): string {
  const base = kind.group === "" ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  return namespace ? `${base}/namespaces/${namespace}/${kind.plural}` : `${base}/${kind.plural}`;
}

/**
 * Subresources the panel reads by name in the watched namespaces (beyond the informers' list and
 * watch): `get pods/log` for the logs on a service's page (`server/k8s/logs.ts`). deploy/rbac.yaml
 * grants exactly these, per watched namespace; its test derives the rules from this list.
 */
export const SUBRESOURCE_READS = [{ group: "", resource: "pods/log", verb: "get" }] as const;
