import { createHash } from 'node:crypto';
import { splitApiVersion, type KubeObject } from '../cluster/kube-http';
import { SYNC_WAVE_ANNOTATION } from './tracking';

/**
 * Pure helpers of the comparison and sync: what of an object takes part in a diff, the order Argo CD
 * applies resources in, resource references, and the summary Argo CD keeps of an Application.
 */

/** group/kind/namespace/name of a resource. */
export interface ResourceRef {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The reference of an object. */
export function refOf(obj: KubeObject): ResourceRef {
  const { group, version } = splitApiVersion(obj.apiVersion);
  return { group, version, kind: obj.kind, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), name: obj.metadata.name };
}

/** A key that names one resource whatever its version: `group/Kind/namespace/name`. */
export function keyOf(obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${splitApiVersion(obj.apiVersion).group}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

/** The same key from a reference. */
export function keyOfRef(r: { group?: string; kind: string; namespace?: string; name: string }): string {
  return `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

/** kubectl's way of naming a resource in messages: `deployment.apps/sonarr`, `service/sonarr`. */
export function kubectlName(obj: { apiVersion: string; kind: string; metadata: { name: string } }): string {
  const { group } = splitApiVersion(obj.apiVersion);
  return `${obj.kind.toLowerCase()}${group ? `.${group}` : ''}/${obj.metadata.name}`;
}

const VOLATILE_METADATA = ['managedFields', 'resourceVersion', 'generation', 'creationTimestamp', 'uid', 'selfLink'];

/**
 * The part of an object a diff looks at: everything but status and the metadata the API server keeps
 * for itself. Comparing the API server's dry-run of the desired object with the live object this way
 * is Argo CD's server-side diff: defaults, admission and field ownership are the API server's own.
 */
export function comparable(obj: KubeObject): Record<string, unknown> {
  const copy = structuredClone(obj) as Record<string, unknown> & { metadata: Record<string, unknown> };
  delete copy.status;
  for (const k of VOLATILE_METADATA) delete copy.metadata[k];
  return copy;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Whether two objects are the same for a diff (see {@link comparable}). */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(canonical(comparable(a))) === JSON.stringify(canonical(comparable(b)));
}

/** The fields of `desired` that differ from `live` (dotted paths, for log lines and messages). */
export function differingPaths(desired: KubeObject, live: KubeObject, limit = 5): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, at: string) => {
    if (out.length >= limit) return;
    if (JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
      return;
    }
    out.push(at);
  };
  walk(comparable(desired), comparable(live), '');
  return out;
}

/** A stable hash of an object's content. */
export function contentHash(obj: unknown): string {
  return createHash('sha1').update(JSON.stringify(canonical(obj))).digest('hex');
}

/** The order in which Helm, and so Argo CD's sync, creates kinds; other kinds come after. */
export const KIND_ORDER = [
  'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget', 'ServiceAccount',
  'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim', 'CustomResourceDefinition',
  'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'Role', 'RoleList', 'RoleBinding',
  'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet', 'Deployment',
  'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService',
];

/** An object's sync wave (`argocd.argoproj.io/sync-wave`, default 0). */
export function syncWave(obj: KubeObject): number {
  const v = Number(obj.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? 0);
  return Number.isFinite(v) ? v : 0;
}

/** Objects in the order a sync applies them: by wave, then kind order, then name. */
export function syncOrder<T extends KubeObject>(objects: readonly T[]): T[] {
  const rank = (k: string) => {
    const i = KIND_ORDER.indexOf(k);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return [...objects].sort(
    (a, b) =>
      syncWave(a) - syncWave(b) ||
      rank(a.kind) - rank(b.kind) ||
      a.kind.localeCompare(b.kind) ||
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

function podSpecsOf(obj: KubeObject): Record<string, unknown>[] {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  if (obj.kind === 'Pod') return [spec];
  if (obj.kind === 'CronJob') {
    const tpl = (((spec.jobTemplate ?? {}) as Record<string, unknown>).spec ?? {}) as Record<string, unknown>;
    const ps = ((tpl.template ?? {}) as Record<string, unknown>).spec;
    return ps ? [ps as Record<string, unknown>] : [];
  }
  const ps = ((spec.template ?? {}) as Record<string, unknown>).spec;
  return ps ? [ps as Record<string, unknown>] : [];
}

/** Container images of workload-like objects (Deployments, StatefulSets, Jobs, CronJobs, Pods...). */
export function imagesOf(obj: KubeObject): string[] {
  const out: string[] = [];
  for (const ps of podSpecsOf(obj)) {
    for (const key of ['initContainers', 'containers']) {
      const list = ps[key];
      if (Array.isArray(list)) for (const c of list) if (c && typeof (c as Record<string, unknown>).image === 'string') out.push((c as { image: string }).image);
    }
  }
  return out;
}

/** External URLs of Ingresses (`https://host/path`, http when no TLS entry covers the host), as Argo CD lists them. */
export function externalUrlsOf(obj: KubeObject): string[] {
  if (obj.kind !== 'Ingress') return [];
  const spec = (obj.spec ?? {}) as { rules?: { host?: string; http?: { paths?: { path?: string }[] } }[]; tls?: { hosts?: string[] }[] };
  const tlsHosts = new Set((spec.tls ?? []).flatMap((t) => t.hosts ?? []));
  const out: string[] = [];
  for (const rule of spec.rules ?? []) {
    if (!rule.host) continue;
    const scheme = tlsHosts.has(rule.host) ? 'https' : 'http';
    const paths = rule.http?.paths ?? [{ path: '' }];
    for (const p of paths) out.push(`${scheme}://${rule.host}${(p.path ?? '').replace(/\(.*$/, '')}`);
  }
  return out;
}

/** An Application's `status.summary`: the images and external URLs of its live resources. */
export function summaryOf(live: readonly KubeObject[]): { images?: string[]; externalURLs?: string[] } {
  const images = [...new Set(live.flatMap(imagesOf))].sort();
  const urls = [...new Set(live.flatMap(externalUrlsOf))].sort();
  return { ...(urls.length ? { externalURLs: urls } : {}), ...(images.length ? { images } : {}) };
}

/** One condition of an Application's status. */
export interface AppCondition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}

/** New conditions, keeping the transition time of those that did not change (type and message). */
export function carryConditions(previous: readonly AppCondition[] | undefined, next: readonly AppCondition[], now: string): AppCondition[] {
  return next.map((c) => {
    const before = previous?.find((p) => p.type === c.type && p.message === c.message);
    return { ...c, lastTransitionTime: before?.lastTransitionTime ?? now };
  });
}
