import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { crashLoopPod, deletePod, readApplication, resetLab, scaleWorkload, setCertificateReady, SELF_HEAL_PAUSED_ANNOTATION, waitForApplication } from './controls';
import { sleep } from './lib/wait';
import { useLabCluster } from './cluster/test-cluster';

const lab = useLabCluster();
const APP = { namespace: 'argocd', name: 'media-services-production-cluster' };

describe('lab controls', () => {
  it('scales a deployment to 0 and back, with its Application\'s self-heal turned off as one would in Argo CD', async () => {
    const apps = lab().kc.makeApiClient(AppsV1Api);
    const core = lab().kc.makeApiClient(CoreV1Api);
    await scaleWorkload('media', 'radarr', 0);
    const zero = await apps.readNamespacedDeployment({ namespace: 'media', name: 'radarr' });
    expect(zero.spec?.replicas).toBe(0);
    expect(zero.status?.readyReplicas ?? 0).toBe(0);
    expect((await core.listNamespacedPod({ namespace: 'media', labelSelector: 'app=radarr' })).items).toHaveLength(0);
    // Argo CD sees the drift from Git and, with self-heal off, leaves it.
    const app = await waitForApplication(APP.namespace, APP.name, (a) => a.status?.sync?.status === 'OutOfSync', 'OutOfSync');
    expect(app.spec?.syncPolicy?.automated?.selfHeal).toBe(false);
    expect(app.metadata.annotations?.[SELF_HEAL_PAUSED_ANNOTATION]).toBe('true');
    expect(app.status?.resources).toContainEqual(expect.objectContaining({ kind: 'Deployment', name: 'radarr', status: 'OutOfSync' }));
    await sleep(3000);
    expect((await apps.readNamespacedDeployment({ namespace: 'media', name: 'radarr' })).spec?.replicas).toBe(0);
    await scaleWorkload('media', 'radarr', 1);
    const back = await apps.readNamespacedDeployment({ namespace: 'media', name: 'radarr' });
    expect(back.status?.readyReplicas).toBe(1);
    await waitForApplication(APP.namespace, APP.name, (a) => a.status?.sync?.status === 'Synced', 'Synced again');
    // resetLab gives the Application its self-heal back.
    const report = await resetLab();
    expect(report.applications).toContain(APP.name);
    const restored = await readApplication(APP.namespace, APP.name);
    expect(restored.spec?.syncPolicy?.automated?.selfHeal).toBe(true);
    expect(restored.metadata.annotations?.[SELF_HEAL_PAUSED_ANNOTATION]).toBeUndefined();
  });

  it('makes a pod crash-loop: Ready=False, CrashLoopBackOff with restarts, and it sticks', async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    const apps = lab().kc.makeApiClient(AppsV1Api);
    const podName = await crashLoopPod('media', 'sonarr', 7);
    await sleep(2000);
    const pod = await core.readNamespacedPod({ namespace: 'media', name: podName });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    const cs = pod.status?.containerStatuses?.[0];
    expect(cs?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(cs?.restartCount).toBe(7);
    expect(cs?.lastState?.terminated?.exitCode).toBe(1);
    const d = await apps.readNamespacedDeployment({ namespace: 'media', name: 'sonarr' });
    expect(d.status?.readyReplicas ?? 0).toBe(0);
  });

  it('deletes a pod and its ReplicaSet replaces it', async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    const before = (await core.listNamespacedPod({ namespace: 'media', labelSelector: 'app=lidarr' })).items[0];
    await deletePod('media', before?.metadata?.name ?? '');
    await scaleWorkload('media', 'lidarr', 1);
    const after = (await core.listNamespacedPod({ namespace: 'media', labelSelector: 'app=lidarr' })).items;
    expect(after).toHaveLength(1);
    expect(after[0]?.metadata?.uid).not.toBe(before?.metadata?.uid);
  });

  it('breaks an Application\'s health through its objects: a crash-looping pod, a Certificate not ready', async () => {
    await crashLoopPod('media', 'sonarr', 3);
    const progressing = await waitForApplication(APP.namespace, APP.name, (a) => a.status?.health?.status === 'Progressing', 'Progressing');
    expect(progressing.status?.health?.message).toMatch(/^Deployment media\/sonarr: Waiting for rollout to finish: 0 of 1 updated replicas are available/);
    expect(progressing.status?.sync?.status).toBe('Synced');

    const custom = lab().kc.makeApiClient(CustomObjectsApi);
    const certs = (await custom.listClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates' })) as {
      items: { metadata: { name: string; namespace: string; annotations?: Record<string, string> } }[];
    };
    const cert = certs.items.find((x) => x.metadata.annotations?.['argocd.argoproj.io/tracking-id'])?.metadata;
    const owner = cert?.annotations?.['argocd.argoproj.io/tracking-id']?.split(':')[0];
    expect(owner, 'an Application manages a Certificate').toBeTruthy();
    await setCertificateReady(cert?.namespace ?? '', cert?.name ?? '', false, 'DNS01Failed');
    const c = (await custom.getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: cert?.namespace ?? '', plural: 'certificates', name: cert?.name ?? '' })) as {
      status: { conditions: { type: string; status: string; reason: string }[] };
    };
    expect(c.status.conditions.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'DNS01Failed' });
    const degraded = await waitForApplication('argocd', owner ?? '', (a) => a.status?.health?.status === 'Degraded', 'Degraded');
    expect(degraded.status?.health?.message).toContain(`Certificate ${cert?.namespace}/${cert?.name}: The certificate request has failed`);
    expect(degraded.status?.resources).toContainEqual(expect.objectContaining({ kind: 'Certificate', name: cert?.name, health: expect.objectContaining({ status: 'Degraded' }) }));

    // The lab's reset brings the objects back, and with them the health.
    await resetLab();
    await waitForApplication(APP.namespace, APP.name, (a) => a.status?.health?.status === 'Healthy', 'Healthy again');
    await waitForApplication('argocd', owner ?? '', (a) => a.status?.health?.status === 'Healthy', 'Healthy again');
  });
});
