import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApiException, AppsV1Api, BatchV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAB_TEST_LABEL } from '../controls';
import { parseManifests } from './gitops';
import { waitFor } from './kube-http';
import { REPO_ROOT, binaryPath } from '../paths';
import { tokenKubeConfig, useLabCluster } from './test-cluster';

const exec = promisify(execFile);
const lab = useLabCluster();
const RBAC_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

describe("RBAC: the panel's ServiceAccount from deploy/", () => {
  let sa = { namespace: '', name: '' };
  let token = '';

  beforeAll(async () => {
    const deployDir = path.join(REPO_ROOT, 'deploy');
    await waitFor('deploy/kustomization.yaml', async () => existsSync(path.join(deployDir, 'kustomization.yaml')), { timeoutMs: 120_000 });
    const { stdout } = await exec(binaryPath('kustomize'), ['build', deployDir], { maxBuffer: 16 * 1024 * 1024 });
    const objs = parseManifests(stdout).filter((o) => RBAC_KINDS.has(o.kind));
    const binding = objs.find((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
    const subject = (binding?.subjects as { kind: string; name: string; namespace?: string }[] | undefined)?.find((s) => s.kind === 'ServiceAccount');
    expect(subject, 'deploy/ binds a ServiceAccount').toBeDefined();
    sa = { name: subject?.name ?? '', namespace: subject?.namespace ?? '' };
    const api = KubernetesObjectApi.makeApiClient(lab().kc);
    for (const o of objs.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'))) {
      o.metadata.labels = { ...(o.metadata.labels ?? {}), [LAB_TEST_LABEL]: 'true' };
      await api.patch(o as KubernetesObject, undefined, undefined, 'lab-rbac-test', true, PatchStrategy.ServerSideApply);
    }
    const core = lab().kc.makeApiClient(CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({
      namespace: sa.namespace,
      name: sa.name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    token = tr.status?.token ?? '';
    expect(token.split('.')).toHaveLength(3);
  });

  it('allows what the panel needs', async () => {
    const kc = tokenKubeConfig(lab(), token, sa.name);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    expect((await core.listPodForAllNamespaces()).items.length).toBeGreaterThan(0);
    expect((await apps.listDeploymentForAllNamespaces()).items.length).toBeGreaterThan(0);
    const secret = await core.readNamespacedSecret({ namespace: 'media', name: 'starr-secrets' });
    expect(Object.keys(secret.data ?? {})).toContain('SONARR_API_KEY');
    const job = await batch.createNamespacedJob({
      namespace: 'media',
      body: {
        metadata: { generateName: 'panel-job-', labels: { [LAB_TEST_LABEL]: 'true' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', command: ['true'] }] } } },
      },
    });
    expect(job.metadata?.name).toMatch(/^panel-job-/);
  });

  it('refuses (403) listing Secrets cluster-wide, patching Deployments and deleting pods', async () => {
    const kc = tokenKubeConfig(lab(), token, sa.name);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const pod = (await core.listNamespacedPod({ namespace: 'media' })).items[0];
    expect(await status(core.listSecretForAllNamespaces())).toBe(403);
    expect(await status(core.listNamespacedSecret({ namespace: 'media' }))).toBe(403);
    expect(
      await status(apps.patchNamespacedDeployment({ namespace: 'media', name: 'sonarr', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] })),
    ).toBe(403);
    expect(await status(core.deleteNamespacedPod({ namespace: 'media', name: pod?.metadata?.name ?? 'x' }))).toBe(403);
    // Still there: the refusals changed nothing.
    const admin = lab().kc.makeApiClient(AppsV1Api);
    expect((await admin.readNamespacedDeployment({ namespace: 'media', name: 'sonarr' })).spec?.replicas).toBe(1);
  });
});
