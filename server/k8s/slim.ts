import "server-only";
import { X509Certificate } from "node:crypto";
import type { CertManagerCertificateRequest, Container, CronJob, KubeObject, ObjectMeta, Pod, Workload } from "@/lib/k8s/types";

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

/** CPU and memory of a requests or limits list (what the service page charts usage against). */
function cpuAndMemory(list: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const kept = Object.fromEntries(Object.entries(list).filter(([k]) => k === "cpu" || k === "memory"));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

const slimContainer = (c: Container): Container => {
  const requests = cpuAndMemory(c.resources?.requests);
  const limits = cpuAndMemory(c.resources?.limits);
  return {
    name: c.name,
    ...(c.image !== undefined ? { image: c.image } : {}),
    ...(c.restartPolicy !== undefined ? { restartPolicy: c.restartPolicy } : {}),
    ...(requests || limits ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } } : {}),
  };
};

/**
 * A pod keeps its identity, node, container names, images and CPU/memory requests and limits (native
 * sidecars among init containers) and its status.
 */
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

/** A word that may name a Kubernetes object: a lowercase DNS-1123 name with a `-` or `.` in it. */
const NAME_WORD = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface TemplateContainer {
  command?: unknown;
  args?: unknown;
  env?: Array<{ value?: unknown }>;
}

/** The distinct object-name-like words of containers' commands, arguments and environment values. */
export function mentionedNames(containers: readonly TemplateContainer[]): string[] {
  const words = new Set<string>();
  const add = (text: unknown) => {
    if (typeof text !== "string") return;
    for (const word of text.split(/[^A-Za-z0-9._-]+/)) {
      const w = word.replace(/^[.-]+|[.-]+$/g, "");
      if (w.length <= 253 && /[a-z]/.test(w) && /[-.]/.test(w) && NAME_WORD.test(w)) words.add(w);
    }
  };
  for (const c of containers) {
    for (const part of [c.command, c.args]) if (Array.isArray(part)) part.forEach(add);
    for (const e of c.env ?? []) add(e.value);
  }
  return [...words].sort();
}

/**
 * A CronJob keeps its schedule, suspension and status, and the object names its jobs mention (so a
 * CronJob that copies a Secret is found by the Secret's name); the job template itself is dropped.
 * Words without a `-` or `.` (keys, tokens) are not kept.
 */
export function slimCronJob(cj: CronJob): CronJob {
  slimMeta(cj.metadata);
  const spec = cj.spec as (CronJob["spec"] & { jobTemplate?: { spec?: { template?: { spec?: { containers?: TemplateContainer[]; initContainers?: TemplateContainer[] } } } } }) | undefined;
  const pod = spec?.jobTemplate?.spec?.template?.spec;
  cj.mentions = mentionedNames([...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]);
  if (spec) {
    cj.spec = {
      ...(spec.schedule !== undefined ? { schedule: spec.schedule } : {}),
      ...(spec.suspend !== undefined ? { suspend: spec.suspend } : {}),
      ...(spec.timeZone !== undefined ? { timeZone: spec.timeZone } : {}),
    };
  }
  return cj;
}

/**
 * A CertificateRequest keeps its metadata and conditions, and of the certificate it produced only its
 * serial and validity (read from the public PEM in `status.certificate`); the CSR, the PEM and the CA
 * are dropped.
 */
export function slimCertificateRequest(cr: CertManagerCertificateRequest): CertManagerCertificateRequest {
  slimMeta(cr.metadata);
  const status = cr.status as (CertManagerCertificateRequest["status"] & { certificate?: string; ca?: string }) | undefined;
  if (status?.certificate) {
    try {
      const cert = new X509Certificate(Buffer.from(status.certificate, "base64"));
      cr.issued = { serial: cert.serialNumber.toUpperCase(), notBefore: new Date(cert.validFrom).toISOString(), notAfter: new Date(cert.validTo).toISOString() };
    } catch {
      // Not a certificate: nothing to keep of it.
    }
  }
  if (status) {
    delete status.certificate;
    delete status.ca;
  }
  const spec = cr.spec as (CertManagerCertificateRequest["spec"] & { request?: string }) | undefined;
  if (spec) delete spec.request;
  return cr;
}

/**
 * An Argo CD Application keeps its spec and status but not the rendered summary, the sync history
 * and the per-resource results of the last operation (the panel shows the resources from
 * `status.resources`).
 */
export function slimApplication<T extends KubeObject>(app: T): T {
  slimMeta(app.metadata);
  const status = (app as { status?: Record<string, unknown> }).status;
  if (status) {
    delete status.summary;
    delete status.history;
    const op = status.operationState as { syncResult?: Record<string, unknown> } | undefined;
    if (op?.syncResult) delete op.syncResult.resources;
  }
  return app;
}
