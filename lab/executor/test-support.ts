import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { LAB_TEST_LABEL } from '../controls';
import { waitFor } from '../lib/wait';
import { labDir } from '../paths';

/** Helpers for tests that run pods through the lab executor. */

/** Creates a namespace for one test file (deleted by resetLab) and waits for its default ServiceAccount. */
export async function testNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name, labels: { [LAB_TEST_LABEL]: 'true' } } } });
  await waitFor(`ServiceAccount ${name}/default`, async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: name }).catch(() => undefined)) !== undefined, { timeoutMs: 30_000 });
  return name;
}

/** Removes the volume directories a test namespace left (they outlive the namespace, as volumes do). */
export function removeNamespaceVolumes(namespace: string): void {
  rmSync(path.join(labDir(), 'volumes', namespace), { recursive: true, force: true });
}

/** Creates a PVC and waits until it is Bound. */
export async function boundClaim(kc: KubeConfig, namespace: string, name: string, size = '1Gi'): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: { metadata: { name, labels: { [LAB_TEST_LABEL]: 'true' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } } },
  });
  await waitFor(`PVC ${namespace}/${name} Bound`, async () => (await core.readNamespacedPersistentVolumeClaim({ name, namespace })).status?.phase === 'Bound', { timeoutMs: 30_000, intervalMs: 200 });
}

/** Waits for a Job condition (Complete or Failed) to be True. */
export async function waitJob(kc: KubeConfig, namespace: string, name: string, condition: 'Complete' | 'Failed', timeoutMs = 60_000): Promise<V1Job> {
  const batch = kc.makeApiClient(BatchV1Api);
  return waitFor(
    `Job ${namespace}/${name} ${condition}`,
    async () => {
      const j = await batch.readNamespacedJob({ namespace, name });
      const other = condition === 'Complete' ? 'Failed' : 'Complete';
      const conds = j.status?.conditions ?? [];
      if (conds.some((c) => c.type === other && c.status === 'True')) throw new Error(`Job ${namespace}/${name} is ${other}: ${JSON.stringify(conds)}`);
      return conds.some((c) => c.type === condition && c.status === 'True') ? j : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** The pods of a Job, oldest first. */
export async function jobPods(kc: KubeConfig, namespace: string, job: string): Promise<V1Pod[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
  return list.items.sort((a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0));
}

/** Waits until a pod satisfies `check`. */
export async function waitPod(kc: KubeConfig, namespace: string, name: string, what: string, check: (p: V1Pod) => boolean, timeoutMs = 60_000): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  let last: V1Pod | undefined;
  return waitFor(
    `pod ${namespace}/${name}: ${what}`,
    async () => {
      last = await core.readNamespacedPod({ namespace, name });
      return check(last) ? last : undefined;
    },
    { timeoutMs, intervalMs: 200, describe: () => JSON.stringify(last?.status ?? {}).slice(0, 600) },
  );
}

/** Events the lab executor recorded on a pod. */
export async function podEvents(kc: KubeConfig, namespace: string, pod: string): Promise<{ type: string; reason: string; message: string }[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod}` });
  return list.items.map((e) => ({ type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '' }));
}

/** Whether a process whose command line contains `needle` runs on this machine. */
export function processRunning(needle: string): boolean {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').some((l) => l.includes(needle));
}

/** A number unlikely to appear in any other process's command line (for `sleep <n>` markers). */
export function markerSeconds(): number {
  return 700_000 + Math.floor(Math.random() * 200_000);
}
