import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeObject, LabKubeClient } from '../cluster/kube-http';
import { generateApplications } from '../cluster/gitops';
import { contentHash } from './compare';
import type { ClusterCache } from './informer';
import { resolveRepository, resolveRevision, type Checkouts } from './repos';
import { APPSET_FIELD_MANAGER } from './tracking';

/**
 * The lab's ApplicationSet controller: generates an ApplicationSet's Applications the way the seeding
 * does (list, git directories, git files and cluster generators), owned by the ApplicationSet, and
 * generates them again when the ApplicationSet changes or the repository its git generators read
 * moves. Applications it no longer generates are deleted (the default `sync` policy), but only after
 * a generation without warnings, so a generator the lab cannot evaluate never removes anything.
 */

interface AppSetObject extends KubeObject {
  spec?: {
    generators?: Record<string, unknown>[];
    syncPolicy?: { applicationsSync?: string; preserveResourcesOnDeletion?: boolean };
  };
}

interface GitGenerator {
  repoURL: string;
  revision: string;
}

function gitGenerators(appset: AppSetObject): GitGenerator[] {
  const out: GitGenerator[] = [];
  for (const g of appset.spec?.generators ?? []) {
    const git = g.git as { repoURL?: unknown; revision?: unknown } | undefined;
    if (git && typeof git.repoURL === 'string') out.push({ repoURL: git.repoURL, revision: typeof git.revision === 'string' ? git.revision : 'HEAD' });
  }
  return out;
}

const iso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ApplicationSetController {
  private readonly triggers = new Map<string, string>();
  private readonly queue = new Set<string>();
  private running = false;
  private readonly empty = mkdtempSync(path.join(os.tmpdir(), 'lab-appset-'));

  constructor(
    private readonly o: { labDir: string; client: LabKubeClient; cache: ClusterCache; checkouts: Checkouts; log: (m: string) => void },
  ) {}

  private async appsets(): Promise<Map<string, KubeObject>> {
    return (await this.o.cache.informer('argoproj.io/v1alpha1', 'ApplicationSet'))?.objects ?? new Map();
  }

  /** An ApplicationSet changed. */
  onApplicationSet(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (type === 'DELETED') {
      this.triggers.delete(key);
      return;
    }
    const trigger = contentHash({ spec: obj.spec, annotations: obj.metadata.annotations ?? {} });
    if (this.triggers.get(key) === trigger) return;
    this.triggers.set(key, trigger);
    this.enqueue(key);
  }

  /** An Application changed: its ApplicationSet's status lists it. */
  onApplication(obj: KubeObject): void {
    const owner = ((obj.metadata.ownerReferences ?? []) as { kind: string; name: string }[]).find((o) => o.kind === 'ApplicationSet');
    if (owner) this.enqueue(`${obj.metadata.namespace}/${owner.name}`, true);
  }

  /** A repository moved: generate again the ApplicationSets whose git generators read it. */
  onRepositoryChanged(bareDir: string): void {
    void this.appsets().then((all) => {
      for (const [key, a] of all) if (gitGenerators(a as AppSetObject).some((g) => resolveRepository(this.o.labDir, g.repoURL) === bareDir)) this.enqueue(key);
    });
  }

  /** Bare repositories the git generators read. */
  async repositories(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const a of (await this.appsets()).values()) {
      for (const g of gitGenerators(a as AppSetObject)) {
        const bare = resolveRepository(this.o.labDir, g.repoURL);
        if (bare) out.add(bare);
      }
    }
    return out;
  }

  private readonly statusOnly = new Set<string>();

  private enqueue(key: string, statusOnly = false): void {
    if (!statusOnly) this.statusOnly.delete(key);
    else if (!this.queue.has(key)) this.statusOnly.add(key);
    this.queue.add(key);
    if (this.running) return;
    this.running = true;
    setTimeout(() => void this.drain(), 200);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.size > 0) {
        const key = this.queue.values().next().value as string;
        this.queue.delete(key);
        const statusOnly = this.statusOnly.delete(key);
        const appset = (await this.appsets()).get(key) as AppSetObject | undefined;
        if (!appset || appset.metadata.deletionTimestamp) continue;
        try {
          await (statusOnly ? this.writeStatus(appset, undefined) : this.generate(appset));
        } catch (err) {
          this.o.log(`ApplicationSet ${key}: ${(err as Error).message.split('\n')[0]}; retrying in 10 s`);
          setTimeout(() => this.enqueue(key), 10_000).unref();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async generate(appset: AppSetObject): Promise<void> {
    const name = appset.metadata.name;
    const warnings: string[] = [];
    let root = this.empty;
    const git = gitGenerators(appset)[0];
    if (git) {
      const bare = resolveRepository(this.o.labDir, git.repoURL);
      if (!bare) return this.writeStatus(appset, `repository ${git.repoURL} not found`);
      const sha = await resolveRevision(bare, git.revision).catch((err: Error) => err);
      if (sha instanceof Error) return this.writeStatus(appset, sha.message);
      root = await this.o.checkouts.get(bare, sha);
    }
    const generated = generateApplications(appset, root, (w) => warnings.push(w));
    const uid = String(appset.metadata.uid ?? '');
    const owner = { apiVersion: appset.apiVersion, kind: 'ApplicationSet', name, uid, controller: true, blockOwnerDeletion: true };
    for (const app of generated) {
      app.metadata.ownerReferences = [owner];
      await this.o.client.apply(app, APPSET_FIELD_MANAGER);
    }
    const policy = appset.spec?.syncPolicy?.applicationsSync ?? 'sync';
    const names = new Set(generated.map((a) => a.metadata.name));
    const apps = (await this.o.cache.informer('argoproj.io/v1alpha1', 'Application'))?.objects ?? new Map<string, KubeObject>();
    const stale = [...apps.values()].filter(
      (a) => a.metadata.namespace === appset.metadata.namespace && !names.has(a.metadata.name) && ((a.metadata.ownerReferences ?? []) as { uid?: string }[]).some((o) => o.uid === uid),
    );
    if (stale.length > 0 && warnings.length === 0 && (policy === 'sync' || policy === 'create-delete')) {
      for (const a of stale) await this.o.client.delete(a.apiVersion, a.kind, a.metadata.name, a.metadata.namespace).catch(() => false);
      this.o.log(`ApplicationSet ${name}: deleted ${stale.map((a) => a.metadata.name).join(', ')} (no longer generated)`);
    }
    this.o.log(`ApplicationSet ${name}: ${generated.length} Application(s)${generated.length ? `: ${[...names].join(', ')}` : ''}${warnings.length ? `; ${warnings.join('; ')}` : ''}`);
    await this.writeStatus(appset, undefined, generated.map((a) => a.metadata.name));
  }

  private async writeStatus(appset: AppSetObject, error: string | undefined, names?: string[]): Promise<void> {
    const now = iso();
    const uid = String(appset.metadata.uid ?? '');
    const apps = (await this.o.cache.informer('argoproj.io/v1alpha1', 'Application'))?.objects ?? new Map<string, KubeObject>();
    const owned = [...apps.values()].filter((a) => (names ? names.includes(a.metadata.name) && a.metadata.namespace === appset.metadata.namespace : ((a.metadata.ownerReferences ?? []) as { uid?: string }[]).some((o) => o.uid === uid)));
    const conditions = error
      ? [
          { type: 'ErrorOccurred', status: 'True', reason: 'ApplicationGenerationFromParamsError', message: error, lastTransitionTime: now },
          { type: 'ParametersGenerated', status: 'False', reason: 'ErrorOccurred', message: error, lastTransitionTime: now },
          { type: 'ResourcesUpToDate', status: 'False', reason: 'ErrorOccurred', message: error, lastTransitionTime: now },
        ]
      : [
          { type: 'ErrorOccurred', status: 'False', reason: 'ApplicationSetUpToDate', message: 'Successfully generated parameters for all Applications', lastTransitionTime: now },
          { type: 'ParametersGenerated', status: 'True', reason: 'ParametersGenerated', message: 'Successfully generated parameters for all Applications', lastTransitionTime: now },
          { type: 'ResourcesUpToDate', status: 'True', reason: 'ApplicationSetUpToDate', message: 'All applications have been generated successfully', lastTransitionTime: now },
        ];
    const previous = ((appset.status ?? {}) as { conditions?: { type: string; status: string; message: string; lastTransitionTime?: string }[] }).conditions ?? [];
    for (const c of conditions) {
      const before = previous.find((p) => p.type === c.type && p.status === c.status && p.message === c.message);
      if (before?.lastTransitionTime) c.lastTransitionTime = before.lastTransitionTime;
    }
    const resources = owned
      .map((a) => {
        const st = (a.status ?? {}) as { sync?: { status?: string }; health?: { status?: string } };
        return { group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', name: a.metadata.name, namespace: a.metadata.namespace, status: st.sync?.status ?? 'Unknown', health: { status: st.health?.status ?? 'Unknown' } };
      })
      .sort((x, y) => x.name.localeCompare(y.name));
    const status = { conditions, resources };
    if (contentHash(status) === contentHash({ conditions: previous, resources: ((appset.status ?? {}) as { resources?: unknown }).resources ?? [] })) return;
    const mapping = await this.o.client.mappingFor(appset.apiVersion, 'ApplicationSet');
    await this.o.client.mergePatch(
      { apiVersion: appset.apiVersion, kind: 'ApplicationSet', name: appset.metadata.name, namespace: appset.metadata.namespace },
      { status },
      { subresource: mapping?.subresources.includes('status') ? 'status' : undefined, fieldManager: APPSET_FIELD_MANAGER },
    );
  }
}
