import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_TEST_LABEL, restartApiServer, restartEtcd, startApiServer, stopApiServer, withLabClient } from '../controls';
import { labUp } from '../lab';
import { labDir, labFiles } from '../paths';
import { listProcesses } from '../lib/process';
import { LabKubeClient } from './kube-http';
import { tokenKubeConfig, useLabCluster } from './test-cluster';

/**
 * The API server and etcd restarted alone, as on a real control plane: etcd's data, the certificates
 * and the service-account signing keys are kept, so existing ServiceAccount tokens keep working and
 * every object is still there; `lab up` on a lab with a stopped API server starts only that.
 */

const lab = useLabCluster();
const NS = `restart-${Date.now().toString(36)}`;
let token = '';
let markerUid = '';

const pid = (name: string) => listProcesses(labDir()).find((p) => p.name === name && p.alive)?.pid;

/** Lists the test namespace's ConfigMaps with the ServiceAccount token (as the panel would). */
async function withToken(): Promise<string[]> {
  const core = tokenKubeConfig(lab(), token).makeApiClient(CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace: NS });
  return list.items.map((c) => `${c.metadata?.name}:${c.metadata?.uid}`);
}

beforeAll(async () => {
  const core = lab().kc.makeApiClient(CoreV1Api);
  const rbac = lab().kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: NS, labels: { [LAB_TEST_LABEL]: 'true' } } } });
  await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'reader' } } });
  await rbac.createNamespacedRole({ namespace: NS, body: { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'get'] }] } });
  await rbac.createNamespacedRoleBinding({
    namespace: NS,
    body: { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: NS }] },
  });
  const req = await core.createNamespacedServiceAccountToken({ namespace: NS, name: 'reader', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  token = req.status?.token ?? '';
  const marker = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'marker' }, data: { written: 'before the restarts' } } });
  markerUid = marker.metadata?.uid ?? '';
  expect(await withToken()).toContain(`marker:${markerUid}`);
}, 60_000);

afterAll(async () => {
  // Whatever happened, leave the API server running.
  if (!pid('kube-apiserver')) await startApiServer();
}, 120_000);

describe('restarting the control plane one process at a time', () => {
  it('restarts the API server alone: same etcd, the token still works, the objects are there', async () => {
    const etcd = pid('etcd');
    const before = pid('kube-apiserver');
    const lines: string[] = [];
    await restartApiServer((m) => lines.push(m));
    // It exits on SIGTERM with every client of the lab still watching it, not by the SIGKILL after the grace.
    expect(lines.find((l) => l.startsWith('kube-apiserver: stopped'))).toMatch(/^kube-apiserver: stopped \(pid \d+\) in \d+ ms$/);
    expect(pid('kube-apiserver')).toBeDefined();
    expect(pid('kube-apiserver')).not.toBe(before);
    expect(pid('etcd')).toBe(etcd);
    expect(await withToken()).toContain(`marker:${markerUid}`);
  });

  it('restarts etcd alone, keeping its data: the API server stays and serves the same objects', async () => {
    const api = pid('kube-apiserver');
    const before = pid('etcd');
    await restartEtcd();
    expect(pid('etcd')).not.toBe(before);
    expect(pid('kube-apiserver')).toBe(api);
    expect(await withToken()).toContain(`marker:${markerUid}`);
    const core = lab().kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'after-etcd' }, data: { written: 'after the etcd restart' } } });
    expect((await withToken()).map((x) => x.split(':')[0])).toEqual(expect.arrayContaining(['marker', 'after-etcd']));
  });

  it('holds the API server down, then starts it as it was', async () => {
    await stopApiServer();
    expect(pid('kube-apiserver')).toBeUndefined();
    const client = LabKubeClient.fromCertDir(lab().apiServer, labFiles(labDir()).certs);
    try {
      await expect(client.raw({ path: '/readyz', timeoutMs: 3000 })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      client.close();
    }
    await expect(withToken()).rejects.toThrow();
    await startApiServer();
    expect(await withToken()).toContain(`marker:${markerUid}`);
  });

  it('`lab up` on a lab whose API server is down starts only the API server, and never seeds again', async () => {
    const etcd = pid('etcd');
    const others = ['kube-controller-manager', 'kube-scheduler', 'kwok', 'argocd'].map((n) => [n, pid(n)] as const);
    await stopApiServer();
    const lines: string[] = [];
    await labUp({ log: (m) => lines.push(m) });
    expect(lines.some((l) => /^kube-apiserver: started \(pid \d+\) and healthy/.test(l))).toBe(true);
    expect(lines).toContain('lab: started kube-apiserver; the cluster and its data were kept (not seeded again)');
    expect(lines.some((l) => l.startsWith('seed:'))).toBe(false);
    expect(pid('etcd')).toBe(etcd);
    for (const [n, p] of others) expect(pid(n), n).toBe(p);
    expect(await withToken()).toContain(`marker:${markerUid}`);

    // The lab's Argo CD watched through the restarts: it still puts back a Deployment scaled by hand.
    await withLabClient((c) => c.mergePatch({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'sonarr', namespace: 'media' }, { spec: { replicas: 2 } }));
    await expect
      .poll(async () => withLabClient(async (c) => ((await c.get('apps/v1', 'Deployment', 'sonarr', 'media'))?.spec as { replicas: number }).replicas), { timeout: 30_000, interval: 200 })
      .toBe(1);
  });
});
