import { KubeHttpError, type KubeObject, type LabKubeClient, type ResourceMapping } from '../cluster/kube-http';
import { sleep } from '../lib/wait';

/** What happened to an object. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Called for every change a cache sees; `old` is the previous version (undefined when added). */
export type ChangeHandler = (type: ChangeType, obj: KubeObject, old: KubeObject | undefined) => void;

class Gone extends Error {}

/**
 * A list+watch cache of one kind across the cluster, like a client-go informer: it lists, watches
 * from the list's resourceVersion, re-watches when the server ends the stream, relists (reporting
 * what changed meanwhile, deletions included) after "410 Gone", and retries with backoff while the
 * API server is down.
 */
export class KindInformer {
  readonly objects = new Map<string, KubeObject>();
  readonly synced: Promise<void>;
  private markSynced: () => void = () => {};
  private resourceVersion = '';
  private stopped = false;
  private readonly abort = new AbortController();
  private failing = false;

  constructor(
    private readonly client: LabKubeClient,
    readonly mapping: ResourceMapping,
    private readonly onChange: ChangeHandler,
    private readonly log: (m: string) => void,
  ) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  get apiVersion(): string {
    return this.mapping.group ? `${this.mapping.group}/${this.mapping.version}` : this.mapping.version;
  }

  private get path(): string {
    const m = this.mapping;
    return m.group ? `/apis/${m.group}/${m.version}/${m.resource}` : `/api/${m.version}/${m.resource}`;
  }

  /** `namespace/name` (or `name`) of an object in this cache. */
  static key(obj: { metadata: { name: string; namespace?: string } }): string {
    return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
  }

  start(): this {
    void this.run();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private emit(type: ChangeType, obj: KubeObject, old: KubeObject | undefined): void {
    try {
      this.onChange(type, obj, old);
    } catch (err) {
      this.log(`informer ${this.mapping.kind}: handler failed: ${(err as Error).message}`);
    }
  }

  private withKind(o: Record<string, unknown>): KubeObject {
    return { ...o, apiVersion: this.apiVersion, kind: this.mapping.kind } as KubeObject;
  }

  private async relist(): Promise<void> {
    const res = await this.client.request<{ metadata: { resourceVersion: string }; items: Record<string, unknown>[] }>({ path: this.path, timeoutMs: 60_000 });
    const fresh = new Map<string, KubeObject>();
    for (const item of res.items) {
      const obj = this.withKind(item);
      fresh.set(KindInformer.key(obj), obj);
    }
    for (const [k, old] of this.objects) {
      if (!fresh.has(k)) {
        this.objects.delete(k);
        this.emit('DELETED', old, old);
      }
    }
    for (const [k, obj] of fresh) {
      const old = this.objects.get(k);
      this.objects.set(k, obj);
      if (!old) this.emit('ADDED', obj, undefined);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('MODIFIED', obj, old);
    }
    this.resourceVersion = res.metadata.resourceVersion;
  }

  private handle(event: { type: string; object: Record<string, unknown> }): void {
    if (this.failing) {
      this.failing = false;
      this.log(`informer ${this.mapping.kind}: watching again`);
    }
    if (event.type === 'ERROR') {
      const code = (event.object as { code?: number }).code;
      throw code === 410 ? new Gone('resourceVersion too old') : new Error(`watch error: ${JSON.stringify(event.object).slice(0, 200)}`);
    }
    const md = (event.object.metadata ?? {}) as { resourceVersion?: string };
    if (md.resourceVersion) this.resourceVersion = md.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    const obj = this.withKind(event.object);
    const key = KindInformer.key(obj);
    const old = this.objects.get(key);
    if (event.type === 'DELETED') {
      this.objects.delete(key);
      this.emit('DELETED', obj, old);
    } else {
      this.objects.set(key, obj);
      this.emit(old ? 'MODIFIED' : 'ADDED', obj, old);
    }
  }

  private async run(): Promise<void> {
    let needList = true;
    let backoff = 200;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          this.markSynced();
        }
        await this.client.watch(this.path, { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 }, (e) => this.handle(e), this.abort.signal);
        backoff = 200;
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof Gone || (err instanceof KubeHttpError && err.status === 410)) {
          needList = true;
          continue;
        }
        if (!this.failing) this.log(`informer ${this.mapping.kind}: ${(err as Error).message.split('\n')[0]}; retrying`);
        this.failing = true;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

/**
 * The informers of the kinds the controller needs, started on first use (one per group and kind)
 * and shared by every Application.
 */
export class ClusterCache {
  private readonly informers = new Map<string, KindInformer>();

  constructor(
    private readonly client: LabKubeClient,
    private readonly onChange: ChangeHandler,
    private readonly log: (m: string) => void,
  ) {}

  /** The informer of a kind (started and synced), or undefined when the API server does not serve it. */
  async informer(apiVersion: string, kind: string): Promise<KindInformer | undefined> {
    let mapping = await this.client.mappingFor(apiVersion, kind);
    if (!mapping) {
      await this.client.discover();
      mapping = await this.client.mappingFor(apiVersion, kind);
    }
    if (!mapping || !mapping.verbs.includes('watch')) return undefined;
    const id = `${mapping.group}/${mapping.kind}`;
    let inf = this.informers.get(id);
    if (!inf) {
      inf = new KindInformer(this.client, mapping, this.onChange, this.log).start();
      this.informers.set(id, inf);
    }
    await inf.synced;
    return inf;
  }

  /** Every started informer. */
  all(): KindInformer[] {
    return [...this.informers.values()];
  }

  /** The cached object of a kind (by group and kind, whatever version is watched). */
  find(group: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.informers.get(`${group}/${kind}`)?.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Whether a group/kind is watched (its cache is authoritative). */
  watches(group: string, kind: string): boolean {
    return this.informers.has(`${group}/${kind}`);
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
