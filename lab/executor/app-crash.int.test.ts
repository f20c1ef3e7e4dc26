import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { appCrashing, crashApp, recoverApp, resetLab } from '../controls';
import { useLabCluster } from '../cluster/test-cluster';
import { findSimulator } from '../sims/index';

const lab = useLabCluster();

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

describe('a real crash loop of an app (crashApp)', () => {
  it('runs the failed start for real: CrashLoopBackOff, restarts, exit code, and the failed run through pods/log with previous=true', async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    const key = lab().secrets['media/starr-secrets']?.RADARR_API_KEY ?? 'no-key';
    const sim = findSimulator(lab().labDir, 'media/radarr');
    expect(sim).toBeDefined();
    const ping = `${sim?.url}${sim?.urlBase}/ping`;
    expect(await status(ping)).toBe(200);
    const r = await crashApp('media', 'radarr', { exitCode: 3, extraLines: [`[Warn] Api: request /api/v3/system/status?apikey=${key} failed`], minRestarts: 2 });
    expect(appCrashing('media', 'radarr')).toBe(true);
    const pod = await core.readNamespacedPod({ namespace: 'media', name: r.pod });
    const st = pod.status?.containerStatuses?.find((c) => c.name === r.container);
    expect(st?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(st?.restartCount).toBeGreaterThanOrEqual(2);
    expect(st?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    // The app's process is down, as the real app would be.
    expect(await status(ping)).toBe(0);
    const previous = await core.readNamespacedPodLog({ namespace: 'media', name: r.pod, container: r.container, previous: true, timestamps: true });
    expect(previous).toMatch(/^\d{4}-\d{2}-\d{2}T\S+Z \[Info\] Bootstrap: Starting Radarr/m);
    expect(previous).toContain('[Fatal] ConsoleApp: EPIC FAIL!');
    expect(previous).toContain('CorruptDatabaseException: Database file: /config/radarr.db is corrupt');
    expect(previous).toContain(`apikey=${key}`);
    const events = await core.listNamespacedEvent({ namespace: 'media', fieldSelector: `involvedObject.name=${r.pod}` });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['LabFault', 'BackOff']));

    await recoverApp('media', 'radarr');
    expect(appCrashing('media', 'radarr')).toBe(false);
    expect(await status(ping)).toBe(200);
  }, 150_000);

  it('is lifted by resetLab', async () => {
    await crashApp('media', 'lidarr', { minRestarts: 1 });
    const report = await resetLab();
    expect(appCrashing('media', 'lidarr')).toBe(false);
    expect(report.restartedPods.some((p) => p.startsWith('media/lidarr-'))).toBe(true);
  }, 150_000);
});
