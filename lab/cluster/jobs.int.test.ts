import { BatchV1Api, type V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LAB_TEST_LABEL } from '../controls';
import { waitFor } from '../lib/wait';
import { useLabCluster } from './test-cluster';

const lab = useLabCluster();

async function waitComplete(batch: BatchV1Api, namespace: string, name: string): Promise<V1Job> {
  return waitFor(
    `Job ${namespace}/${name} Complete`,
    async () => {
      const j = await batch.readNamespacedJob({ namespace, name });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
}

describe('jobs in the lab (scheduler -> kwok -> job controller)', () => {
  it('runs a Job created through the API to Complete', async () => {
    const batch = lab().kc.makeApiClient(BatchV1Api);
    const name = `lab-job-${Date.now().toString(36)}`;
    await batch.createNamespacedJob({
      namespace: 'media',
      body: {
        metadata: { name, labels: { [LAB_TEST_LABEL]: 'true' } },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { [LAB_TEST_LABEL]: 'true' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox:1.36', command: ['true'] }] },
          },
        },
      },
    });
    const done = await waitComplete(batch, 'media', name);
    expect(done.status?.succeeded).toBe(1);
    expect(done.status?.completionTime).toBeTruthy();
  });

  it("completes a manual trigger of a CronJob (a Job from the CronJob's template)", async () => {
    const batch = lab().kc.makeApiClient(BatchV1Api);
    const all = await batch.listCronJobForAllNamespaces();
    const cron = all.items[0];
    expect(cron, 'the seeded repository has a CronJob').toBeDefined();
    const ns = cron?.metadata?.namespace ?? '';
    const name = `${cron?.metadata?.name}-manual-${Date.now().toString(36)}`.slice(0, 63);
    const template = cron?.spec?.jobTemplate;
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: {
          name,
          labels: { ...(template?.metadata?.labels ?? {}), [LAB_TEST_LABEL]: 'true' },
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cron?.metadata?.name ?? '', uid: cron?.metadata?.uid ?? '', controller: true }],
        },
        spec: template?.spec,
      },
    });
    const done = await waitComplete(batch, ns, name);
    expect(done.status?.succeeded).toBeGreaterThanOrEqual(1);
  });
});
