import { randomBytes } from 'node:crypto';
import type { LabKubeClient } from '../cluster/kube-http';
import type { Pod } from './types';

/** Records core/v1 Events on pods, the way a kubelet reports what it does (source `lab-executor`). */
export class EventRecorder {
  constructor(
    private readonly client: LabKubeClient,
    private readonly log: (msg: string) => void,
  ) {}

  /** Records one event; never throws (a lost event must not stop a pod). */
  async record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, container?: string): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const { namespace, name, uid, resourceVersion } = pod.metadata;
    const isInit = container !== undefined && (pod.spec.initContainers ?? []).some((c) => c.name === container);
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name,
        namespace,
        uid,
        resourceVersion,
        ...(container ? { fieldPath: `spec.${isInit ? 'initContainers' : 'containers'}{${container}}` } : {}),
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: 'lab-executor', host: pod.spec.nodeName },
      reportingComponent: 'lab-executor',
      reportingInstance: pod.spec.nodeName ?? '',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.client.request({ method: 'POST', path: `/api/v1/namespaces/${namespace}/events`, body });
    } catch (err) {
      this.log(`event ${reason} on ${namespace}/${name} not recorded: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
