import type { KubeObject, LabKubeClient } from '../cluster/kube-http';

/**
 * The address ingress-nginx publishes in the status of the Ingresses it serves. The lab's nginx
 * (lab/apps/nginx.ts) serves the Ingresses of class `nginx` (and those without a class) on
 * 127.0.0.1, so their status says so, as in the user's cluster; Argo CD judges an Ingress healthy
 * only once that address is there.
 */

export const LAB_INGRESS_ADDRESS = '127.0.0.1';
const INGRESS_STATUS_MANAGER = 'nginx-ingress-controller';

function servedByLabNginx(obj: KubeObject): boolean {
  const cls = (obj.spec as { ingressClassName?: string } | undefined)?.ingressClassName ?? obj.metadata.annotations?.['kubernetes.io/ingress.class'];
  return cls === undefined || cls === 'nginx';
}

function published(obj: KubeObject): boolean {
  const ingress = (obj.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
  return Array.isArray(ingress) && ingress.length > 0;
}

export class IngressStatusPublisher {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly client: LabKubeClient, private readonly log: (m: string) => void) {}

  onIngress(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    if (type === 'DELETED' || obj.metadata.deletionTimestamp || !servedByLabNginx(obj) || published(obj)) return;
    const p = this.client
      .mergePatch(
        { apiVersion: obj.apiVersion, kind: 'Ingress', name: obj.metadata.name, namespace: obj.metadata.namespace },
        { status: { loadBalancer: { ingress: [{ ip: LAB_INGRESS_ADDRESS }] } } },
        { subresource: 'status', fieldManager: INGRESS_STATUS_MANAGER },
      )
      .catch((err: Error) => this.log(`ingress ${obj.metadata.namespace}/${obj.metadata.name}: status not published: ${err.message.split('\n')[0]}`))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once the status patches started so far are done. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
