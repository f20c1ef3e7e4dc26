import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { crashLoopPod, deletePod, scaleWorkload, setApplicationHealth, setApplicationSync, setCertificateReady } from './controls';
import { sleep } from './cluster/kube-http';
import { useLabCluster } from './cluster/test-cluster';

const lab = useLabCluster();

describe('lab controls', () => {
  it('scales a deployment to 0 and back', async () => {
    const apps = lab().kc.makeApiClient(AppsV1Api);
    const core = lab().kc.makeApiClient(CoreV1Api);
    await scaleWorkload('media', 'radarr', 0);
    const zero = await apps.readNamespacedDeployment({ namespace: 'media', name: 'radarr' });
    expect(zero.spec?.replicas).toBe(0);
    expect(zero.status?.readyReplicas ?? 0).toBe(0);
    expect((await core.listNamespacedPod({ namespace: 'media', labelSelector: 'app=radarr' })).items).toHaveLength(0);
    await scaleWorkload('media', 'radarr', 1);
    const back = await apps.readNamespacedDeployment({ namespace: 'media', name: 'radarr' });
    expect(back.status?.readyReplicas).toBe(1);
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

  it('marks a Certificate not ready and an Application OutOfSync/Degraded', async () => {
    const custom = lab().kc.makeApiClient(CustomObjectsApi);
    const certs = (await custom.listClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates' })) as {
      items: { metadata: { name: string; namespace: string } }[];
    };
    const cert = certs.items[0]?.metadata;
    await setCertificateReady(cert?.namespace ?? '', cert?.name ?? '', false, 'DNS01Failed');
    const c = (await custom.getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: cert?.namespace ?? '', plural: 'certificates', name: cert?.name ?? '' })) as {
      status: { conditions: { type: string; status: string; reason: string }[] };
    };
    expect(c.status.conditions.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'DNS01Failed' });

    await setApplicationSync('argocd', 'media-services-production-cluster', 'OutOfSync', 'a'.repeat(40));
    await setApplicationHealth('argocd', 'media-services-production-cluster', 'Degraded', 'sonarr is crash-looping');
    const a = (await custom.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'media-services-production-cluster' })) as {
      status: { sync: { status: string; revision: string }; health: { status: string; message: string } };
    };
    expect(a.status.sync).toMatchObject({ status: 'OutOfSync', revision: 'a'.repeat(40) });
    expect(a.status.health).toMatchObject({ status: 'Degraded', message: 'sonarr is crash-looping' });
  });
});
