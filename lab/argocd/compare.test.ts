import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/kube-http';
import { carryConditions, differingPaths, keyOf, kubectlName, sameObject, summaryOf, syncOrder } from './compare';
import { appInstanceName, hasSyncOption, trackedBy, trackingId } from './tracking';

const o = (apiVersion: string, kind: string, name: string, rest: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'media', ...metadata },
  ...rest,
});

describe('comparison helpers', () => {
  it('compares what a diff looks at: not status, not the metadata the API server keeps for itself', () => {
    const live = o('apps/v1', 'Deployment', 'sonarr', { spec: { replicas: 1 }, status: { readyReplicas: 1 } }, { resourceVersion: '10', generation: 4, managedFields: [{ manager: 'x' }], uid: 'u' });
    const dry = o('apps/v1', 'Deployment', 'sonarr', { spec: { replicas: 1 }, status: {} }, { resourceVersion: '10', generation: 5, managedFields: [{ manager: 'argocd-controller' }], uid: 'u' });
    expect(sameObject(dry, live)).toBe(true);
    const scaled = structuredClone(live);
    (scaled.spec as { replicas: number }).replicas = 3;
    expect(sameObject(dry, scaled)).toBe(false);
    expect(differingPaths(dry, scaled)).toEqual(['spec.replicas']);
  });

  it('orders a sync by wave, then the kind order Helm uses, then name', () => {
    const objs = [
      o('networking.k8s.io/v1', 'Ingress', 'a'),
      o('apps/v1', 'Deployment', 'b'),
      o('v1', 'ConfigMap', 'z'),
      o('v1', 'Namespace', 'media'),
      o('example.com/v1', 'Widget', 'w'),
      o('v1', 'Service', 'late', {}, { annotations: { 'argocd.argoproj.io/sync-wave': '5' } }),
      o('v1', 'ConfigMap', 'early', {}, { annotations: { 'argocd.argoproj.io/sync-wave': '-1' } }),
      o('v1', 'ConfigMap', 'a'),
    ];
    expect(syncOrder(objs).map((x) => `${x.kind}/${x.metadata.name}`)).toEqual([
      'ConfigMap/early',
      'Namespace/media',
      'ConfigMap/a',
      'ConfigMap/z',
      'Deployment/b',
      'Ingress/a',
      'Widget/w',
      'Service/late',
    ]);
  });

  it('names resources the way kubectl and Argo CD do', () => {
    expect(kubectlName(o('apps/v1', 'Deployment', 'sonarr'))).toBe('deployment.apps/sonarr');
    expect(kubectlName(o('v1', 'Service', 'sonarr'))).toBe('service/sonarr');
    expect(keyOf(o('apps/v1', 'Deployment', 'sonarr'))).toBe('apps/Deployment/media/sonarr');
  });

  it('summarises images and external URLs of the live resources', () => {
    const d = o('apps/v1', 'Deployment', 'sonarr', { spec: { template: { spec: { initContainers: [{ image: 'busybox:1' }], containers: [{ image: 'linuxserver/sonarr:4' }] } } } });
    const cj = o('batch/v1', 'CronJob', 'sync', { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: 'alpine:3' }] } } } } } });
    const ing = o('networking.k8s.io/v1', 'Ingress', 'sonarr', { spec: { tls: [{ hosts: ['home.example'] }], rules: [{ host: 'home.example', http: { paths: [{ path: '/sonarr' }] } }, { host: 'plain.example' }] } });
    expect(summaryOf([d, cj, ing])).toEqual({ images: ['alpine:3', 'busybox:1', 'linuxserver/sonarr:4'], externalURLs: ['http://plain.example', 'https://home.example/sonarr'] });
    expect(summaryOf([])).toEqual({});
  });

  it('keeps the transition time of conditions that did not change', () => {
    const before = [{ type: 'SyncError', message: 'a', lastTransitionTime: '2026-01-01T00:00:00Z' }];
    expect(carryConditions(before, [{ type: 'SyncError', message: 'a' }, { type: 'ComparisonError', message: 'b' }], '2026-02-02T00:00:00Z')).toEqual([
      { type: 'SyncError', message: 'a', lastTransitionTime: '2026-01-01T00:00:00Z' },
      { type: 'ComparisonError', message: 'b', lastTransitionTime: '2026-02-02T00:00:00Z' },
    ]);
  });
});

describe('resource tracking', () => {
  it('writes and reads the annotation Argo CD tracks resources by', () => {
    const d = o('apps/v1', 'Deployment', 'sonarr');
    expect(trackingId('media-services', d)).toBe('media-services:apps/Deployment:media/sonarr');
    expect(trackingId('root', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'media' } })).toBe('root:/Namespace:/media');
    expect(trackedBy({ metadata: { annotations: { 'argocd.argoproj.io/tracking-id': 'media-services:apps/Deployment:media/sonarr' } } })).toBe('media-services');
    expect(trackedBy({ metadata: {} })).toBeUndefined();
    expect(appInstanceName({ metadata: { name: 'a', namespace: 'argocd' } })).toBe('a');
    expect(appInstanceName({ metadata: { name: 'a', namespace: 'team' } })).toBe('team_a');
    expect(hasSyncOption({ metadata: { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false, Replace=true' } } }, 'Prune=false')).toBe(true);
    expect(hasSyncOption({ metadata: {} }, 'Prune=false')).toBe(false);
  });
});
