import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/kube-http';
import { applicationHealth, hasHealthCheck, resourceHealth } from './health';

const obj = (apiVersion: string, kind: string, rest: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'media', ...metadata },
  ...rest,
});

const deployment = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 2) =>
  obj('apps/v1', 'Deployment', { spec: { replicas: 1, ...spec }, status: { observedGeneration: 2, ...status } }, { generation });

describe('Argo CD health of the kinds it judges', () => {
  it.each([
    ['rolled out', deployment({}, { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), 'Healthy', undefined],
    ['paused', deployment({ paused: true }, {}), 'Suspended', 'Deployment is paused'],
    ['generation not observed', deployment({}, { updatedReplicas: 1, availableReplicas: 1 }, 3), 'Progressing', 'Waiting for rollout to finish: observed deployment generation less than desired generation'],
    ['new replicas not updated', deployment({ replicas: 3 }, { replicas: 3, updatedReplicas: 1, availableReplicas: 1 }), 'Progressing', 'Waiting for rollout to finish: 1 out of 3 new replicas have been updated...'],
    ['old replicas terminating', deployment({}, { replicas: 2, updatedReplicas: 1, availableReplicas: 1 }), 'Progressing', 'Waiting for rollout to finish: 1 old replicas are pending termination...'],
    ['updated replica not available (a crash loop)', deployment({}, { replicas: 1, updatedReplicas: 1, availableReplicas: 0 }), 'Progressing', 'Waiting for rollout to finish: 0 of 1 updated replicas are available...'],
    [
      'past its progress deadline',
      deployment({}, { replicas: 1, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
      'Degraded',
      'Deployment "x" exceeded its progress deadline',
    ],
  ])('Deployment %s', (_name, o, status, message) => {
    expect(resourceHealth(o)).toEqual(message ? { status, message } : { status });
  });

  it('StatefulSets: observed, ready, rolling update, partitions, OnDelete', () => {
    const sts = (spec: Record<string, unknown>, status: Record<string, unknown>) =>
      obj('apps/v1', 'StatefulSet', { spec: { replicas: 2, ...spec }, status: { observedGeneration: 1, ...status } }, { generation: 1 });
    expect(resourceHealth(sts({}, { observedGeneration: 0 }))?.status).toBe('Progressing');
    expect(resourceHealth(sts({}, { readyReplicas: 1 }))).toEqual({ status: 'Progressing', message: 'Waiting for 1 pods to be ready...' });
    expect(resourceHealth(sts({}, { readyReplicas: 2, currentRevision: 'a', updateRevision: 'b', updatedReplicas: 1 }))?.status).toBe('Progressing');
    expect(resourceHealth(sts({}, { readyReplicas: 2, currentRevision: 'a', updateRevision: 'a', currentReplicas: 2 }))?.status).toBe('Healthy');
    expect(resourceHealth(sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { readyReplicas: 2, updatedReplicas: 0 }))?.status).toBe('Progressing');
    expect(resourceHealth(sts({ updateStrategy: { type: 'OnDelete' } }, { readyReplicas: 2 }))).toEqual({ status: 'Healthy', message: 'statefulset has 2 ready pods' });
  });

  it('DaemonSets, PVCs, Services, Ingresses, Jobs, CronJobs, cert-manager', () => {
    const ds = (status: Record<string, unknown>) => obj('apps/v1', 'DaemonSet', { spec: {}, status: { observedGeneration: 1, ...status } }, { generation: 1 });
    expect(resourceHealth(ds({ desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 }))?.status).toBe('Healthy');
    expect(resourceHealth(ds({ desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 }))?.status).toBe('Progressing');
    expect(resourceHealth(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } }))?.status).toBe('Healthy');
    expect(resourceHealth(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }))?.status).toBe('Progressing');
    expect(resourceHealth(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Lost' } }))?.status).toBe('Degraded');
    expect(resourceHealth(obj('v1', 'Service', { spec: { type: 'ClusterIP' } }))?.status).toBe('Healthy');
    expect(resourceHealth(obj('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }))?.status).toBe('Progressing');
    expect(resourceHealth(obj('networking.k8s.io/v1', 'Ingress', { status: { loadBalancer: {} } }))?.status).toBe('Progressing');
    expect(resourceHealth(obj('networking.k8s.io/v1', 'Ingress', { status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } }))?.status).toBe('Healthy');
    expect(resourceHealth(obj('batch/v1', 'Job', { status: {} }))?.status).toBe('Progressing');
    expect(resourceHealth(obj('batch/v1', 'Job', { status: { conditions: [{ type: 'Complete', status: 'True' }] } }))?.status).toBe('Healthy');
    expect(resourceHealth(obj('batch/v1', 'Job', { status: { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] } }))).toEqual({ status: 'Degraded', message: 'BackoffLimitExceeded' });
    expect(resourceHealth(obj('batch/v1', 'CronJob', { spec: { suspend: true }, status: {} }))?.status).toBe('Suspended');
    expect(resourceHealth(obj('batch/v1', 'CronJob', { spec: {}, status: { lastScheduleTime: '2026-01-02T00:00:00Z', lastSuccessfulTime: '2026-01-01T00:00:00Z' } }))?.status).toBe('Degraded');
    const cert = (conditions: unknown[]) => obj('cert-manager.io/v1', 'Certificate', { status: { conditions } });
    expect(resourceHealth(cert([{ type: 'Ready', status: 'True', message: 'Certificate is up to date' }]))?.status).toBe('Healthy');
    expect(resourceHealth(cert([{ type: 'Ready', status: 'False', message: 'failed' }]))).toEqual({ status: 'Degraded', message: 'failed' });
    expect(resourceHealth(cert([{ type: 'Ready', status: 'True' }, { type: 'Issuing', status: 'True', message: 'Renewing' }]))).toEqual({ status: 'Progressing', message: 'Renewing' });
    expect(resourceHealth(obj('cert-manager.io/v1', 'ClusterIssuer', {}))).toEqual({ status: 'Progressing', message: 'Initializing ClusterIssuer' });
  });

  it('an object being deleted is Progressing; kinds without a check have no health', () => {
    expect(resourceHealth(obj('v1', 'Service', { spec: {} }, { deletionTimestamp: '2026-01-01T00:00:00Z' }))).toEqual({ status: 'Progressing', message: 'Pending deletion' });
    expect(resourceHealth(obj('v1', 'ConfigMap', { data: {} }))).toBeUndefined();
    expect(hasHealthCheck('v1', 'Secret')).toBe(false);
    expect(hasHealthCheck('apps/v1', 'Deployment')).toBe(true);
  });

  it("an Application's health is its least healthy resource's", () => {
    expect(applicationHealth([])).toBe('Healthy');
    expect(applicationHealth([{ status: 'Healthy' }, undefined, { status: 'Progressing' }])).toBe('Progressing');
    expect(applicationHealth([{ status: 'Missing' }, { status: 'Suspended' }])).toBe('Missing');
    expect(applicationHealth([{ status: 'Degraded' }, { status: 'Missing' }, { status: 'Progressing' }])).toBe('Degraded');
    expect(applicationHealth([{ status: 'Degraded' }, { status: 'Unknown' }])).toBe('Unknown');
  });
});
