import type { KubeObject } from './kube-http';
import { splitApiVersion } from './kube-http';
import type { AppSource } from './gitops';

/**
 * Status shapes written where the real controller (cert-manager, Argo CD) does not run in the lab.
 * They follow the controllers' own status fields so the panel reads them like production.
 */

const DAY = 86_400_000;

/** Parses a Go duration ("2592000s", "720h", "1h30m") into milliseconds. */
export function parseGoDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  let total = 0;
  let matched = false;
  for (const m of s.matchAll(re)) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return matched ? total : undefined;
}

/** Validity window chosen for a lab Certificate. */
export interface CertificateWindow {
  notBefore: Date;
  notAfter: Date;
  renewalTime: Date;
  expiring: boolean;
}

/**
 * A realistic validity window: Let's Encrypt-like 90-day certificates; a healthy one was issued 20 days
 * ago, an expiring one 80 days ago (10 days left, renewal overdue). renewalTime honours spec.renewBefore
 * (cert-manager's default is 1/3 of the duration).
 */
export function certificateWindow(cert: KubeObject, expiring: boolean, now = new Date()): CertificateWindow {
  const spec = (cert.spec ?? {}) as Record<string, unknown>;
  const duration = parseGoDuration(typeof spec.duration === 'string' ? spec.duration : undefined) ?? 90 * DAY;
  const age = expiring ? duration - 10 * DAY : Math.min(20 * DAY, duration / 4);
  const notBefore = new Date(Math.floor((now.getTime() - age) / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + duration);
  const renewBefore = parseGoDuration(typeof spec.renewBefore === 'string' ? spec.renewBefore : undefined) ?? duration / 3;
  return { notBefore, notAfter, renewalTime: new Date(notAfter.getTime() - renewBefore), expiring };
}

/** cert-manager Certificate status for a window (expiring ones show failed renewal attempts). */
export function certificateStatus(window: CertificateWindow, ready = true, reason?: string, now = new Date()): Record<string, unknown> {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conditions: Record<string, unknown>[] = [
    ready
      ? {
          type: 'Ready',
          status: 'True',
          reason: reason ?? 'Ready',
          message: 'Certificate is up to date and has not expired',
          lastTransitionTime: iso(window.notBefore),
          observedGeneration: 1,
        }
      : {
          type: 'Ready',
          status: 'False',
          reason: reason ?? 'Failed',
          message: 'The certificate request has failed to complete and will be retried',
          lastTransitionTime: iso(now),
          observedGeneration: 1,
        },
  ];
  const status: Record<string, unknown> = {
    conditions,
    notBefore: iso(window.notBefore),
    notAfter: iso(window.notAfter),
    renewalTime: iso(window.renewalTime),
    revision: window.expiring ? 3 : 1,
  };
  if (window.expiring || !ready) {
    conditions.push({
      type: 'Issuing',
      status: 'False',
      reason: 'Failed',
      message: 'The certificate request has failed to complete and will be retried: DNS-01 challenge did not propagate',
      lastTransitionTime: iso(now),
      observedGeneration: 1,
    });
    status.lastFailureTime = iso(now);
    status.failedIssuanceAttempts = 3;
  }
  return status;
}

/** Ready status of an Issuer/ClusterIssuer (ACME issuers also get a registered account). */
export function issuerStatus(issuer: KubeObject, now = new Date()): Record<string, unknown> {
  const spec = (issuer.spec ?? {}) as Record<string, unknown>;
  const acme = spec.acme as Record<string, unknown> | undefined;
  const iso = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status: Record<string, unknown> = {
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: acme ? 'ACMEAccountRegistered' : 'KeyPairVerified',
        message: acme ? 'The ACME account was registered with the ACME server' : 'Signing CA verified',
        lastTransitionTime: iso,
        observedGeneration: 1,
      },
    ],
  };
  if (acme) {
    const server = typeof acme.server === 'string' ? acme.server : 'https://acme-v02.api.letsencrypt.org/directory';
    status.acme = {
      uri: `${server.replace(/\/directory$/, '')}/acct/${Math.abs(hash(issuer.metadata.name)) % 1_000_000_000}`,
      lastRegisteredEmail: typeof acme.email === 'string' ? acme.email : '',
      lastPrivateKeyHash: Buffer.from(issuer.metadata.name).toString('base64'),
    };
  }
  return status;
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

/** One managed resource as Argo CD lists it in status.resources. */
export interface AppResource {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
}

const HEALTH_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod', 'Service', 'PersistentVolumeClaim', 'Ingress', 'Job', 'CronJob', 'Application', 'Certificate', 'Issuer', 'ClusterIssuer']);

/** Resource reference for an object. */
export function appResourceOf(obj: KubeObject): AppResource {
  const { group, version } = splitApiVersion(obj.apiVersion);
  return { group, version, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
}

/** Inputs of an Argo CD Application status. */
export interface ApplicationStatusInput {
  source: AppSource | undefined;
  sourceType?: 'Kustomize' | 'Directory';
  destination: Record<string, unknown>;
  resources: AppResource[];
  revision: string;
  sync: 'Synced' | 'OutOfSync' | 'Unknown';
  health: 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
  error?: string;
  images: string[];
  now?: Date;
}

/** An Argo CD Application status: sync, health, resources, operation state and history. */
export function applicationStatus(input: ApplicationStatusInput): Record<string, unknown> {
  const now = input.now ?? new Date();
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const deployed = new Date(now.getTime() - 3_600_000);
  const source = input.source
    ? { repoURL: input.source.repoURL, path: input.source.path, targetRevision: input.source.targetRevision }
    : { repoURL: '' };
  const outOfSyncIndex = input.sync === 'OutOfSync' ? Math.max(0, input.resources.findIndex((r) => r.kind === 'Deployment')) : -1;
  const resources = input.resources.map((r, i) => {
    const entry: Record<string, unknown> = {
      group: r.group || undefined,
      version: r.version,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      status: i === outOfSyncIndex ? 'OutOfSync' : 'Synced',
    };
    if (HEALTH_KINDS.has(r.kind)) entry.health = { status: input.health === 'Missing' ? 'Missing' : 'Healthy', lastTransitionTime: iso(deployed) };
    return entry;
  });
  const status: Record<string, unknown> = {
    sync: { status: input.sync, revision: input.revision, comparedTo: { source, destination: input.destination } },
    health: { status: input.health, lastTransitionTime: iso(deployed) },
    resources,
    reconciledAt: iso(now),
    controllerNamespace: 'argocd',
    summary: { images: [...new Set(input.images)].sort() },
  };
  if (input.sourceType) status.sourceType = input.sourceType;
  if (input.error) {
    status.conditions = [{ type: 'ComparisonError', message: input.error, lastTransitionTime: iso(now) }];
    return status;
  }
  status.operationState = {
    operation: { sync: { revision: input.revision }, initiatedBy: { automated: true }, retry: { limit: 5 } },
    phase: 'Succeeded',
    message: 'successfully synced (all tasks run)',
    startedAt: iso(deployed),
    finishedAt: iso(new Date(deployed.getTime() + 4000)),
    syncResult: { revision: input.revision, source },
  };
  status.history = [{ id: 0, revision: input.revision, deployStartedAt: iso(deployed), deployedAt: iso(new Date(deployed.getTime() + 4000)), source, initiatedBy: { automated: true } }];
  return status;
}

/** Container images of a workload-like object (pod templates of any depth). */
export function imagesOf(obj: KubeObject): string[] {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const key of ['containers', 'initContainers']) {
        const list = o[key];
        if (Array.isArray(list)) for (const c of list) if (c && typeof (c as Record<string, unknown>).image === 'string') out.push((c as Record<string, string>).image as string);
      }
      for (const [k, x] of Object.entries(o)) if (k !== 'containers' && k !== 'initContainers') visit(x);
    }
  };
  visit(obj.spec);
  return out;
}
