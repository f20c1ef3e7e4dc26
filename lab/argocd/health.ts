import { splitApiVersion, type KubeObject } from '../cluster/kube-http';
import { rec } from '../lib/values';

/**
 * Argo CD's health assessment of the resources an Application manages, as its controller judges them
 * (gitops-engine's built-in checks for apps, batch, core and networking kinds, and the checks Argo CD
 * ships for cert-manager and CronJobs). Pure functions of the live object.
 */

/** Health codes, healthiest first (gitops-engine's order, used to pick an Application's health). */
export const HEALTH_ORDER = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'] as const;
export type HealthCode = (typeof HEALTH_ORDER)[number];

/** A resource's health: a code and, where Argo CD gives one, a message. */
export interface Health {
  status: HealthCode;
  message?: string;
}

type Obj = Record<string, unknown>;

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function conditions(status: Obj): Obj[] {
  return Array.isArray(status.conditions) ? status.conditions.map(rec) : [];
}

function deploymentHealth(obj: Obj): Health {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  const md = rec(obj.metadata);
  if (spec.paused === true) return { status: 'Suspended', message: 'Deployment is paused' };
  if (num(md.generation) > num(status.observedGeneration)) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  }
  const progressing = conditions(status).find((c) => c.type === 'Progressing');
  const updated = num(status.updatedReplicas);
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { status: 'Degraded', message: `Deployment "${String(md.name)}" exceeded its progress deadline` };
  if (typeof spec.replicas === 'number' && updated < spec.replicas) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${spec.replicas} new replicas have been updated...` };
  }
  if (num(status.replicas) > updated) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${num(status.replicas) - updated} old replicas are pending termination...` };
  }
  if (num(status.availableReplicas) < updated) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${num(status.availableReplicas)} of ${updated} updated replicas are available...` };
  }
  return { status: 'Healthy' };
}

function statefulSetHealth(obj: Obj): Health {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  const md = rec(obj.metadata);
  if (num(status.observedGeneration) === 0 || num(md.generation) > num(status.observedGeneration)) {
    return { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
  }
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : undefined;
  if (replicas !== undefined && num(status.readyReplicas) < replicas) {
    return { status: 'Progressing', message: `Waiting for ${replicas - num(status.readyReplicas)} pods to be ready...` };
  }
  const strategy = rec(spec.updateStrategy);
  const rolling = strategy.rollingUpdate === undefined ? undefined : rec(strategy.rollingUpdate);
  if ((strategy.type ?? 'RollingUpdate') === 'RollingUpdate' && rolling) {
    if (replicas !== undefined && typeof rolling.partition === 'number' && num(status.updatedReplicas) < replicas - rolling.partition) {
      return {
        status: 'Progressing',
        message: `Waiting for partitioned roll out to finish: ${num(status.updatedReplicas)} out of ${replicas - rolling.partition} new pods have been updated...`,
      };
    }
    return { status: 'Healthy', message: `partitioned roll out complete: ${num(status.updatedReplicas)} new pods have been updated...` };
  }
  if (strategy.type === 'OnDelete') return { status: 'Healthy', message: `statefulset has ${num(status.readyReplicas)} ready pods` };
  if (status.updateRevision !== status.currentRevision) {
    return {
      status: 'Progressing',
      message: `waiting for statefulset rolling update to complete ${num(status.updatedReplicas)} pods at revision ${String(status.updateRevision)}...`,
    };
  }
  return { status: 'Healthy', message: `statefulset rolling update complete ${num(status.currentReplicas)} pods at revision ${String(status.currentRevision)}...` };
}

function daemonSetHealth(obj: Obj): Health {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  const md = rec(obj.metadata);
  const name = String(md.name);
  if (num(md.generation) > num(status.observedGeneration)) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed daemon set generation less than desired generation' };
  }
  const desired = num(status.desiredNumberScheduled);
  const updated = num(status.updatedNumberScheduled);
  if (rec(spec.updateStrategy).type === 'OnDelete') return { status: 'Healthy', message: `daemon set ${updated} out of ${desired} new pods have been updated` };
  if (updated < desired) return { status: 'Progressing', message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...` };
  if (num(status.numberAvailable) < desired) {
    return { status: 'Progressing', message: `Waiting for daemon set "${name}" rollout to finish: ${num(status.numberAvailable)} of ${desired} updated pods are available...` };
  }
  return { status: 'Healthy' };
}

function replicaSetHealth(obj: Obj): Health {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  if (num(rec(obj.metadata).generation) > num(status.observedGeneration)) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed replica set generation less than desired generation' };
  }
  const failure = conditions(status).find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) return { status: 'Degraded', message: String(failure.message ?? '') };
  if (typeof spec.replicas === 'number' && num(status.availableReplicas) < spec.replicas) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${num(status.availableReplicas)} out of ${spec.replicas} new replicas are available...` };
  }
  return { status: 'Healthy' };
}

function podHealth(obj: Obj): Health {
  const status = rec(obj.status);
  const spec = rec(obj.spec);
  const statuses = Array.isArray(status.containerStatuses) ? status.containerStatuses.map(rec) : [];
  for (const c of statuses) {
    const waiting = rec(rec(c.state).waiting);
    if (typeof waiting.reason === 'string' && (waiting.reason.startsWith('Err') || waiting.reason.endsWith('Error') || waiting.reason.endsWith('BackOff'))) {
      return { status: 'Degraded', message: String(waiting.message ?? waiting.reason) };
    }
  }
  switch (status.phase) {
    case 'Pending':
      return { status: 'Progressing', message: typeof status.message === 'string' ? status.message : undefined };
    case 'Succeeded':
      return { status: 'Healthy', message: typeof status.message === 'string' ? status.message : undefined };
    case 'Failed':
      return { status: 'Degraded', message: typeof status.message === 'string' ? status.message : undefined };
    case 'Running': {
      if (spec.restartPolicy === 'Always' || spec.restartPolicy === undefined) {
        const ready = conditions(status).find((c) => c.type === 'Ready')?.status === 'True';
        return ready ? { status: 'Healthy' } : { status: 'Progressing' };
      }
      return { status: 'Progressing' };
    }
    default:
      return { status: 'Unknown', message: typeof status.message === 'string' ? status.message : undefined };
  }
}

function jobHealth(obj: Obj): Health {
  let failed: Obj | undefined;
  let complete: Obj | undefined;
  for (const c of conditions(rec(obj.status))) {
    if (c.status !== 'True') continue;
    if (c.type === 'Failed') failed = c;
    if (c.type === 'Complete') complete = c;
  }
  if (failed) return { status: 'Degraded', message: typeof failed.message === 'string' ? failed.message : undefined };
  if (complete) return { status: 'Healthy', message: typeof complete.message === 'string' ? complete.message : undefined };
  return { status: 'Progressing' };
}

function cronJobHealth(obj: Obj): Health {
  if (rec(obj.spec).suspend === true) return { status: 'Suspended', message: 'CronJob is Suspended' };
  if (obj.status === undefined) return { status: 'Progressing', message: 'Waiting for CronJob' };
  const status = rec(obj.status);
  if (typeof status.lastScheduleTime !== 'string') return { status: 'Healthy', message: 'CronJob has not been scheduled yet' };
  if (typeof status.lastSuccessfulTime !== 'string') return { status: 'Healthy', message: 'The Cronjob never completed succesfully. It may not be healthy' };
  if (Array.isArray(status.active) && status.active.length > 0) return { status: 'Healthy', message: 'The job is running. Its last execution may not have been successful' };
  if (Date.parse(status.lastSuccessfulTime) < Date.parse(status.lastScheduleTime)) return { status: 'Degraded', message: 'CronJob has not completed its last execution successfully' };
  return { status: 'Healthy', message: 'CronJob has completed its last execution successfully' };
}

function pvcHealth(obj: Obj): Health {
  switch (rec(obj.status).phase) {
    case 'Bound':
      return { status: 'Healthy' };
    case 'Pending':
      return { status: 'Progressing' };
    case 'Lost':
      return { status: 'Degraded' };
    default:
      return { status: 'Unknown' };
  }
}

function loadBalanced(obj: Obj): boolean {
  const ingress = rec(rec(rec(obj.status).loadBalancer)).ingress;
  return Array.isArray(ingress) && ingress.length > 0;
}

function serviceHealth(obj: Obj): Health {
  if (rec(obj.spec).type === 'LoadBalancer') return loadBalanced(obj) ? { status: 'Healthy' } : { status: 'Progressing' };
  return { status: 'Healthy' };
}

function ingressHealth(obj: Obj): Health {
  return loadBalanced(obj) ? { status: 'Healthy' } : { status: 'Progressing' };
}

function readyCondition(obj: Obj, waiting: string, checkIssuing: boolean): Health {
  const conds = conditions(rec(obj.status));
  if (checkIssuing) {
    const issuing = conds.find((c) => c.type === 'Issuing' && c.status === 'True');
    if (issuing) return { status: 'Progressing', message: typeof issuing.message === 'string' ? issuing.message : undefined };
  }
  const ready = conds.find((c) => c.type === 'Ready');
  const message = typeof ready?.message === 'string' ? ready.message : undefined;
  if (ready?.status === 'False') return { status: 'Degraded', message };
  if (ready?.status === 'True') return { status: 'Healthy', message };
  return { status: 'Progressing', message: waiting };
}

const CHECKS: Record<string, (obj: Obj) => Health> = {
  'apps/Deployment': deploymentHealth,
  'extensions/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'extensions/DaemonSet': daemonSetHealth,
  'apps/ReplicaSet': replicaSetHealth,
  '/Pod': podHealth,
  '/Service': serviceHealth,
  '/PersistentVolumeClaim': pvcHealth,
  'batch/Job': jobHealth,
  'batch/CronJob': cronJobHealth,
  'networking.k8s.io/Ingress': ingressHealth,
  'extensions/Ingress': ingressHealth,
  'cert-manager.io/Certificate': (o) => readyCondition(o, 'Waiting for certificate', true),
  'cert-manager.io/Issuer': (o) => readyCondition(o, 'Initializing issuer', false),
  'cert-manager.io/ClusterIssuer': (o) => readyCondition(o, 'Initializing ClusterIssuer', false),
};

/** Whether Argo CD assesses the health of this kind (ConfigMaps, Secrets, RBAC... have none). */
export function hasHealthCheck(apiVersion: string, kind: string): boolean {
  return `${splitApiVersion(apiVersion).group}/${kind}` in CHECKS;
}

/**
 * The health of one live resource, or undefined for kinds without a health check. An object being
 * deleted is Progressing ("Pending deletion"), as Argo CD reports it.
 */
export function resourceHealth(obj: KubeObject): Health | undefined {
  const check = CHECKS[`${splitApiVersion(obj.apiVersion).group}/${obj.kind}`];
  if (!check) return undefined;
  if (obj.metadata.deletionTimestamp) return { status: 'Progressing', message: 'Pending deletion' };
  const h = check(obj as unknown as Obj);
  return h.message ? h : { status: h.status };
}

/** Whether `candidate` is less healthy than `current`. */
export function isWorse(current: HealthCode, candidate: HealthCode): boolean {
  return HEALTH_ORDER.indexOf(candidate) > HEALTH_ORDER.indexOf(current);
}

/**
 * An Application's health: the least healthy of its resources' (those with a health check; a
 * resource in Git but not in the cluster counts as Missing). Healthy when there is nothing to judge.
 */
export function applicationHealth(resources: readonly (Health | undefined)[]): HealthCode {
  let worst: HealthCode = 'Healthy';
  for (const h of resources) if (h && isWorse(worst, h.status)) worst = h.status;
  return worst;
}
