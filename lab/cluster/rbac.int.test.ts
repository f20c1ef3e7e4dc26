import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApiException, AppsV1Api, AuthorizationV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, NetworkingV1Api, PatchStrategy, setHeaderOptions, Watch, type KubeConfig, type KubernetesObject, type V1Container, type V1CronJob, type V1Job } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAB_TEST_LABEL } from '../controls';
import { parseManifests } from './gitops';
import { identityObjects, labComponentObjects } from './panel-identity';
import { waitFor } from '../lib/wait';
import { REPO_ROOT, binaryPath } from '../paths';
import { tokenKubeConfig, useLabCluster } from './test-cluster';

const exec = promisify(execFile);
const lab = useLabCluster();

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
    // The base and the optional components the lab enables (Velero's: the lab serves its CRDs and seeds its namespace).
    const objs = identityObjects([...(parseManifests(stdout) as unknown as Parameters<typeof identityObjects>[0]), ...labComponentObjects()]) as unknown as ReturnType<typeof parseManifests>;
    const binding = objs.find((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
    const subject = (binding?.subjects as { kind: string; name: string; namespace?: string }[] | undefined)?.find((s) => s.kind === 'ServiceAccount');
    expect(subject, 'deploy/ binds a ServiceAccount').toBeDefined();
    sa = { name: subject?.name ?? '', namespace: subject?.namespace ?? '' };
    const api = KubernetesObjectApi.makeApiClient(lab().kc);
    for (const o of objs) {
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

  it("Velero (deploy/components/velero): lists and watches its Backups and Schedules in Velero's namespace, nowhere else, and writes none", async () => {
    const kc = tokenKubeConfig(lab(), token, sa.name);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const velero = { group: 'velero.io', version: 'v1' };
    for (const plural of ['backups', 'schedules']) {
      const listed = (await custom.listNamespacedCustomObject({ ...velero, namespace: 'velero', plural })) as { items: Array<{ metadata: { name: string } }> };
      expect(listed.items.length, `the lab seeds a Velero ${plural} object`).toBeGreaterThan(0);
      expect(await watchStatus(kc, `/apis/velero.io/v1/namespaces/velero/${plural}`), `watch ${plural}`).toBe(200);
      expect(await status(custom.listNamespacedCustomObject({ ...velero, namespace: 'media', plural })), `${plural} in media`).toBe(403);
      expect(await status(custom.listClusterCustomObject({ ...velero, plural })), `${plural} cluster-wide`).toBe(403);
      const name = listed.items[0]?.metadata.name ?? 'x';
      expect(await status(custom.getNamespacedCustomObject({ ...velero, namespace: 'velero', plural, name })), `get ${plural}`).toBe(403);
      expect(await status(custom.deleteNamespacedCustomObject({ ...velero, namespace: 'velero', plural, name })), `delete ${plural}`).toBe(403);
    }
    const restore = { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'panel-may-not', namespace: 'velero' }, spec: { backupName: 'x' } };
    expect(await status(custom.createNamespacedCustomObject({ ...velero, namespace: 'velero', plural: 'restores', body: restore })), 'create restores').toBe(403);
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

  it('refuses (403) everything else: other namespaces, cluster-wide lists, Secrets, writes, Jobs that are not backups, logs outside the backup namespaces', async () => {
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
    const monitoringPod = (await core.listNamespacedPod({ namespace: 'monitoring' })).items[0]?.metadata?.name ?? 'x';
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
      'a Job that is no backup: refused by the admission policy',
    ).toBe(403);
    expect(
      await status(apps.patchNamespacedDeployment({ namespace: 'media', name: 'sonarr', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] })),
    ).toBe(403);
    expect(await status(core.deleteNamespacedPod({ namespace: 'media', name: pod?.metadata?.name ?? 'x' })), 'a pod without the restore label').toBe(403);
    expect(await status(core.deleteNamespacedPod({ namespace: 'monitoring', name: monitoringPod })), 'outside the backup namespaces').toBe(403);
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

describe('backups: the only writes, in the namespaces that hold backups, as the admission policies allow', () => {
  let token = '';
  let saName = '';
  let cronJob: V1CronJob;
  const ns = 'media';
  const image = 'docker.io/keinos/sqlite3:3.47.2';

  beforeAll(async () => {
    const { stdout } = await exec(binaryPath('kustomize'), ['build', path.join(REPO_ROOT, 'deploy')], { maxBuffer: 16 * 1024 * 1024 });
    const objs = identityObjects(parseManifests(stdout) as unknown as Parameters<typeof identityObjects>[0]);
    const api = KubernetesObjectApi.makeApiClient(lab().kc);
    for (const o of objs) {
      o.metadata.labels = { ...(o.metadata.labels ?? {}), [LAB_TEST_LABEL]: 'true' };
      await api.patch(o as unknown as KubernetesObject, undefined, undefined, 'lab-rbac-test', true, PatchStrategy.ServerSideApply);
    }
    const binding = objs.find((o) => o.kind === 'RoleBinding') as unknown as { subjects: Array<{ name: string; namespace: string }> };
    saName = binding.subjects[0]?.name ?? '';
    const core = lab().kc.makeApiClient(CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({ namespace: binding.subjects[0]?.namespace ?? '', name: saName, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    token = tr.status?.token ?? '';
    cronJob = await lab()
      .kc.makeApiClient(BatchV1Api)
      .createNamespacedCronJob({
        namespace: ns,
        body: {
          metadata: { name: `rbac-backup-${Date.now().toString(36)}`, labels: { [LAB_TEST_LABEL]: 'true', 'k8s-nas-panel/backup': 'true' } },
          spec: { schedule: '0 3 * * *', suspend: true, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'backup', image, command: ['true'] }] } } } } },
        },
      });
  });

  /** A Job as the panel makes it from the CronJob, with `change` applied. */
  function job(change: (j: V1Job) => void = () => {}): V1Job {
    const j: V1Job = {
      metadata: {
        generateName: 'rbac-backup-',
        labels: { [LAB_TEST_LABEL]: 'true', 'k8s-nas-panel/backup': 'true' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata?.name ?? '', uid: cronJob.metadata?.uid ?? '' }],
      },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels: { [LAB_TEST_LABEL]: 'true' } },
          spec: { restartPolicy: 'Never', serviceAccountName: 'k8s-nas-panel-backup', automountServiceAccountToken: false, containers: [{ name: 'backup', image, command: ['sh', '-c', 'echo backed up'] }] },
        },
      },
    };
    change(j);
    return j;
  }

  it('creates a Job derived from a backup CronJob, lists Jobs and CronJobs, reads the Job pod\'s log', async () => {
    const kc = tokenKubeConfig(lab(), token, saName);
    const batch = kc.makeApiClient(BatchV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    // The API server compiles a new policy within a few seconds: retry until the allowed Job is admitted.
    const created = await waitFor('the backup Job to be admitted', async () => {
      try {
        return await batch.createNamespacedJob({ namespace: ns, body: job() });
      } catch (err) {
        if (err instanceof ApiException && err.code === 403) return undefined;
        throw err;
      }
    }, { timeoutMs: 30_000, intervalMs: 500 });
    expect(created.metadata?.name).toMatch(/^rbac-backup-/);
    expect((await batch.listNamespacedJob({ namespace: ns })).items.some((j) => j.metadata?.uid === created.metadata?.uid)).toBe(true);
    expect((await batch.listNamespacedCronJob({ namespace: ns })).items.some((c) => c.metadata?.uid === cronJob.metadata?.uid)).toBe(true);
    const pod = await waitFor('the Job\'s pod to finish', async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${created.metadata?.name}` })).items;
      return pods.find((p) => p.status?.phase === 'Succeeded');
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(await core.readNamespacedPodLog({ namespace: ns, name: pod.metadata?.name ?? '' })).toBe('backed up\n');
    expect(await status(batch.listNamespacedJob({ namespace: 'monitoring' })), 'Jobs outside the backup namespaces').toBe(403);
    // CronJobs are read in every watched namespace (the certificates' copy jobs), never outside them.
    expect(await status(batch.listNamespacedCronJob({ namespace: 'kube-system' }))).toBe(403);
  });

  it.each([
    ['without the backup label', (j: V1Job) => delete j.metadata?.labels?.['k8s-nas-panel/backup'], /only backup Jobs/],
    ['without a CronJob as owner', (j: V1Job) => delete j.metadata?.ownerReferences, /derived from a backup CronJob/],
    ['as the default ServiceAccount', (j: V1Job) => delete j.spec?.template.spec?.serviceAccountName, /never the default/],
    ['with another image', (j: V1Job) => ((j.spec?.template.spec?.containers[0] as V1Container).image = 'busybox:1.36'), /only the images/],
    ['with an init container of another image', (j: V1Job) => (j.spec!.template.spec!.initContainers = [{ name: 'i', image: 'alpine:3.20', command: ['true'] }]), /only the images/],
    ['privileged', (j: V1Job) => ((j.spec?.template.spec?.containers[0] as V1Container).securityContext = { privileged: true }), /privileged/],
    ['adding a capability', (j: V1Job) => ((j.spec?.template.spec?.containers[0] as V1Container).securityContext = { capabilities: { add: ['SYS_ADMIN'] } }), /capabilities/],
    ['on the host network', (j: V1Job) => (j.spec!.template.spec!.hostNetwork = true), /host namespace/],
    ['in the host PID namespace', (j: V1Job) => (j.spec!.template.spec!.hostPID = true), /host namespace/],
    ['with a hostPath volume', (j: V1Job) => (j.spec!.template.spec!.volumes = [{ name: 'h', hostPath: { path: '/etc' } }]), /hostPath/],
  ])('refuses a Job %s (403, the policy says why)', async (_what, change, reason) => {
    const kc = tokenKubeConfig(lab(), token, saName);
    const batch = kc.makeApiClient(BatchV1Api);
    try {
      await batch.createNamespacedJob({ namespace: ns, body: job(change) });
      throw new Error('admitted');
    } catch (err) {
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<string>).code).toBe(403);
      expect(String((err as ApiException<string>).body)).toMatch(reason);
    }
  });

  it('refuses a Job in a namespace without backups (RBAC) even when it complies', async () => {
    const batch = tokenKubeConfig(lab(), token, saName).makeApiClient(BatchV1Api);
    expect(await status(batch.createNamespacedJob({ namespace: 'monitoring', body: job() }))).toBe(403);
  });

  it('deletes a pod carrying the restore label, and no other pod', async () => {
    const adminCore = lab().kc.makeApiClient(CoreV1Api);
    const mk = (name: string, labels: Record<string, string>) =>
      adminCore.createNamespacedPod({ namespace: ns, body: { metadata: { name, labels: { [LAB_TEST_LABEL]: 'true', ...labels } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } });
    const suffix = Date.now().toString(36);
    const restorable = await mk(`restorable-${suffix}`, { 'k8s-nas-panel/restore': 'enabled' });
    const other = await mk(`other-${suffix}`, {});
    const core = tokenKubeConfig(lab(), token, saName).makeApiClient(CoreV1Api);
    expect(await status(core.deleteNamespacedPod({ namespace: ns, name: other.metadata?.name ?? '' }))).toBe(403);
    expect(await status(core.deleteNamespacedPod({ namespace: ns, name: restorable.metadata?.name ?? '', body: { preconditions: { uid: restorable.metadata?.uid } } }))).toBe(200);
    expect((await adminCore.readNamespacedPod({ namespace: ns, name: other.metadata?.name ?? '' })).metadata?.uid).toBe(other.metadata?.uid);
  });
});
