import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appConfigVolume, LAB_TEST_LABEL, resetLab, restartApp } from '../controls';
import { waitFor } from '../lib/wait';
import { getLab, useLabCluster } from '../cluster/test-cluster';
import { isAlive } from '../lib/process';
import { SimulatorControl } from '../sims/control';
import { isSimulatorInfo } from '../sims/index';
import { REPO_ROOT, volumeDir } from '../paths';
import { RUNNER_ANNOTATION } from '../executor/policy';
import { podEvents, removeNamespaceVolumes, testNamespace, waitPod } from '../executor/test-support';

const lab = useLabCluster();
let ns = '';
beforeAll(async () => {
  ns = await testNamespace(lab().kc, 'init');
}, 60_000);
afterAll(() => {
  if (ns) removeNamespaceVolumes(ns);
});

interface SimInfo {
  controlUrl: string;
  url: string;
  urlBase: string;
}

/** The simulator's control snapshot: how often it started, and whether it runs now. */
async function simSnapshot(app: string): Promise<{ starts: number; running: boolean }> {
  const info = getLab().apps[app] as SimInfo;
  const res = await fetch(info.controlUrl);
  return (await res.json()) as { starts: number; running: boolean };
}

/** How often the simulator started (its control snapshot's `starts`). */
async function simStarts(app: string): Promise<number> {
  return (await simSnapshot(app)).starts;
}

async function replacePod(namespace: string, selector: string): Promise<V1Pod> {
  const kc = lab().kc;
  const core = kc.makeApiClient(CoreV1Api);
  const before = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  expect(before.length).toBeGreaterThan(0);
  for (const p of before) await core.deleteNamespacedPod({ namespace, name: p.metadata?.name ?? '' });
  const old = new Set(before.map((p) => p.metadata?.uid));
  return waitFor(
    `a new ready pod for ${namespace} ${selector}`,
    async () => {
      const pods = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items.filter((p) => !old.has(p.metadata?.uid) && !p.metadata?.deletionTimestamp);
      return pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

describe('init containers and app restarts', () => {
  it('runs init containers one after the other, in order, before the containers', async () => {
    const kc = lab().kc;
    const core = kc.makeApiClient(CoreV1Api);
    const step = (n: number) => ({ name: `step-${n}`, image: 'busybox', command: ['sh', '-c', `echo step-${n} $(cat /shared/order 2>/dev/null | wc -l) >> /shared/order; sleep 0.3`], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] });
    const name = `ordered-${Date.now().toString(36)}`;
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels: { [LAB_TEST_LABEL]: 'true' } },
        spec: {
          restartPolicy: 'Never',
          initContainers: [step(1), step(2), step(3)],
          containers: [{ name: 'main', image: 'busybox', command: ['cat', '/shared/order'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] }],
          volumes: [{ name: 'shared', emptyDir: {} }],
        },
      },
    });
    const done = await waitPod(kc, ns, name, 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    expect(await core.readNamespacedPodLog({ name, namespace: ns })).toBe('step-1 0\nstep-2 1\nstep-3 2\n');
    const inits = done.status?.initContainerStatuses ?? [];
    expect(inits.map((c) => [c.name, c.state?.terminated?.exitCode])).toEqual([
      ['step-1', 0],
      ['step-2', 0],
      ['step-3', 0],
    ]);
    const mainStart = done.status?.containerStatuses?.[0]?.state?.terminated?.startedAt?.getTime() ?? 0;
    for (let i = 1; i < inits.length; i++) {
      expect(inits[i]?.state?.terminated?.startedAt?.getTime()).toBeGreaterThanOrEqual(inits[i - 1]?.state?.terminated?.finishedAt?.getTime() ?? Infinity);
    }
    expect(mainStart).toBeGreaterThanOrEqual(inits[2]?.state?.terminated?.finishedAt?.getTime() ?? Infinity);
    expect(await core.readNamespacedPodLog({ name, namespace: ns, container: 'step-2' })).toBe('');
  });

  it("reads each app's configuration volume from its workload (a claim, or <workload>-config for a hostPath)", async () => {
    expect(appConfigVolume('media', 'sonarr')).toBe('sonarr-config');
    expect(appConfigVolume('qbittorrent', 'qbittorrent')).toBe('qbittorrent-config');
    expect(appConfigVolume('media', 'jellyfin')).toBe('jellyfin-config');
    expect(appConfigVolume('media', 'no-such-app')).toBe('no-such-app-config');
  });

  it("runs a replaced app pod's init containers on the app's volume, then restarts the app", async () => {
    const kc = lab().kc;
    const config = volumeDir('media', appConfigVolume('media', 'radarr'));
    const file = path.join(config, 'config.xml');
    rmSync(file, { force: true });
    const before = await simStarts('radarr');
    // Watch the effects closely: the app stops, the init container writes config.xml, then the app starts again.
    const seen: { stopped?: number; config?: number; restart?: number; runningWhileWritten?: boolean } = {};
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const t = Date.now();
        const snap = await simSnapshot('radarr');
        if (seen.stopped === undefined && !snap.running) seen.stopped = t;
        if (seen.config === undefined && existsSync(file)) {
          seen.config = t;
          seen.runningWhileWritten = snap.running && snap.starts === before;
        }
        if (seen.restart === undefined && snap.starts > before) seen.restart = t;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const pod = await replacePod('media', 'app=radarr').finally(() => (watching = false));
    await watcher;
    expect(pod.metadata?.annotations?.[RUNNER_ANNOTATION]).toBe('executor');
    const init = pod.status?.initContainerStatuses?.[0];
    expect(init?.name).toBe('radarr-config-init');
    expect(init?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    // The init script of the user's manifests wrote the app's config into its volume...
    expect(readFileSync(path.join(config, 'config.xml'), 'utf8')).toContain('<UrlBase>/radarr</UrlBase>');
    // ...while the app process was stopped, and before it started again.
    expect(await simStarts('radarr')).toBe(before + 1);
    expect(seen.stopped).toBeDefined();
    expect(seen.config).toBeDefined();
    expect(seen.restart).toBeDefined();
    expect(seen.stopped).toBeLessThanOrEqual(seen.config ?? 0);
    expect(seen.runningWhileWritten).toBe(false);
    expect(seen.config).toBeLessThanOrEqual(seen.restart ?? 0);
    expect(await podEvents(kc, 'media', pod.metadata?.name ?? '')).toContainEqual(expect.objectContaining({ reason: 'AppRestarted', message: expect.stringContaining('simulator radarr restarted') }));
    const info = getLab().apps.radarr as SimInfo & { apiKey: string };
    const res = await fetch(`${info.url}${info.urlBase}/api/v3/system/status`, { headers: { 'X-Api-Key': info.apiKey } });
    expect(res.status).toBe(200);
  });

  it('restarts the real qBittorrent on the same port when its pod is replaced, and through the control', async () => {
    type Qb = { url: string; pid: number; username: string; password: string };
    const before = getLab().apps.qbittorrent as Qb;
    const pod = await replacePod('qbittorrent', 'app=qbittorrent');
    expect(pod.status?.initContainerStatuses?.[0]).toMatchObject({ name: 'vuetorrent-installer', state: { terminated: expect.objectContaining({ exitCode: 0 }) } });
    const afterPod = getLab().apps.qbittorrent as Qb;
    expect(afterPod.url).toBe(before.url);
    expect(afterPod.pid).not.toBe(before.pid);
    expect(isAlive(before.pid)).toBe(false);
    const login = await fetch(`${afterPod.url}/api/v2/auth/login`, { method: 'POST', headers: { referer: afterPod.url }, body: new URLSearchParams({ username: afterPod.username, password: afterPod.password }) });
    expect(await login.text()).toBe('Ok.');

    const lines = await restartApp('qbittorrent', 'qbittorrent');
    expect(lines.join('\n')).toMatch(/qBittorrent restarted \(pid \d+ -> \d+\)/);
    expect(lines.join('\n')).toMatch(/simulator gluetun-qbittorrent restarted/);
    expect((getLab().apps.qbittorrent as Qb).pid).not.toBe(afterPod.pid);
    await expect(restartApp('media', 'no-such-app')).rejects.toThrow(/no lab app serves media\/no-such-app/);
  });

  it('restarts an app from the command line', async () => {
    const before = await simStarts('sonarr');
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'lab/cli.ts', 'restart-app', 'media', 'sonarr'], { cwd: REPO_ROOT, env: process.env });
    expect(stdout).toMatch(/simulator sonarr restarted on http:\/\/127\.0\.0\.1:\d+/);
    expect(await simStarts('sonarr')).toBe(before + 1);
  });

  it('reset --volumes empties the volumes and replaces the app pods, whose init containers set them up again', async () => {
    const config = volumeDir('media', 'sonarr-config');
    writeFileSync(path.join(config, 'marker.txt'), 'left by a test');
    const seerr = getLab().apps.seerr as SimInfo & { workload: string; configDir: string };
    writeFileSync(path.join(seerr.configDir, 'marker.txt'), 'left by a test');
    const kc = lab().kc;
    const apps = kc.makeApiClient(AppsV1Api);
    const oldPods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'media', labelSelector: 'app=sonarr' })).items.map((p) => p.metadata?.uid);
    const report = await resetLab(() => {}, { volumes: true });
    expect(report.wipedVolumes).toContain('media/sonarr-config');
    expect(existsSync(path.join(config, 'marker.txt'))).toBe(false);
    expect(readFileSync(path.join(config, 'config.xml'), 'utf8')).toContain('<UrlBase>/sonarr</UrlBase>');
    const now = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'media', labelSelector: 'app=sonarr' })).items;
    expect(now.every((p) => !oldPods.includes(p.metadata?.uid))).toBe(true);
    expect((await apps.readNamespacedDeployment({ namespace: 'media', name: 'sonarr' })).status?.readyReplicas).toBe(1);

    // Seerr is not in the manifests: no pod restarts it, the reset does, on its emptied volume.
    expect(seerr.workload).toBe('default');
    expect(report.startedApps).toContain('seerr');
    expect(existsSync(path.join(seerr.configDir, 'marker.txt'))).toBe(false);
    // Every app runs again with the files it seeds on a first start.
    for (const [id, info] of Object.entries(getLab().apps)) {
      if (!isSimulatorInfo(info)) continue;
      const snap = await new SimulatorControl(info.controlUrl).snapshot();
      expect(snap.running, id).toBe(true);
      for (const file of snap.files ?? []) expect(existsSync(path.join(snap.dataDir ?? '', file)), `${id}: ${file}`).toBe(true);
    }
    const qb = getLab().apps.qbittorrent as { url: string; username: string; password: string; profileDir: string };
    expect(existsSync(path.join(qb.profileDir, 'qBittorrent', 'config', 'qBittorrent.conf'))).toBe(true);
    const login = await fetch(`${qb.url}/api/v2/auth/login`, { method: 'POST', headers: { referer: qb.url }, body: new URLSearchParams({ username: qb.username, password: qb.password }) });
    expect(await login.text()).toBe('Ok.');
  });
});
