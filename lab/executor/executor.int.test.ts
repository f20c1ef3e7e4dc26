import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ApiException, BatchV1Api, CoreV1Api, Log, type V1Container, type V1Job, type V1PodSpec } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillVolumeOfNextJob, failNextJob, hangNextJob, killNextJobMidway, LAB_TEST_LABEL, volumeQuotaBytes } from '../controls';
import { waitFor } from '../lib/wait';
import { useLabCluster } from '../cluster/test-cluster';
import { printStatus } from '../lab';
import { labFiles, volumeDir } from '../paths';
import { executorStatus } from './index';
import { RUNNER_ANNOTATION } from './policy';
import { boundClaim, jobPods, markerSeconds, podEvents, processRunning, removeNamespaceVolumes, testNamespace, waitJob, waitPod } from './test-support';

const lab = useLabCluster();
let ns = '';

beforeAll(async () => {
  ns = await testNamespace(lab().kc, 'exec');
  await Promise.all([boundClaim(lab().kc, ns, 'app-config'), boundClaim(lab().kc, ns, 'backups')]);
}, 120_000);

afterAll(() => {
  if (ns) removeNamespaceVolumes(ns);
});

const labels = { [LAB_TEST_LABEL]: 'true' };

function job(name: string, container: Partial<V1Container>, spec: Partial<V1PodSpec> = {}, extra: Partial<NonNullable<V1Job['spec']>> = {}): V1Job {
  return {
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      ...extra,
      template: {
        metadata: { labels },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', ...container }], ...spec },
      },
    },
  };
}

async function createJob(body: V1Job): Promise<string> {
  await lab().kc.makeApiClient(BatchV1Api).createNamespacedJob({ namespace: ns, body });
  return body.metadata?.name ?? '';
}

async function onlyPod(jobName: string) {
  const pods = await waitFor(`a pod of Job ${jobName}`, async () => {
    const p = await jobPods(lab().kc, ns, jobName);
    return p.length > 0 ? p : undefined;
  });
  return pods[0]!;
}

function terminatedOf(pod: Awaited<ReturnType<typeof onlyPod>>, container = 'main') {
  return pod.status?.containerStatuses?.find((c) => c.name === container)?.state?.terminated;
}

describe('the lab executor runs allowlisted pods for real', () => {
  it("runs a CronJob's Job that tars a config volume into a backup volume with a checksum; its logs come through pods/log", async () => {
    const kc = lab().kc;
    const batch = kc.makeApiClient(BatchV1Api);
    const config = volumeDir(ns, 'app-config');
    mkdirSync(path.join(config, 'db'), { recursive: true });
    writeFileSync(path.join(config, 'config.xml'), '<Config><UrlBase>/sonarr</UrlBase></Config>\n');
    writeFileSync(path.join(config, 'db', 'sonarr.db'), Buffer.from(Array.from({ length: 20_000 }, (_, i) => i % 251)));
    const script = [
      'set -eu',
      'stamp=$(date +%Y%m%d-%H%M%S)',
      'archive=config-$stamp.tar.gz',
      'tar czf /backup/$archive -C /config .',
      'cd /backup',
      'sha256sum $archive > $archive.sha256',
      'tar tzf $archive',
      'echo "wrote $archive ($(wc -c < $archive) bytes)"',
    ].join('\n');
    await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'config-backup', labels },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: {
              backoffLimit: 0,
              template: {
                spec: {
                  restartPolicy: 'Never',
                  containers: [
                    {
                      name: 'backup',
                      image: 'alpine:3.20',
                      command: ['/bin/sh', '-c', script],
                      volumeMounts: [
                        { name: 'config', mountPath: '/config', readOnly: true },
                        { name: 'backups', mountPath: '/backup' },
                      ],
                    },
                  ],
                  volumes: [
                    { name: 'config', persistentVolumeClaim: { claimName: 'app-config' } },
                    { name: 'backups', persistentVolumeClaim: { claimName: 'backups' } },
                  ],
                },
              },
            },
          },
        },
      },
    });
    // What `kubectl create job --from=cronjob/config-backup` does.
    const cron = await batch.readNamespacedCronJob({ namespace: ns, name: 'config-backup' });
    const name = `config-backup-manual-${Date.now().toString(36)}`;
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: {
          name,
          labels,
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'config-backup', uid: cron.metadata?.uid ?? '', controller: true }],
        },
        spec: cron.spec?.jobTemplate.spec,
      },
    });
    const done = await waitJob(kc, ns, name, 'Complete');
    expect(done.status?.succeeded).toBe(1);

    const backups = volumeDir(ns, 'backups');
    const archives = readdirSync(backups).filter((f) => /^config-\d{8}-\d{6}\.tar\.gz$/.test(f));
    expect(archives).toHaveLength(1);
    const archive = path.join(backups, archives[0]!);
    const listed = execFileSync('tar', ['tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(listed).toEqual(['./', './config.xml', './db/', './db/sonarr.db']);
    const sum = readFileSync(`${archive}.sha256`, 'utf8');
    expect(sum).toBe(`${createHash('sha256').update(readFileSync(archive)).digest('hex')}  ${archives[0]}\n`);
    expect(execFileSync('tar', ['xzf', archive, '-O', './db/sonarr.db']).equals(readFileSync(path.join(config, 'db', 'sonarr.db')))).toBe(true);

    const pod = await onlyPod(name);
    expect(pod.metadata?.annotations?.[RUNNER_ANNOTATION]).toBe('executor');
    const core = kc.makeApiClient(CoreV1Api);
    const logs = await core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: ns });
    expect(logs).toContain('./config.xml\n./db/\n./db/sonarr.db\n');
    expect(logs).toMatch(new RegExp(`wrote ${archives[0]!.replace(/\./g, '\\.')} \\(\\d+ bytes\\)\\n$`));
    const last = await core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: ns, container: 'backup', tailLines: 1, timestamps: true });
    expect(last).toMatch(/^\d{4}-\d\d-\d\dT\S+Z wrote config-/);
    expect(last.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('follows a running container\'s log (follow=true) until it ends, and serves the previous attempt', async () => {
    const kc = lab().kc;
    const core = kc.makeApiClient(CoreV1Api);
    const name = `counter-${Date.now().toString(36)}`;
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          restartPolicy: 'OnFailure',
          containers: [
            {
              name: 'count',
              image: 'busybox',
              // First attempt fails after counting; the restart (emptyDir survives it) succeeds.
              command: ['sh', '-c', 'if [ -e /state/ran ]; then echo second attempt; exit 0; fi; touch /state/ran; for i in 1 2 3; do echo line $i; sleep 1; done; exit 1'],
              volumeMounts: [{ name: 'state', mountPath: '/state' }],
            },
          ],
          volumes: [{ name: 'state', emptyDir: {} }],
        },
      },
    });
    await waitPod(kc, ns, name, 'running', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined);
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const ended = new Promise((resolve) => out.on('end', resolve));
    await new Log(kc).log(ns, name, 'count', out, { follow: true });
    await ended;
    expect(chunks.join('')).toBe('line 1\nline 2\nline 3\n');
    const done = await waitPod(kc, ns, name, 'Succeeded after a restart', (p) => p.status?.phase === 'Succeeded', 60_000);
    expect(done.status?.containerStatuses?.[0]?.restartCount).toBe(1);
    expect(done.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(1);
    expect(await core.readNamespacedPodLog({ name, namespace: ns })).toBe('second attempt\n');
    expect(await core.readNamespacedPodLog({ name, namespace: ns, previous: true })).toBe('line 1\nline 2\nline 3\n');
  });

  it('fails a Job whose command fails, with the exit code in the container state; a fault forces another code', async () => {
    const kc = lab().kc;
    const failing = await createJob(job(`fails-${Date.now().toString(36)}`, { command: ['sh', '-c', 'echo about to fail >&2; exit 3'] }));
    const failed = await waitJob(kc, ns, failing, 'Failed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const pod = await onlyPod(failing);
    expect(pod.status?.phase).toBe('Failed');
    expect(terminatedOf(pod)).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await kc.makeApiClient(CoreV1Api).readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: ns })).toBe('about to fail\n');

    failNextJob(ns, 42);
    const forced = await createJob(job(`forced-${Date.now().toString(36)}`, { command: ['sh', '-c', 'echo fine'] }));
    await waitJob(kc, ns, forced, 'Failed');
    const fp = await onlyPod(forced);
    expect(terminatedOf(fp)?.exitCode).toBe(42);
    expect(await podEvents(kc, ns, fp.metadata?.name ?? '')).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'LabFault', message: expect.stringContaining('exit 42') }));
  });

  it('kills a hung Job at activeDeadlineSeconds, and a hung pod at its own deadline', async () => {
    const kc = lab().kc;
    const n = markerSeconds();
    const name = await createJob(job(`hangs-${Date.now().toString(36)}`, { command: ['sleep', String(n)] }, {}, { activeDeadlineSeconds: 4 }));
    await waitFor(`sleep ${n} running in the sandbox`, async () => processRunning(`sleep ${n}`), { timeoutMs: 30_000 });
    const t0 = Date.now();
    const failed = await waitJob(kc, ns, name, 'Failed', 60_000);
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
    await waitFor(`sleep ${n} gone`, async () => !processRunning(`sleep ${n}`), { timeoutMs: 30_000 });
    expect(Date.now() - t0).toBeLessThan(45_000);

    hangNextJob(ns);
    const hung = await createJob(job(`hung-fault-${Date.now().toString(36)}`, { command: ['sh', '-c', 'echo would finish'] }, { activeDeadlineSeconds: 3 }));
    const pod = await onlyPod(hung);
    const dead = await waitPod(kc, ns, pod.metadata?.name ?? '', 'Failed by its deadline', (p) => p.status?.phase === 'Failed');
    expect(dead.status?.reason).toBe('DeadlineExceeded');
    expect(terminatedOf(dead)?.exitCode).toBe(137);
  });

  it('refuses privileged containers with a Warning event and never starts them', async () => {
    const kc = lab().kc;
    const n = markerSeconds();
    const name = await createJob(job(`privileged-${Date.now().toString(36)}`, { command: ['sleep', String(n)], securityContext: { privileged: true } }));
    const pod = await onlyPod(name);
    const podName = pod.metadata?.name ?? '';
    const waiting = await waitPod(kc, ns, podName, 'refused', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/privileged/);
    const events = await waitFor('the Refused event', async () => {
      const e = await podEvents(kc, ns, podName);
      return e.some((x) => x.reason === 'Refused') ? e : undefined;
    });
    expect(events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'Refused', message: expect.stringMatching(/refused to start container "main".*privileged/) }));
    expect(processRunning(`sleep ${n}`)).toBe(false);
  });

  it('fails a Job whose volume is full past the size a fault sets ("No space left on device"), then lifts the limit', async () => {
    const kc = lab().kc;
    fillVolumeOfNextJob(ns, 256 * 1024, 'backups');
    const name = await createJob(
      job(
        `fills-${Date.now().toString(36)}`,
        { command: ['sh', '-c', 'dd if=/dev/zero of=/backup/big.bin bs=64k count=64'], volumeMounts: [{ name: 'backups', mountPath: '/backup' }] },
        { volumes: [{ name: 'backups', persistentVolumeClaim: { claimName: 'backups' } }] },
      ),
    );
    await waitJob(kc, ns, name, 'Failed');
    const pod = await onlyPod(name);
    expect(terminatedOf(pod)?.exitCode).toBe(1);
    expect(await kc.makeApiClient(CoreV1Api).readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: ns })).toMatch(/No space left on device/);
    expect(volumeQuotaBytes(ns, 'backups')).toBeUndefined();
  });

  it('kills a Job midway when a fault says so (exit 137), and pod or Job deletion kills the process tree', async () => {
    const kc = lab().kc;
    killNextJobMidway(ns, 1500);
    const killed = await createJob(job(`killed-${Date.now().toString(36)}`, { command: ['sh', '-c', 'echo started; sleep 20; echo never'] }));
    await waitJob(kc, ns, killed, 'Failed');
    const kp = await onlyPod(killed);
    expect(terminatedOf(kp)?.exitCode).toBe(137);
    expect(await kc.makeApiClient(CoreV1Api).readNamespacedPodLog({ name: kp.metadata?.name ?? '', namespace: ns })).toBe('started\n');

    const core = kc.makeApiClient(CoreV1Api);
    const n = markerSeconds();
    const podName = `tree-${Date.now().toString(36)}`;
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: podName, labels }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 2, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', `sleep ${n} & sleep ${n + 1} & wait`] }] } },
    });
    await waitFor('both sleeps running', async () => processRunning(`sleep ${n}`) && processRunning(`sleep ${n + 1}`), { timeoutMs: 30_000 });
    await core.deleteNamespacedPod({ name: podName, namespace: ns });
    await waitFor(`pod ${podName} gone`, async () => !(await core.readNamespacedPodStatus({ name: podName, namespace: ns }).then(() => true, () => false)), { timeoutMs: 30_000 });
    expect(processRunning(`sleep ${n}`) || processRunning(`sleep ${n + 1}`)).toBe(false);

    const m = markerSeconds();
    const long = await createJob(job(`deleted-${Date.now().toString(36)}`, { command: ['sleep', String(m)] }));
    await waitFor(`sleep ${m} running`, async () => processRunning(`sleep ${m}`), { timeoutMs: 30_000 });
    await kc.makeApiClient(BatchV1Api).deleteNamespacedJob({ name: long, namespace: ns, propagationPolicy: 'Background' });
    await waitFor(`sleep ${m} killed with its Job`, async () => !processRunning(`sleep ${m}`), { timeoutMs: 30_000 });
  });

  it('applies env, envFrom, ConfigMap/Secret volumes, subPath, readOnly and workingDir; no network; refuses foreign hostPaths', async () => {
    const kc = lab().kc;
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings', labels }, data: { LEVEL: 'debug', 'app.ini': 'threads=4\n' } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'creds', labels }, stringData: { TOKEN: 's3cr3t' } } });
    const script = [
      'echo "level=$LEVEL token=$TOKEN dest=$DEST pod=$POD_NAME"',
      'cat /app/app.ini',
      'cat /secrets/TOKEN; echo',
      'pwd',
      'touch /etc/settings/x 2>/dev/null && echo writable || echo read-only',
      'cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d " "',
      'cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo',
    ].join('\n');
    const name = `env-${Date.now().toString(36)}`;
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'main',
              image: 'debian:12',
              command: ['sh', '-c', script],
              workingDir: '/app',
              envFrom: [{ configMapRef: { name: 'settings' } }],
              env: [
                { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'TOKEN' } } },
                { name: 'DEST', value: '/backup/$(LEVEL)' },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              volumeMounts: [
                { name: 'settings', mountPath: '/etc/settings' },
                { name: 'settings', mountPath: '/app/app.ini', subPath: 'app.ini' },
                { name: 'creds', mountPath: '/secrets', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'settings', configMap: { name: 'settings' } },
            { name: 'creds', secret: { secretName: 'creds' } },
          ],
        },
      },
    });
    await waitPod(kc, ns, name, 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    expect(await core.readNamespacedPodLog({ name, namespace: ns })).toBe(
      [`level=debug token=s3cr3t dest=/backup/debug pod=${name}`, 'threads=4', 's3cr3t', '/app', 'read-only', 'lo', ns, ''].join('\n'),
    );

    const host = `hostpath-${Date.now().toString(36)}`;
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: host, labels },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['cat', '/host/shadow'], volumeMounts: [{ name: 'etc', mountPath: '/host' }] }], volumes: [{ name: 'etc', hostPath: { path: '/etc' } }] },
      },
    });
    const refused = await waitPod(kc, ns, host, 'waiting for its mount', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating' && !!p.status.containerStatuses[0].state.waiting.message);
    expect(refused.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/hostPath \/etc refused/);
    expect(await podEvents(kc, ns, host)).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'FailedMount' }));
  });

  it('leaves pods with other images to kwok, and lab status shows the executor and the volumes', async () => {
    const kc = lab().kc;
    const name = await createJob(job(`kwok-${Date.now().toString(36)}`, { image: 'nginx:1.27', command: ['nginx', '-t'] }));
    await waitJob(kc, ns, name, 'Complete');
    const pod = await onlyPod(name);
    expect(pod.metadata?.annotations?.[RUNNER_ANNOTATION]).toBeUndefined();
    expect(await kc.makeApiClient(CoreV1Api).readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: ns }).catch((e: ApiException<string>) => `error ${e.code}`)).toBe('');

    const lines: string[] = [];
    await printStatus((l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toMatch(/executor: {4}pid \d+, sandbox (bwrap|unshare), kubelet API https:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/lab-executor +pid \d+ +running/);
    expect(text).toMatch(new RegExp(`${ns}/backups +\\d+(\\.\\d)? (B|KiB|MiB) +\\d+ file\\(s\\)`));
    expect(text).toMatch(new RegExp(`${ns}/app-config +\\d+\\.\\d KiB +2 file\\(s\\)`));
  });

  it('serves container logs only to the API server, and comes back after a crash', async () => {
    const dir = lab().labDir;
    const port = (JSON.parse(readFileSync(labFiles(dir).ports, 'utf8')) as { kubelet: number }).kubelet;
    const certs = labFiles(dir).certs;
    const get = (cert?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = https.get(
          {
            host: '127.0.0.1',
            port,
            path: `/containerLogs/${ns}/x/main`,
            ca: readFileSync(path.join(certs, 'ca.crt')),
            ...(cert ? { cert: readFileSync(path.join(certs, `${cert}.crt`)), key: readFileSync(path.join(certs, `${cert}.key`)) } : {}),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
      });
    expect(await get('apiserver-kubelet-client')).toBe(200);
    expect(await get('kwok')).toBe(403);
    await expect(get()).rejects.toThrow();

    const before = executorStatus(dir);
    expect(before?.pid).toBeGreaterThan(0);
    process.kill(before?.pid ?? 0, 'SIGKILL');
    const after = await waitFor('the executor restarted by its supervisor', async () => {
      const s = executorStatus(dir);
      return s && s.pid !== before?.pid && s.restarts > (before?.restarts ?? 0) ? s : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(after.sandbox).toBe(before?.sandbox);
    const name = await createJob(job(`after-crash-${Date.now().toString(36)}`, { command: ['sh', '-c', 'echo still running jobs'] }));
    await waitJob(lab().kc, ns, name, 'Complete');
  });
});
