import { randomBytes } from 'node:crypto';
import type { KubeObject, LabKubeClient } from '../cluster/kube-http';
import { KubeHttpError, splitApiVersion } from '../cluster/kube-http';
import { applicationDestinationNamespace, applicationSource, indexRepo, renderAppSource, type AppSource, type RepoIndex } from '../cluster/gitops';
import { isPlaceholder, LAB_FIELD_MANAGER, pruneNulls } from '../cluster/seed';
import {
  carryConditions,
  contentHash,
  differingPaths,
  keyOf,
  kubectlName,
  refOf,
  sameObject,
  summaryOf,
  syncOrder,
  syncWave,
  type AppCondition,
  type ResourceRef,
} from './compare';
import { applicationHealth, resourceHealth, type Health, type HealthCode } from './health';
import type { ClusterCache } from './informer';
import { resolveRepository, resolveRevision, type Checkouts } from './repos';
import {
  ARGOCD_FIELD_MANAGER,
  ARGOCD_STATUS_MANAGER,
  REFRESH_ANNOTATION,
  RENDER_ERROR_ANNOTATION,
  RESOURCES_FINALIZER,
  TRACKING_ANNOTATION,
  appInstanceName,
  hasSyncOption,
  trackedBy,
  trackingId,
} from './tracking';
import { parseGoDuration } from '../cluster/status-writers';

/**
 * The lab's Argo CD application controller: for each Application it renders the source at its
 * target revision, compares every resource with the cluster through the API server's dry-run of a
 * server-side apply (Argo CD's server-side diff), judges health from the live objects, syncs when
 * the policy says so (automated, prune, selfHeal) or when an operation asks for it, and writes the
 * Application's status the way Argo CD does.
 */

type SyncCode = 'Synced' | 'OutOfSync' | 'Unknown';

/** One resource of the comparison. */
interface ResourceState {
  ref: ResourceRef;
  key: string;
  desired?: KubeObject;
  live?: KubeObject;
  status: SyncCode;
  health?: Health;
  requiresPruning?: boolean;
  /** Why the desired object cannot be applied (dry-run refused it, unknown kind). */
  error?: string;
  /** Fields that differ, for log lines. */
  diff?: string[];
}

/** The result of comparing an Application with the cluster. */
interface Comparison {
  revision?: string;
  loadError?: string;
  sourceType?: 'Kustomize' | 'Directory';
  resources: ResourceState[];
  sync: SyncCode;
  warnings: AppCondition[];
}

/** status.operationState as Argo CD writes it. */
interface OperationState {
  operation: Record<string, unknown>;
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Error';
  message: string;
  syncResult?: { revision: string; source?: unknown; resources: Record<string, unknown>[] };
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
}

interface AppObject extends KubeObject {
  spec?: {
    source?: Record<string, unknown>;
    destination?: Record<string, unknown>;
    syncPolicy?: {
      automated?: { prune?: boolean; selfHeal?: boolean; enabled?: boolean; allowEmpty?: boolean };
      syncOptions?: string[];
      retry?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } };
    };
    revisionHistoryLimit?: number;
  };
  operation?: { sync?: { revision?: string; prune?: boolean }; initiatedBy?: Record<string, unknown> } | null;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; lastTransitionTime?: string };
    resources?: { group?: string; version?: string; kind: string; namespace?: string; name: string }[];
    conditions?: AppCondition[];
    operationState?: OperationState;
    history?: { id: number; revision: string }[];
    reconciledAt?: string;
  };
}

/** Work levels: 1 health only, 2 compare with the cluster, 3 re-render from Git first. */
type Level = 1 | 2 | 3;

interface AppRecord {
  key: string;
  trigger?: string;
  pending: Level | 0;
  running: boolean;
  render?: { id: string; result: { objects: KubeObject[]; sourceType: 'Kustomize' | 'Directory' } | { error: string } };
  diff: Map<string, { desiredHash: string; liveRV?: string; synced: boolean; error?: string; paths?: string[] }>;
  last?: Comparison;
  failed?: { revision: string; message: string; attempts: number; retryAt?: number };
  selfHeal?: { revision: string; attempts: number; notBefore: number };
  /** The last revision this Application was found in sync at. */
  inSyncAt?: string;
  deleting?: boolean;
  timer?: NodeJS.Timeout;
  written?: string;
  writtenAt?: number;
}

const iso = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function errorText(err: unknown): string {
  if (err instanceof KubeHttpError) {
    try {
      const status = JSON.parse(err.body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      /* not a Status */
    }
    return `${err.status}: ${err.body.slice(0, 300)}`;
  }
  return (err as Error).message;
}

/** Options of the controller. */
export interface ControllerOptions {
  labDir: string;
  client: LabKubeClient;
  cache: ClusterCache;
  checkouts: Checkouts;
  kustomize: string;
  log: (m: string) => void;
  /** Seconds between two full comparisons of every Application (Argo CD: timeout.reconciliation). */
  resyncSeconds?: number;
}

/** The application controller; feed it informer changes and repository changes. */
export class ApplicationController {
  private readonly records = new Map<string, AppRecord>();
  private readonly indexes = new Map<string, RepoIndex>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly processedOnce = new Set<string>();
  private stopped = false;
  private resyncTimer?: NodeJS.Timeout;

  constructor(private readonly o: ControllerOptions) {}

  private get log() {
    return this.o.log;
  }

  /** Applications as the cache holds them. */
  private async applications(): Promise<Map<string, KubeObject>> {
    const inf = await this.o.cache.informer('argoproj.io/v1alpha1', 'Application');
    return inf?.objects ?? new Map();
  }

  /** Starts periodic full comparisons. */
  start(): void {
    const every = (this.o.resyncSeconds ?? 180) * 1000;
    this.resyncTimer = setInterval(() => {
      void this.applications().then((apps) => {
        for (const key of apps.keys()) this.enqueue(key, 2, 0);
      });
    }, every);
    this.resyncTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    for (const r of this.records.values()) clearTimeout(r.timer);
  }

  /** True once every Application the cache knows has been compared at least once. */
  async initialized(): Promise<boolean> {
    const apps = await this.applications();
    return [...apps.keys()].every((k) => this.processedOnce.has(k));
  }

  /** Summary for log lines and the ready marker. */
  async summary(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const a of (await this.applications()).values()) {
      const s = String((a as AppObject).status?.sync?.status ?? 'none');
      out[s] = (out[s] ?? 0) + 1;
    }
    return out;
  }

  private record(key: string): AppRecord {
    let r = this.records.get(key);
    if (!r) {
      r = { key, pending: 0, running: false, diff: new Map() };
      this.records.set(key, r);
    }
    return r;
  }

  /** Queues work for an Application (the highest level asked wins), after `delayMs`. */
  enqueue(key: string, level: Level, delayMs = 150): void {
    if (this.stopped) return;
    const r = this.record(key);
    r.pending = Math.max(r.pending, level) as Level;
    if (r.running || r.timer) return;
    r.timer = setTimeout(() => {
      r.timer = undefined;
      void this.process(r);
    }, delayMs);
  }

  /** An Application changed in the cluster. */
  onApplication(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (type === 'DELETED') {
      const r = this.records.get(key);
      if (r) clearTimeout(r.timer);
      this.records.delete(key);
      this.processedOnce.delete(key);
      return;
    }
    const app = obj as AppObject;
    const trigger = contentHash({
      spec: app.spec,
      operation: app.operation ?? null,
      annotations: app.metadata.annotations ?? {},
      deletion: app.metadata.deletionTimestamp ?? null,
      finalizers: app.metadata.finalizers ?? [],
    });
    const r = this.record(key);
    if (r.trigger === trigger) return;
    r.trigger = trigger;
    this.enqueue(key, app.metadata.annotations?.[REFRESH_ANNOTATION] === 'hard' ? 3 : 2, 0);
  }

  /** A managed (or formerly managed) object changed: compare its Application again, or only its health. */
  onResource(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject, old: KubeObject | undefined): void {
    const instances = new Set([trackedBy(obj), old ? trackedBy(old) : undefined].filter((x): x is string => !!x));
    if (instances.size === 0) return;
    const level: Level = type !== 'MODIFIED' || !old || !sameObject(obj, old) || trackedBy(obj) !== trackedBy(old) ? 2 : 1;
    void this.applications().then((apps) => {
      for (const app of apps.values()) {
        if (instances.has(appInstanceName(app))) this.enqueue(`${app.metadata.namespace}/${app.metadata.name}`, level);
      }
    });
  }

  /** A repository's refs moved: compare the Applications that follow it. */
  onRepositoryChanged(bareDir: string): void {
    void this.applications().then((apps) => {
      for (const app of apps.values()) {
        const src = this.sourceOf(app as AppObject);
        if (src && resolveRepository(this.o.labDir, src.repoURL) === bareDir) this.enqueue(`${app.metadata.namespace}/${app.metadata.name}`, 2, 0);
      }
    });
  }

  /** Bare repositories the Applications follow. */
  async repositories(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const app of (await this.applications()).values()) {
      const src = this.sourceOf(app as AppObject);
      const bare = src ? resolveRepository(this.o.labDir, src.repoURL) : undefined;
      if (bare) out.add(bare);
    }
    return out;
  }

  private sourceOf(app: AppObject): AppSource | undefined {
    const src = applicationSource(app);
    if (src) return src;
    const s = app.spec?.source;
    if (s && typeof s.repoURL === 'string') return { repoURL: s.repoURL, path: '', targetRevision: String(s.targetRevision ?? 'HEAD'), recurse: false };
    return undefined;
  }

  private async slot(): Promise<void> {
    if (this.active < 2) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  private async process(r: AppRecord): Promise<void> {
    if (r.running || this.stopped) return;
    const level = r.pending as Level;
    r.pending = 0;
    r.running = true;
    await this.slot();
    try {
      const app = (await this.applications()).get(r.key) as AppObject | undefined;
      if (app) await this.reconcile(app, r, level);
    } catch (err) {
      if (err instanceof KubeHttpError && err.status === 404 && err.urlPath.includes('/applications/')) {
        // The Application went away while it was being reconciled.
        r.running = false;
        this.release();
        return;
      }
      this.log(`${r.key}: reconcile failed: ${errorText(err).split('\n')[0]}; retrying in 5 s`);
      r.pending = Math.max(r.pending, 2) as Level;
      r.running = false;
      this.release();
      this.enqueue(r.key, r.pending as Level, 5000);
      return;
    }
    r.running = false;
    this.release();
    if (r.pending) this.enqueue(r.key, r.pending as Level);
  }

  private async reconcile(app: AppObject, r: AppRecord, level: Level): Promise<void> {
    const name = app.metadata.name;
    if (app.metadata.deletionTimestamp) {
      await this.finalize(app, r);
      return;
    }
    let cmp = level === 1 && r.last ? await this.refreshHealth(r.last) : await this.compare(app, r, level === 3);
    let operationState: OperationState | undefined;
    const conditions: AppCondition[] = [...cmp.warnings];
    if (cmp.loadError) conditions.push({ type: 'ComparisonError', message: cmp.loadError });
    const requested = app.operation?.sync;
    if (requested) {
      operationState = await this.sync(app, cmp, {
        prune: requested.prune === true,
        initiatedBy: app.operation?.initiatedBy ?? { username: 'admin' },
        automated: false,
        retryCount: 0,
      });
      cmp = await this.compare(app, r, false);
    } else {
      const decision = this.autoSync(app, r, cmp);
      if (decision.condition) conditions.push(decision.condition);
      if (decision.sync) {
        this.log(`${name}: ${cmp.sync} at ${cmp.revision?.slice(0, 7)} (${describeDrift(cmp)}); automated sync${decision.reason ? ` (${decision.reason})` : ''}`);
        operationState = await this.sync(app, cmp, {
          prune: app.spec?.syncPolicy?.automated?.prune === true,
          initiatedBy: { automated: true },
          automated: true,
          retryCount: decision.retryCount ?? 0,
        });
        this.afterAutomatedSync(app, r, cmp.revision ?? '', operationState);
        if (r.failed?.revision === cmp.revision && r.failed && !r.failed.retryAt) {
          conditions.push(syncErrorCondition(r.failed));
        }
        cmp = await this.compare(app, r, false);
      }
    }
    if (cmp.sync === 'Synced') {
      r.failed = undefined;
      r.selfHeal = undefined;
      r.inSyncAt = cmp.revision;
    }
    r.last = cmp;
    await this.writeStatus(app, r, cmp, conditions, operationState, requested !== undefined);
    this.processedOnce.add(r.key);
  }

  /** Argo CD's automated-sync decision. */
  private autoSync(app: AppObject, r: AppRecord, cmp: Comparison): { sync: boolean; reason?: string; retryCount?: number; condition?: AppCondition } {
    const automated = app.spec?.syncPolicy?.automated;
    if (!automated || automated.enabled === false || cmp.sync !== 'OutOfSync' || cmp.loadError || !cmp.revision) return { sync: false };
    const rev = cmp.revision;
    const lastOp = app.status?.operationState;
    const lastRev = lastOp?.finishedAt ? (lastOp.syncResult?.revision ?? (lastOp.operation?.sync as { revision?: string } | undefined)?.revision) : undefined;
    if (!r.failed && lastOp && (lastOp.phase === 'Failed' || lastOp.phase === 'Error') && lastRev === rev && (lastOp.operation as { initiatedBy?: { automated?: boolean } }).initiatedBy?.automated) {
      r.failed = { revision: rev, message: lastOp.message, attempts: (lastOp.retryCount ?? 0) + 1 };
    }
    if (r.failed && r.failed.revision === rev) {
      if (r.failed.retryAt !== undefined && Date.now() >= r.failed.retryAt) return { sync: true, reason: `retry #${r.failed.attempts}`, retryCount: r.failed.attempts };
      return { sync: false, condition: syncErrorCondition(r.failed) };
    }
    if (!automated.prune && cmp.resources.every((x) => x.status === 'Synced' || x.requiresPruning)) return { sync: false };
    // This revision was synced already (by an operation, or it was found in sync: the seeding is the
    // first sync): only self-heal syncs it again.
    const attempted = (lastRev === rev && lastOp?.phase === 'Succeeded') || r.inSyncAt === rev;
    if (attempted) {
      if (!automated.selfHeal) return { sync: false };
      if (r.selfHeal && r.selfHeal.revision === rev && Date.now() < r.selfHeal.notBefore) {
        this.enqueue(r.key, 2, r.selfHeal.notBefore - Date.now());
        return { sync: false };
      }
      const attempts = r.selfHeal?.revision === rev ? r.selfHeal.attempts + 1 : 1;
      r.selfHeal = { revision: rev, attempts, notBefore: Date.now() + Math.min(2000 * 2 ** (attempts - 1), 60_000) };
      return { sync: true, reason: 'self-heal' };
    }
    return { sync: true };
  }

  private afterAutomatedSync(app: AppObject, r: AppRecord, revision: string, op: OperationState): void {
    if (op.phase === 'Succeeded') {
      r.failed = undefined;
      return;
    }
    const attempts = (r.failed?.revision === revision ? r.failed.attempts : 0) + 1;
    const retry = app.spec?.syncPolicy?.retry;
    const limit = retry?.limit ?? 0;
    let retryAt: number | undefined;
    if (limit < 0 || attempts <= limit) {
      const base = parseGoDuration(retry?.backoff?.duration) ?? 5000;
      const factor = retry?.backoff?.factor ?? 2;
      const max = parseGoDuration(retry?.backoff?.maxDuration) ?? 180_000;
      const wait = Math.min(base * factor ** (attempts - 1), max);
      retryAt = Date.now() + wait;
      this.enqueue(r.key, 2, wait + 50);
    }
    r.failed = { revision, message: op.message, attempts, retryAt };
  }

  private async render(bare: string, sha: string, src: AppSource, fault: string | undefined): Promise<NonNullable<AppRecord['render']>['result']> {
    if (fault) return { error: fault };
    try {
      const dir = await this.o.checkouts.get(bare, sha);
      let index = this.indexes.get(dir);
      if (!index) {
        index = indexRepo(dir);
        this.indexes.set(dir, index);
        if (this.indexes.size > 12) this.indexes.delete(this.indexes.keys().next().value as string);
      }
      const rendered = await renderAppSource(dir, index, src, this.o.kustomize);
      return { objects: rendered.objects, sourceType: rendered.sourceType };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /** Finds the live object for a desired one (the cache, or a GET when the versions differ). */
  /**
   * Server-side dry run of Argo CD's apply. An object applied by hand before any Application deployed it
   * (the lab seeds such files as applied with `kubectl apply`) keeps fields Git no longer has, since they
   * are the seeding's, not Argo CD's: an env var turned from `value` into `valueFrom` then holds both and
   * is invalid. When the dry run says invalid and Argo CD never applied the object, its fields are handed
   * to Argo CD's manager first and the dry run is tried again, as Argo CD 3 migrates client-side-applied
   * fields at sync, so the fields Git dropped are removed.
   */
  private async dryRunApply(desired: KubeObject, live: KubeObject | undefined): Promise<KubeObject> {
    try {
      return await this.o.client.apply(desired, ARGOCD_FIELD_MANAGER, undefined, { dryRun: true });
    } catch (err) {
      if (!(err instanceof KubeHttpError && err.status === 422) || !live || !(await this.takeOverSeededFields(live))) throw err;
      return await this.o.client.apply(desired, ARGOCD_FIELD_MANAGER, undefined, { dryRun: true });
    }
  }

  /** Renames the seeding's apply entry of `live`'s managed fields to Argo CD's; false when there is none or Argo CD has its own. */
  private async takeOverSeededFields(live: KubeObject): Promise<boolean> {
    const fields = (live.metadata.managedFields ?? []) as Array<{ manager?: string; operation?: string }>;
    const seeded = (f: { manager?: string; operation?: string }) => f.manager === LAB_FIELD_MANAGER && f.operation === 'Apply';
    if (!fields.some(seeded) || fields.some((f) => f.manager === ARGOCD_FIELD_MANAGER && f.operation === 'Apply')) return false;
    const ref = { apiVersion: live.apiVersion, kind: live.kind, name: live.metadata.name, namespace: live.metadata.namespace };
    await this.o.client.mergePatch(ref, { metadata: { managedFields: fields.map((f) => (seeded(f) ? { ...f, manager: ARGOCD_FIELD_MANAGER } : f)) } });
    this.log(`${live.kind} ${live.metadata.namespace ?? ''}/${live.metadata.name}: fields applied by hand handed to ${ARGOCD_FIELD_MANAGER}`);
    return true;
  }

  private async live(obj: KubeObject): Promise<KubeObject | undefined> {
    const { group } = splitApiVersion(obj.apiVersion);
    const inf = await this.o.cache.informer(obj.apiVersion, obj.kind);
    if (inf && inf.apiVersion === obj.apiVersion) return this.o.cache.find(group, obj.kind, obj.metadata.namespace, obj.metadata.name);
    return this.o.client.get(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
  }

  /** Every cached object an Application instance tracks. */
  private tracked(instance: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const inf of this.o.cache.all()) for (const o of inf.objects.values()) if (trackedBy(o) === instance) out.push(o);
    return out;
  }

  private async compare(app: AppObject, r: AppRecord, hard: boolean): Promise<Comparison> {
    const src = this.sourceOf(app);
    const destNs = applicationDestinationNamespace(app);
    const instance = appInstanceName(app);
    const warnings: AppCondition[] = [];
    let loadError: string | undefined;
    let revision: string | undefined;
    let rendered: { objects: KubeObject[]; sourceType: 'Kustomize' | 'Directory' } | undefined;
    if (!src) {
      loadError = 'spec.source.repoURL and spec.source.path are required';
    } else {
      const bare = resolveRepository(this.o.labDir, src.repoURL);
      if (!bare) {
        loadError = `failed to list refs: repository ${src.repoURL} not found`;
      } else {
        try {
          revision = await resolveRevision(bare, src.targetRevision);
        } catch (err) {
          loadError = (err as Error).message;
        }
        if (revision) {
          const fault = app.metadata.annotations?.[RENDER_ERROR_ANNOTATION];
          const id = `${bare}@${revision}:${src.path}:${src.recurse}:${fault ?? ''}`;
          if (hard || r.render?.id !== id) r.render = { id, result: await this.render(bare, revision, src, fault) };
          const res = r.render.result;
          if ('error' in res) loadError = res.error;
          else rendered = res;
        }
      }
    }
    if (loadError) loadError = `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${loadError}`;

    // The desired objects, normalised the way the seeding applies them.
    const desired = new Map<string, ResourceState>();
    for (const original of rendered?.objects ?? []) {
      const obj = structuredClone(original);
      pruneNulls(obj);
      let mapping = await this.o.client.mappingFor(obj.apiVersion, obj.kind);
      if (!mapping) {
        await this.o.client.discover();
        mapping = await this.o.client.mappingFor(obj.apiVersion, obj.kind);
      }
      if (mapping?.namespaced && !obj.metadata.namespace) obj.metadata.namespace = destNs || 'default';
      if (mapping && !mapping.namespaced) delete obj.metadata.namespace;
      obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TRACKING_ANNOTATION]: trackingId(instance, obj) };
      const key = keyOf(obj);
      if (desired.has(key)) warnings.push({ type: 'RepeatedResourceWarning', message: `Resource ${key} appeared 2 times among application resources.` });
      const state: ResourceState = { ref: refOf(obj), key, desired: obj, status: 'OutOfSync' };
      if (!mapping) {
        const { group } = splitApiVersion(obj.apiVersion);
        state.error = `The Kubernetes API could not find ${group}/${obj.kind} for requested resource ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}. Make sure the "${obj.kind}" CRD is installed on the destination cluster.`;
      }
      desired.set(key, state);
    }

    // Kinds to watch: what Git holds and what the last status listed (objects that may need pruning).
    const kinds = new Map<string, { apiVersion: string; kind: string }>();
    for (const x of app.status?.resources ?? []) {
      kinds.set(`${x.group ?? ''}/${x.kind}`, { apiVersion: x.group ? `${x.group}/${x.version ?? 'v1'}` : (x.version ?? 'v1'), kind: x.kind });
    }
    for (const s of desired.values()) if (!s.error && s.desired) kinds.set(`${s.ref.group}/${s.ref.kind}`, { apiVersion: s.desired.apiVersion, kind: s.ref.kind });
    await Promise.all([...kinds.values()].map((k) => this.o.cache.informer(k.apiVersion, k.kind).catch(() => undefined)));

    const states: ResourceState[] = [];
    const namespaceToCreate = (app.spec?.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true') ? destNs : '';
    const desiredNamespaces = new Set([...desired.values()].filter((s) => s.ref.kind === 'Namespace' && !s.ref.group).map((s) => s.ref.name));
    await mapLimit([...desired.values()], 4, async (s) => {
      states.push(s);
      if (s.error || !s.desired) return;
      const live = await this.live(s.desired).catch(() => undefined);
      s.live = live;
      if (s.desired.kind === 'Secret' && !splitApiVersion(s.desired.apiVersion).group) fillSecretFromLive(s.desired, live);
      const owner = live ? trackedBy(live) : undefined;
      if (owner && owner !== instance) {
        warnings.push({ type: 'SharedResourceWarning', message: `${s.ref.kind}/${s.ref.name} is part of applications ${app.metadata.namespace}/${app.metadata.name} and ${owner}` });
      }
      const desiredHash = contentHash(s.desired);
      const liveRV = live?.metadata.resourceVersion as string | undefined;
      const cached = r.diff.get(s.key);
      if (cached && cached.desiredHash === desiredHash && cached.liveRV === liveRV) {
        s.status = cached.synced ? 'Synced' : 'OutOfSync';
        s.error = cached.error;
        s.diff = cached.paths;
        return;
      }
      try {
        const dry = await this.dryRunApply(s.desired, live);
        const synced = !!live && sameObject(dry, live);
        s.status = synced ? 'Synced' : 'OutOfSync';
        s.diff = live ? (synced ? [] : differingPaths(dry, live)) : ['(missing)'];
      } catch (err) {
        const ns = s.desired.metadata.namespace;
        const nsPending = err instanceof KubeHttpError && err.status === 404 && !!ns && (ns === namespaceToCreate || desiredNamespaces.has(ns));
        if (nsPending) {
          s.status = 'OutOfSync';
          s.diff = ['(missing namespace)'];
        } else {
          s.error = errorText(err);
          s.status = 'OutOfSync';
        }
      }
      r.diff.set(s.key, { desiredHash, liveRV, synced: s.status === 'Synced', error: s.error, paths: s.diff });
    });
    for (const key of [...r.diff.keys()]) if (!desired.has(key)) r.diff.delete(key);

    // What the Application tracks in the cluster but Git no longer holds.
    for (const live of this.tracked(instance)) {
      const key = keyOf(live);
      if (desired.has(key)) continue;
      states.push({ ref: refOf(live), key, live, status: loadError ? 'Unknown' : 'OutOfSync', requiresPruning: !loadError || undefined });
    }
    for (const s of states) s.health = s.live ? resourceHealth(s.live) : s.desired ? { status: 'Missing' } : undefined;
    states.sort((a, b) => a.key.localeCompare(b.key));
    const sync: SyncCode = loadError ? 'Unknown' : states.some((s) => s.status !== 'Synced') ? 'OutOfSync' : 'Synced';
    return { revision, loadError, sourceType: rendered?.sourceType, resources: states, sync, warnings };
  }

  /** The last comparison with health read again from the cache (a status-only change of a resource). */
  private async refreshHealth(last: Comparison): Promise<Comparison> {
    const resources: ResourceState[] = [];
    for (const s of last.resources) {
      const live = s.desired ? await this.live(s.desired).catch(() => s.live) : this.o.cache.find(s.ref.group, s.ref.kind, s.ref.namespace, s.ref.name);
      resources.push({ ...s, live, health: live ? resourceHealth(live) : s.desired ? { status: 'Missing' } : undefined });
    }
    return { ...last, resources };
  }

  /** Runs one sync operation: validation, apply in waves, prune. */
  private async sync(
    app: AppObject,
    cmp: Comparison,
    opts: { prune: boolean; initiatedBy: Record<string, unknown>; automated: boolean; retryCount: number },
  ): Promise<OperationState> {
    const t0 = Date.now();
    const name = app.metadata.name;
    const revision = cmp.revision ?? '';
    const syncOptions = app.spec?.syncPolicy?.syncOptions ?? [];
    const operation: Record<string, unknown> = {
      sync: { revision, ...(opts.prune ? { prune: true } : {}), ...(syncOptions.length ? { syncOptions } : {}) },
      initiatedBy: opts.initiatedBy,
      ...(opts.automated && app.spec?.syncPolicy?.retry ? { retry: app.spec.syncPolicy.retry } : {}),
    };
    const state: OperationState = { operation, phase: 'Running', message: 'one or more tasks are running', startedAt: iso(), ...(opts.retryCount ? { retryCount: opts.retryCount } : {}) };
    await this.patch(app, { status: { operationState: state } });
    const results: Record<string, unknown>[] = [];
    const result = (s: ResourceState, status: string, message: string, hookPhase: string) => {
      const { group, version, kind, namespace, name: resource } = s.ref;
      results.push({ group, version, kind, namespace: namespace ?? '', name: resource, status, message, hookPhase, syncPhase: 'Sync' });
    };
    const finish = (phase: OperationState['phase'], message: string): OperationState => {
      const done: OperationState = {
        ...state,
        phase,
        message,
        syncResult: { revision, source: app.spec?.source, resources: results },
        finishedAt: iso(),
      };
      const applied = results.filter((x) => x.status === 'Synced').length;
      const pruned = results.filter((x) => x.status === 'Pruned').length;
      this.log(`${name}: sync to ${revision.slice(0, 7)} ${phase}: ${applied} applied, ${pruned} pruned in ${Date.now() - t0} ms${phase === 'Succeeded' ? '' : `: ${message}`}`);
      return done;
    };
    if (cmp.loadError) return finish('Error', `ComparisonError: ${cmp.loadError}`);
    const invalid = cmp.resources.filter((s) => s.error);
    if (invalid.length > 0) {
      for (const s of invalid) result(s, 'SyncFailed', s.error ?? '', 'Failed');
      return finish('Failed', 'one or more synchronization tasks are not valid');
    }
    const destNs = applicationDestinationNamespace(app);
    if (syncOptions.includes('CreateNamespace=true') && destNs) {
      const ns = await this.o.client.get('v1', 'Namespace', destNs);
      if (!ns) await this.o.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: destNs } }, ARGOCD_FIELD_MANAGER);
    }
    const onlyOutOfSync = syncOptions.includes('ApplyOutOfSyncOnly=true');
    const toApply = syncOrder(
      cmp.resources.filter((s) => s.desired && (!onlyOutOfSync || s.status !== 'Synced')).map((s) => s.desired as KubeObject),
    );
    const byKey = new Map(cmp.resources.map((s) => [s.key, s]));
    let firstError: string | undefined;
    const waves = [...new Set(toApply.map(syncWave))];
    for (const wave of waves) {
      for (const obj of toApply.filter((o) => syncWave(o) === wave)) {
        const s = byKey.get(keyOf(obj)) as ResourceState;
        try {
          await this.o.client.apply(obj, ARGOCD_FIELD_MANAGER);
          result(s, 'Synced', `${kubectlName(obj)} serverside-applied`, 'Running');
        } catch (err) {
          const msg = errorText(err);
          firstError ??= `${kubectlName(obj)}: ${msg}`;
          result(s, 'SyncFailed', msg, 'Failed');
        }
      }
      if (firstError) break;
    }
    if (!firstError) {
      for (const s of cmp.resources.filter((x) => x.requiresPruning && x.live)) {
        const live = s.live as KubeObject;
        if (opts.prune && !hasSyncOption(live, 'Prune=false')) {
          try {
            await this.o.client.delete(live.apiVersion, live.kind, live.metadata.name, live.metadata.namespace, { propagationPolicy: 'Foreground' });
            result(s, 'Pruned', 'pruned', 'Succeeded');
          } catch (err) {
            firstError ??= `${kubectlName(live)}: ${errorText(err)}`;
            result(s, 'SyncFailed', errorText(err), 'Failed');
          }
        } else {
          result(s, 'PruneSkipped', 'ignored (requires pruning)', 'Succeeded');
        }
      }
    }
    return firstError ? finish('Failed', `one or more objects failed to apply, reason: ${firstError}`) : finish('Succeeded', 'successfully synced (all tasks run)');
  }

  /** Deletes what an Application being deleted tracks (its resources finalizer), then lets it go. */
  private async finalize(app: AppObject, r: AppRecord): Promise<void> {
    const finalizers = (app.metadata.finalizers as string[] | undefined) ?? [];
    const ours = finalizers.filter((f) => f === RESOURCES_FINALIZER || f.startsWith(`${RESOURCES_FINALIZER}/`));
    if (ours.length === 0) return;
    const instance = appInstanceName(app);
    const left = this.tracked(instance);
    const policy = ours.some((f) => f.endsWith('/background')) ? 'Background' : 'Foreground';
    for (const o of left) {
      if (o.metadata.deletionTimestamp) continue;
      await this.o.client.delete(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace, { propagationPolicy: policy }).catch(() => false);
    }
    if (left.length > 0) {
      if (!r.deleting) this.log(`${app.metadata.name}: being deleted; deleting its ${left.length} resource(s) first`);
      r.deleting = true;
      this.enqueue(r.key, 2, 1000);
      return;
    }
    await this.o.client.mergePatch(
      { apiVersion: app.apiVersion, kind: app.kind, name: app.metadata.name, namespace: app.metadata.namespace },
      { metadata: { finalizers: finalizers.filter((f) => !ours.includes(f)), resourceVersion: app.metadata.resourceVersion } },
      { fieldManager: ARGOCD_STATUS_MANAGER },
    );
    this.log(`${app.metadata.name}: resources deleted; finalizer removed`);
  }

  private async patch(app: AppObject, body: Record<string, unknown>): Promise<void> {
    await this.o.client.mergePatch({ apiVersion: app.apiVersion, kind: app.kind, name: app.metadata.name, namespace: app.metadata.namespace }, body, {
      fieldManager: ARGOCD_STATUS_MANAGER,
    });
  }

  private async writeStatus(app: AppObject, r: AppRecord, cmp: Comparison, conditions: AppCondition[], op: OperationState | undefined, clearOperation: boolean): Promise<void> {
    const now = iso();
    const healthCode: HealthCode = applicationHealth(cmp.resources.map((s) => s.health));
    const sick = cmp.resources.find((s) => s.health?.status === healthCode && s.health.message);
    const health: Record<string, unknown> = {
      status: healthCode,
      lastTransitionTime: app.status?.health?.status === healthCode ? (app.status.health.lastTransitionTime ?? now) : now,
      ...(healthCode !== 'Healthy' && sick ? { message: `${sick.ref.kind} ${sick.ref.namespace ? `${sick.ref.namespace}/` : ''}${sick.ref.name}: ${sick.health?.message}` } : {}),
    };
    const resources = cmp.resources.map((s) => ({
      ...(s.ref.group ? { group: s.ref.group } : {}),
      version: s.ref.version,
      kind: s.ref.kind,
      ...(s.ref.namespace ? { namespace: s.ref.namespace } : {}),
      name: s.ref.name,
      status: s.status,
      ...(s.health ? { health: s.health } : {}),
      ...(s.requiresPruning ? { requiresPruning: true } : {}),
    }));
    const live = cmp.resources.map((s) => s.live).filter((x): x is KubeObject => !!x);
    const status: Record<string, unknown> = {
      sync: { status: cmp.sync, ...(cmp.revision ? { revision: cmp.revision } : {}), comparedTo: { source: app.spec?.source ?? {}, destination: app.spec?.destination ?? {} } },
      health,
      resources,
      summary: summaryOf(live),
      sourceType: cmp.sourceType ?? null,
      controllerNamespace: 'argocd',
      conditions: conditions.length ? carryConditions(app.status?.conditions, dedupe(conditions), now) : null,
    };
    if (op) {
      status.operationState = op;
      if (op.phase === 'Succeeded') {
        const history = [...(app.status?.history ?? [])];
        const id = history.reduce((m, h) => Math.max(m, h.id + 1), 0);
        history.push({
          id,
          revision: op.syncResult?.revision ?? '',
          deployStartedAt: op.startedAt,
          deployedAt: op.finishedAt,
          source: app.spec?.source,
          initiatedBy: (op.operation as { initiatedBy?: unknown }).initiatedBy,
        } as { id: number; revision: string });
        status.history = history.slice(-(app.spec?.revisionHistoryLimit ?? 10));
      }
    }
    const fingerprint = contentHash(status);
    const refresh = app.metadata.annotations?.[REFRESH_ANNOTATION];
    const stale = !r.writtenAt || Date.now() - r.writtenAt > 60_000;
    if (fingerprint === r.written && !stale && !clearOperation && !refresh) return;
    const body: Record<string, unknown> = { status: { ...status, reconciledAt: now } };
    if (clearOperation) body.operation = null;
    if (refresh) body.metadata = { annotations: { [REFRESH_ANNOTATION]: null } };
    await this.patch(app, body);
    r.written = fingerprint;
    r.writtenAt = Date.now();
  }
}

function dedupe(conditions: AppCondition[]): AppCondition[] {
  const seen = new Set<string>();
  return conditions.filter((c) => {
    const k = `${c.type}\n${c.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function syncErrorCondition(failed: { revision: string; message: string; attempts: number }): AppCondition {
  const retried = failed.attempts > 1 ? ` (retried ${failed.attempts - 1} times).` : '';
  return { type: 'SyncError', message: `Failed last sync attempt to ${failed.revision}: ${failed.message}${retried}` };
}

function describeDrift(cmp: Comparison): string {
  const parts = cmp.resources
    .filter((s) => s.status !== 'Synced')
    .slice(0, 4)
    .map((s) => `${s.ref.kind} ${s.ref.name}${s.requiresPruning ? ' to prune' : s.error ? ` invalid: ${s.error.slice(0, 300)}` : s.diff?.length ? `: ${s.diff.join(', ')}` : ''}`);
  const more = cmp.resources.filter((s) => s.status !== 'Synced').length - parts.length;
  return `${parts.join('; ')}${more > 0 ? `; ${more} more` : ''}`;
}

/**
 * Secret values that are placeholders in Git keep the value the cluster holds (the lab generated it at
 * seeding), or get a new random one, exactly as the seeding fills them.
 */
function fillSecretFromLive(secret: KubeObject, live: KubeObject | undefined): void {
  const liveData = ((live?.data ?? {}) as Record<string, string>) ?? {};
  const data = secret.data as Record<string, unknown> | undefined;
  const stringData = secret.stringData as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(data ?? {})) {
    if (isPlaceholder(v) && data) data[k] = liveData[k] ?? Buffer.from(randomBytes(16).toString('hex')).toString('base64');
  }
  for (const [k, v] of Object.entries(stringData ?? {})) {
    if (isPlaceholder(v) && stringData) stringData[k] = liveData[k] !== undefined ? Buffer.from(liveData[k], 'base64').toString('utf8') : randomBytes(16).toString('hex');
  }
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}
