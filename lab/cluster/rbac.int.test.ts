import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApiException, AppsV1Api, AuthorizationV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, NetworkingV1Api, PatchStrategy, setHeaderOptions, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAB_TEST_LABEL } from '../controls';
import { parseManifests } from './gitops';
import { waitFor } from '../lib/wait';
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

/** The HTTP status of a watch request (200 when it is allowed; it ends after a second). */
function watchStatus(kc: KubeConfig, path: string): Promise<number> {
  return new Promise((resolve) => {
    const codeOf = (err: unknown) => {
      const e = err as { statusCode?: number; code?: number } | null;
      return e?.statusCode ?? (typeof e?.code === 'number' ? e.code : 500);
    };
    new Watch(kc).watch(path, { timeoutSeconds: 1 }, () => undefined, (err) => resolve(err ? codeOf(err) : 200)).catch((err: unknown) => resolve(codeOf(err)));
  });
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

  it('allows what the panel needs, in the watched namespaces', async () => {
    const kc = tokenKubeConfig(lab(), token, sa.name);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const net = kc.makeApiClient(NetworkingV1Api);
    for (const namespace of ['media', 'qbittorrent', 'monitoring', 'homepage', 'argocd']) {
      await core.listNamespacedPod({ namespace });
      await core.listNamespacedService({ namespace });
      await core.listNamespacedPersistentVolumeClaim({ namespace });
      await core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' });
      await apps.listNamespacedDeployment({ namespace });
      await apps.listNamespacedReplicaSet({ namespace });
      await net.listNamespacedIngress({ namespace });
    }
    expect((await core.listNamespacedPod({ namespace: 'media' })).items.length).toBeGreaterThan(0);
    expect((await apps.readNamespacedDeployment({ namespace: 'media', name: 'sonarr' })).metadata?.name).toBe('sonarr');
    const secret = await core.readNamespacedSecret({ namespace: 'media', name: 'starr-secrets' });
    expect(Object.keys(secret.data ?? {})).toContain('SONARR_API_KEY');
    const custom = kc.makeApiClient(CustomObjectsApi);
    const applications = (await custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' })) as { items: unknown[] };
    expect(applications.items.length).toBeGreaterThan(0);
    // Pods' CPU and memory from the metrics API (the lab serves no metrics-server: asked of the authorizer).
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const may = async (namespace: string) =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { group: 'metrics.k8s.io', resource: 'pods', verb: 'list', namespace } } } })).status?.allowed;
    expect(await may('media')).toBe(true);
    expect(await may('monitoring')).toBe(true);
    expect(await may('kube-system')).toBe(false);
    const appsets = (await custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applicationsets' })) as { items: unknown[] };
    expect(appsets.items.length).toBeGreaterThan(0);
    // The informers watch both kinds there: a watch is allowed there and refused elsewhere.
    for (const plural of ['applications', 'applicationsets']) {
      expect(await watchStatus(kc, `/apis/argoproj.io/v1alpha1/namespaces/argocd/${plural}`), plural).toBe(200);
      expect(await watchStatus(kc, `/apis/argoproj.io/v1alpha1/namespaces/media/${plural}`), plural).toBe(403);
    }
    // The routes other than Ingress (their CRDs are served by the lab): listed and watched, read-only.
    for (const namespace of ['media', 'monitoring']) {
      for (const [group, version, plural] of [
        ['traefik.io', 'v1alpha1', 'ingressroutes'],
        ['traefik.io', 'v1alpha1', 'middlewares'],
        ['gateway.networking.k8s.io', 'v1', 'httproutes'],
        ['gateway.networking.k8s.io', 'v1', 'gateways'],
      ] as const) {
        expect(await status(custom.listNamespacedCustomObject({ group, version, namespace, plural })), `${plural} in ${namespace}`).toBe(200);
      }
    }
  });

  it("refuses Argo CD's objects outside Argo CD's namespace, and any write to them", async () => {
    const custom = tokenKubeConfig(lab(), token, sa.name).makeApiClient(CustomObjectsApi);
    for (const plural of ['applications', 'applicationsets']) {
      expect(await status(custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'media', plural })), plural).toBe(403);
      expect(await status(custom.listClusterCustomObject({ group: 'argoproj.io', version: 'v1alpha1', plural })), plural).toBe(403);
    }
    const adminCustom = lab().kc.makeApiClient(CustomObjectsApi);
    const first = ((await adminCustom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' })) as { items: Array<{ metadata: { name: string } }> }).items[0];
    expect(first).toBeDefined();
    const patch = custom.patchNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: first?.metadata.name ?? 'x', body: [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }] });
    expect(await status(patch)).toBe(403);
    expect(await status(custom.deleteNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: first?.metadata.name ?? 'x' }))).toBe(403);
  });

  it('certificates: reads cert-manager and CronJobs, patches only certificates/status, and never a TLS Secret', async () => {
    const kc = tokenKubeConfig(lab(), token, sa.name);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const cm = { group: 'cert-manager.io', version: 'v1' };
    const certs = (await custom.listNamespacedCustomObject({ ...cm, namespace: 'argocd', plural: 'certificates' })) as { items: { metadata: { name: string }; spec: { secretName: string } }[] };
    expect(certs.items.map((c) => c.metadata.name)).toContain('home-brettswift-com-dns');
    await custom.listNamespacedCustomObject({ ...cm, namespace: 'argocd', plural: 'certificaterequests' });
    await custom.listClusterCustomObject({ ...cm, plural: 'clusterissuers' });
    expect((await batch.listNamespacedCronJob({ namespace: 'argocd' })).items.map((j) => j.metadata?.name)).toContain('sync-cert-secret');
    // The TLS Secret the Certificates write, and its copies: refused.
    const secretName = certs.items[0]?.spec.secretName ?? 'home-brettswift-com-tls';
    for (const namespace of ['argocd', 'media']) expect(await status(core.readNamespacedSecret({ namespace, name: secretName }))).toBe(403);
    // The one write: the status subresource (a no-op merge patch here); the Certificate itself is refused.
    const patch = { ...cm, namespace: 'argocd', plural: 'certificates', name: 'home-brettswift-com-dns', body: { metadata: {} } };
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    expect(await status(custom.patchNamespacedCustomObjectStatus(patch, mergePatch))).toBe(200);
    expect(await status(custom.patchNamespacedCustomObject(patch, mergePatch))).toBe(403);
    expect(await status(custom.deleteNamespacedCustomObject({ ...cm, namespace: 'argocd', plural: 'certificates', name: 'home-brettswift-com-dns' }))).toBe(403);
  });

  it('reads pod logs (get pods/log) in the watched namespaces only', async () => {
    const kc = tokenKubeConfig(lab(), token, sa.name);
    const core = kc.makeApiClient(CoreV1Api);
    const admin = lab().kc.makeApiClient(CoreV1Api);
    const pods = (await admin.listNamespacedPod({ namespace: 'media' })).items;
    const pod = pods.find((p) => p.status?.phase === 'Running') ?? pods[0];
    const name = pod?.metadata?.name ?? 'x';
    const container = pod?.spec?.containers[0]?.name;
    // Allowed: the answer is the container's log (empty for a container that wrote nothing), never a 403.
    const log = await core.readNamespacedPodLog({ namespace: 'media', name, container, tailLines: 5 });
    expect(typeof log).toBe('string');
    for (const namespace of ['qbittorrent', 'monitoring']) {
      const other = (await admin.listNamespacedPod({ namespace })).items.find((p) => p.status?.phase === 'Running');
      if (other?.metadata?.name) expect(await status(core.readNamespacedPodLog({ namespace, name: other.metadata.name, container: other.spec?.containers[0]?.name, tailLines: 1 }))).toBe(200);
    }
    // Refused outside them, and nothing beyond reading: no exec, no attach, no port-forward.
    const systemPods = (await admin.listNamespacedPod({ namespace: 'kube-system' })).items;
    expect(await status(core.readNamespacedPodLog({ namespace: 'kube-system', name: systemPods[0]?.metadata?.name ?? 'coredns' }))).toBe(403);
    const certPods = (await admin.listNamespacedPod({ namespace: 'cert-manager' })).items;
    expect(await status(core.readNamespacedPodLog({ namespace: 'cert-manager', name: certPods[0]?.metadata?.name ?? 'cert-manager' }))).toBe(403);
    const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace: 'media', verb: 'create', resource: 'pods', subresource: 'exec', name } } },
    });
    expect(review.status?.allowed).toBe(false);
    for (const subresource of ['attach', 'portforward', 'log']) {
      const r = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace: 'media', verb: subresource === 'log' ? 'get' : 'create', resource: 'pods', subresource, name } } },
      });
      expect(r.status?.allowed, subresource).toBe(subresource === 'log');
    }
  });

  it('refuses (403) everything else: other namespaces, cluster-wide lists, Secrets, writes, Jobs', async () => {
    const kc = tokenKubeConfig(lab(), token, sa.name);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const pod = (await core.listNamespacedPod({ namespace: 'media' })).items[0];
    const adminCore = lab().kc.makeApiClient(CoreV1Api);
    const systemPod = (await adminCore.listNamespacedPod({ namespace: 'kube-system' })).items[0]?.metadata?.name ?? 'coredns';
    expect(await status(core.readNamespacedPod({ namespace: 'kube-system', name: systemPod }))).toBe(403);
    expect(await status(core.listNamespacedPod({ namespace: 'kube-system' }))).toBe(403);
    expect(await status(core.listNamespacedPod({ namespace: 'cert-manager' }))).toBe(403);
    expect(await status(core.listPodForAllNamespaces())).toBe(403);
    expect(await status(apps.listDeploymentForAllNamespaces())).toBe(403);
    expect(await status(core.listNode())).toBe(403);
    expect(await status(core.listNamespace())).toBe(403);
    expect(await status(core.listSecretForAllNamespaces())).toBe(403);
    expect(await status(core.listNamespacedSecret({ namespace: 'media' }))).toBe(403);
    expect(await status(core.readNamespacedSecret({ namespace: 'media', name: 'other-secret' }))).toBe(403);
    expect(
      await status(
        batch.createNamespacedJob({
          namespace: 'media',
          body: {
            metadata: { generateName: 'panel-job-', labels: { [LAB_TEST_LABEL]: 'true' } },
            spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', command: ['true'] }] } } },
          },
        }),
      ),
    ).toBe(403);
    expect(
      await status(apps.patchNamespacedDeployment({ namespace: 'media', name: 'sonarr', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] })),
    ).toBe(403);
    expect(await status(core.deleteNamespacedPod({ namespace: 'media', name: pod?.metadata?.name ?? 'x' }))).toBe(403);
    // Routes: read-only, in the watched namespaces only, and nothing of the Gateway API beyond routes and gateways.
    const custom = kc.makeApiClient(CustomObjectsApi);
    expect(await status(custom.listNamespacedCustomObject({ group: 'traefik.io', version: 'v1alpha1', namespace: 'kube-system', plural: 'ingressroutes' }))).toBe(403);
    expect(await status(custom.listClusterCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' }))).toBe(403);
    expect(await status(custom.listClusterCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gatewayclasses' }))).toBe(403);
    expect(await status(custom.listNamespacedCustomObject({ group: 'traefik.io', version: 'v1alpha1', namespace: 'media', plural: 'ingressroutetcps' }))).toBe(403);
    expect(
      await status(
        custom.createNamespacedCustomObject({
          group: 'traefik.io',
          version: 'v1alpha1',
          namespace: 'media',
          plural: 'middlewares',
          body: { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'panel-test', labels: { [LAB_TEST_LABEL]: 'true' } }, spec: { stripPrefix: { prefixes: ['/x'] } } },
        }),
      ),
    ).toBe(403);
    expect(
      await status(
        custom.createNamespacedCustomObject({
          group: 'gateway.networking.k8s.io',
          version: 'v1',
          namespace: 'media',
          plural: 'httproutes',
          body: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'panel-test', labels: { [LAB_TEST_LABEL]: 'true' } }, spec: {} },
        }),
      ),
    ).toBe(403);
    // Still there: the refusals changed nothing.
    const admin = lab().kc.makeApiClient(AppsV1Api);
    expect((await admin.readNamespacedDeployment({ namespace: 'media', name: 'sonarr' })).spec?.replicas).toBe(1);
  });
});
