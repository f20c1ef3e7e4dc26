import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LabCertManager } from '../cluster/cert-manager';
import { LabKubeClient, type KubeObject } from '../cluster/kube-http';
import { sleep } from '../lib/wait';
import { ApplicationSetController } from './appsets';
import { ApplicationController } from './controller';
import { IngressStatusPublisher } from './ingress-status';
import { ClusterCache, type ChangeType } from './informer';
import { Checkouts, refsFingerprint } from './repos';

/** `<labDir>/argocd/config.json`, written by `lab up`. */
export interface ArgocdConfig {
  labDir: string;
  apiServer: string;
  certDir: string;
  kustomize: string;
  resyncSeconds?: number;
}

/** `<labDir>/argocd/ready.json`: written once every Application was compared after a start. */
export interface ArgocdReady {
  pid: number;
  startedAt: string;
  readyAt: string;
  applications: Record<string, number>;
}

export function argocdDir(labDir: string): string {
  return path.join(labDir, 'argocd');
}

/**
 * The reconciler process: watches Applications, ApplicationSets, Ingresses and every kind the
 * Applications manage, follows the repositories' refs, and runs the controllers until SIGTERM.
 */
export async function runWorker(configFile: string): Promise<void> {
  const cfg = JSON.parse(readFileSync(configFile, 'utf8')) as ArgocdConfig;
  const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
  const startedAt = new Date();
  const client = LabKubeClient.fromCertDir(cfg.apiServer, cfg.certDir);
  for (let attempt = 0; ; attempt++) {
    try {
      await client.discover();
      break;
    } catch (err) {
      if (attempt % 10 === 0) log(`waiting for the API server: ${(err as Error).message.split('\n')[0]}`);
      await sleep(Math.min(250 * 2 ** attempt, 5000));
    }
  }
  const checkouts = new Checkouts(path.join(argocdDir(cfg.labDir), 'checkouts'));
  // Informers deliver changes from their first list on; the controllers are attached right after.
  const handlers: { controller?: ApplicationController; appsets?: ApplicationSetController } = {};
  const ingress = new IngressStatusPublisher(client, log);
  const route = (type: ChangeType, obj: KubeObject, old: KubeObject | undefined) => {
    const argo = obj.apiVersion.startsWith('argoproj.io/');
    if (argo && obj.kind === 'Application') {
      handlers.controller?.onApplication(type, obj);
      handlers.appsets?.onApplication(obj);
    }
    if (argo && obj.kind === 'ApplicationSet') handlers.appsets?.onApplicationSet(type, obj);
    if (obj.kind === 'Ingress') ingress.onIngress(type, obj);
    handlers.controller?.onResource(type, obj, old);
  };
  const cache = new ClusterCache(client, route, log);
  const controller = new ApplicationController({ labDir: cfg.labDir, client, cache, checkouts, kustomize: cfg.kustomize, log, resyncSeconds: cfg.resyncSeconds });
  const appsets = new ApplicationSetController({ labDir: cfg.labDir, client, cache, checkouts, log });
  handlers.controller = controller;
  handlers.appsets = appsets;

  await cache.informer('networking.k8s.io/v1', 'Ingress');
  await ingress.settled();
  await cache.informer('argoproj.io/v1alpha1', 'ApplicationSet');
  await cache.informer('argoproj.io/v1alpha1', 'Application');
  controller.start();
  // The lab's cert-manager and the Secret-copying CronJob (lab/cluster/cert-manager.ts) run beside Argo CD.
  const certManager = new LabCertManager(client, cfg.certDir, path.join(cfg.labDir, 'nginx', 'served'), log);
  certManager.start();
  log(`argocd: watching Applications and ApplicationSets on ${cfg.apiServer}`);

  // Follow the repositories: a ref that moves (a merge on the forge, a push) is seen within a second.
  // A repository followed from now on (an Application created, the registry changed) counts as moved.
  const fingerprints = new Map<string, string>();
  let first = true;
  const poll = setInterval(() => {
    void (async () => {
      const repos = new Set([...(await controller.repositories()), ...(await appsets.repositories())]);
      for (const bare of fingerprints.keys()) if (!repos.has(bare)) fingerprints.delete(bare);
      for (const bare of repos) {
        const fp = refsFingerprint(bare);
        const before = fingerprints.get(bare);
        fingerprints.set(bare, fp);
        if (before !== fp && (before !== undefined || !first)) {
          controller.onRepositoryChanged(bare);
          appsets.onRepositoryChanged(bare);
        }
      }
      first = false;
    })().catch((err: Error) => log(`repository poll: ${err.message}`));
  }, 1000);

  const readyFile = path.join(argocdDir(cfg.labDir), 'ready.json');
  const markReady = setInterval(() => {
    void (async () => {
      if (!(await controller.initialized())) return;
      clearInterval(markReady);
      const ready: ArgocdReady = { pid: process.pid, startedAt: startedAt.toISOString(), readyAt: new Date().toISOString(), applications: await controller.summary() };
      mkdirSync(path.dirname(readyFile), { recursive: true });
      writeFileSync(`${readyFile}.tmp`, `${JSON.stringify(ready, null, 2)}\n`);
      renameSync(`${readyFile}.tmp`, readyFile);
      log(`argocd: every Application compared (${Object.entries(ready.applications).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}) in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s`);
    })().catch(() => undefined);
  }, 300);

  // `lab down` signals the supervisor's process group and the supervisor passes SIGTERM on: a second
  // one must not end the process before it stopped (which `once` would leave to the default action).
  await new Promise<void>((resolve) => {
    process.on('SIGTERM', () => resolve());
    process.on('SIGINT', () => resolve());
  });
  clearInterval(poll);
  clearInterval(markReady);
  controller.stop();
  certManager.stop();
  cache.stop();
  checkouts.clear();
  client.close();
  log('argocd: stopped');
}
