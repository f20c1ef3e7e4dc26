import "server-only";
import { setMaxListeners } from "node:events";
import type { KubeConfig } from "@kubernetes/client-node";
import { isAppError } from "@/lib/errors";
import { emptySnapshot, type ClusterSnapshot, type KubeObject } from "@/lib/k8s/types";
import { applyWatchEvent, sameObjects, type WatchEvent } from "@/lib/k8s/watch";
import { logger } from "@/server/observability/logger";
import { z } from "zod";
import { groupVersionPath, INFORMER_KINDS, kindPath, type InformerKind, type KindDescriptor } from "./kinds";
import { isKubeUnreachable, kubeAnswerOf, kubeGet, kubeList, kubeWatch } from "./rest";

/**
 * Long-lived caches of the cluster, one per kind: list, then watch from the list's resourceVersion,
 * folding every event with the pure `applyWatchEvent`. A stream that fails is restarted with
 * exponential backoff (capped at 30 s) and relists; an RBAC refusal stays an error of that kind only;
 * an API server that cannot be reached makes the set `disconnected` with the reason until it answers
 * again. A kind a CRD provides (`optional`) is watched only while the API server serves it: its stream
 * asks API discovery first (shared by the streams of one group/version, rechecked every
 * `crdRecheckMs`), starts when the CRD appears and empties when it goes. Requests read the caches,
 * never the API server.
 */

/** State of one kind's cache. */
export interface KindState {
  /** True once every stream of the kind has listed (the cache holds data, possibly stale while disconnected). */
  synced: boolean;
  /** False while the API server does not serve the kind (a CRD that is not installed): nothing to watch. */
  served: boolean;
  /** The last failure of the kind, while it lasts (e.g. RBAC 403 with the API server's message). */
  error?: string;
}

/** State of the connection to the cluster as the panel shows it. */
export interface KubeState {
  connected: boolean;
  message: string;
  kinds: Record<string, KindState>;
}

/** Listener of cache changes: the kinds that changed (plus `state` when the connection state changed). */
export type ChangeListener = (kinds: string[]) => void;

export interface InformerSetOptions {
  /** Credentials; null when Kubernetes is not configured (the set stays empty and says why). */
  kc: KubeConfig | null;
  /** Namespaces to watch; empty means all namespaces (cluster-wide watches). */
  namespaces: readonly string[];
  /** `namespaces`: one watch per kind and namespace; `cluster`: one cluster-wide watch per kind, filtered. */
  scope?: "namespaces" | "cluster";
  /** Timeout of a list request and of opening a watch (ms). */
  requestTimeoutMs?: number;
  kinds?: readonly KindDescriptor<string>[];
  /** Server-side lifetime of one watch request (s, randomised ±20 %); the stream then resumes from its resourceVersion. */
  watchTimeoutSeconds?: number;
  /** Backoff between failed attempts: doubles from initialMs up to maxMs, ±20 % jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Change notifications are coalesced over this many ms. */
  debounceMs?: number;
  /** Message of the state when `kc` is null. */
  notConfiguredMessage?: string;
  /** Argo CD's namespace: the one namespace of the kinds with `scope: "argocd-namespace"` (default `argocd`). */
  argocdNamespace?: string;
  /** Velero's namespace: the one namespace of the kinds with `scope: "velero-namespace"` (default `velero`). */
  veleroNamespace?: string;
  /** How often a kind whose CRD is not served is looked for again (ms, default 60 s). */
  crdRecheckMs?: number;
}

const apiResourcesSchema = z.object({ resources: z.array(z.object({ name: z.string() }).loose()).nullish() }).loose();

const log = logger.child({ component: "k8s-informers" });

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

interface StreamError {
  message: string;
  unreachable: boolean;
  status: number;
}

/** One list+watch loop: a kind in one namespace, or cluster-wide. */
class Stream {
  items: readonly KubeObject[] = [];
  synced = false;
  attempted = false;
  error: StreamError | undefined;
  version = 0;
  restarts = 0;
  /** False while the kind's CRD is not served (optional kinds only). */
  served = true;
  private resourceVersion = "";

  constructor(
    private readonly set: InformerSet,
    readonly kind: KindDescriptor<string>,
    readonly namespace: string | undefined,
  ) {}

  get label(): string {
    return this.namespace ? `${this.kind.name} in ${this.namespace}` : `${this.kind.name} (all namespaces)`;
  }

  private keep(obj: KubeObject): boolean {
    return this.namespace !== undefined || this.kind.clusterScoped === true || this.set.keepsNamespace(obj.metadata?.namespace);
  }

  private replace(items: KubeObject[]): void {
    const next = items.filter((o) => this.keep(o)).map(this.kind.slim);
    if (this.synced && sameObjects(this.items, next)) return;
    this.items = next;
    this.version++;
    this.set.changed(this.kind.name);
  }

  private apply(event: WatchEvent): void {
    const rv = event.object?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === "BOOKMARK" || !this.keep(event.object)) return;
    const next = applyWatchEvent(this.items, { type: event.type, object: this.kind.slim(event.object) });
    if (next === this.items) return;
    this.items = next;
    this.version++;
    this.set.changed(this.kind.name);
  }

  private fail(error: StreamError): void {
    this.attempted = true;
    const changed = this.error?.message !== error.message;
    this.error = error;
    if (changed) {
      // Unreachable is logged once for the whole set (stateChanged); refusals are logged per stream.
      const fields = { kind: this.kind.name, namespace: this.namespace, status: error.status };
      if (error.unreachable) log.debug(fields, `${this.label}: ${error.message}`);
      else log.warn(fields, `${this.label}: ${error.message}`);
      this.set.stateChanged();
    }
  }

  /** The kind is not served (its CRD is absent): an empty, synced cache without error. */
  private unserved(): void {
    const changed = this.served || this.items.length > 0 || this.error !== undefined;
    this.served = false;
    this.error = undefined;
    this.attempted = true;
    if (this.items.length > 0) {
      this.items = [];
      this.version++;
      this.set.changed(this.kind.name);
    }
    const first = !this.synced;
    this.synced = true;
    if (changed || first) this.set.stateChanged();
  }

  private recover(): void {
    if (!this.error) return;
    const fields = { kind: this.kind.name, namespace: this.namespace };
    if (this.error.unreachable) log.debug(fields, `${this.label}: recovered`);
    else log.info(fields, `${this.label}: recovered`);
    this.error = undefined;
    this.set.stateChanged();
  }

  async run(kc: KubeConfig, signal: AbortSignal): Promise<void> {
    const { initialMs, maxMs } = this.set.backoff;
    const timeoutMs = this.set.requestTimeoutMs;
    const path = kindPath(this.kind, this.namespace);
    let delay = initialMs;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList && this.kind.optional && !(await this.set.serves(kc, this.kind, signal))) {
          this.unserved();
          await sleep(jitter(this.set.crdRecheckMs), signal);
          continue;
        }
        if (needList) {
          const list = await kubeList(kc, path, { timeoutMs, signal, fieldSelector: this.kind.fieldSelector });
          if (!this.served) {
            this.served = true;
            log.info({ kind: this.kind.name, group: this.kind.group, namespace: this.namespace }, `${this.label}: served now (${this.kind.group}/${this.kind.version}); watching`);
          }
          this.resourceVersion = list.resourceVersion;
          this.replace(list.items);
          const first = !this.synced;
          this.synced = true;
          this.attempted = true;
          needList = false;
          this.recover();
          if (first) this.set.stateChanged();
        }
        const watchSeconds = Math.round(this.set.watchTimeoutSeconds * (0.8 + Math.random() * 0.4));
        const opened = Date.now();
        await kubeWatch(
          kc,
          path,
          { resourceVersion: this.resourceVersion, allowWatchBookmarks: "true", timeoutSeconds: String(watchSeconds), fieldSelector: this.kind.fieldSelector },
          {
            signal,
            connectTimeoutMs: timeoutMs,
            stallMs: (watchSeconds + 30) * 1000,
            onEvent: (e) => this.apply(e),
            onOpen: () => {
              delay = initialMs;
              this.recover();
            },
          },
        );
        // A normal end (the server's timeout): resume from the last resourceVersion, unless it ended at once.
        if (Date.now() - opened < 1000) await sleep(jitter(delay), signal);
      } catch (error) {
        if (signal.aborted) break;
        const status = kubeAnswerOf(error)?.status ?? 0;
        needList = true;
        if (status === 410) continue; // resourceVersion too old: relist at once
        if (status === 404 && this.kind.optional) {
          // The CRD went away: back to waiting for it.
          this.set.forgetServed(this.kind);
          this.unserved();
          continue;
        }
        this.restarts++;
        this.set.countRestart(this.kind.name);
        const message = isAppError(error) ? error.message : (error as Error).message;
        this.fail({
          message: status === 403 ? `forbidden: ${message}` : message,
          unreachable: isKubeUnreachable(error),
          status,
        });
        await sleep(jitter(delay), signal);
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }
}

/**
 * The informers of one cluster. Create with {@link createInformerSet}; the panel's process-wide set
 * comes from `getInformers()` in `server/k8s/index.ts`.
 */
export class InformerSet {
  readonly requestTimeoutMs: number;
  readonly watchTimeoutSeconds: number;
  readonly backoff: { initialMs: number; maxMs: number };
  readonly crdRecheckMs: number;
  private readonly streams: Stream[] = [];
  private readonly servedChecks = new Map<string, { at: number; value: Promise<Set<string>> }>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly pending = new Set<string>();
  private readonly restartCounts = new Map<string, number>();
  private readonly namespaces: ReadonlySet<string>;
  private debounceTimer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;
  private syncWaiters: Array<() => void> = [];
  private cached: { version: number; snapshot: ClusterSnapshot } | undefined;
  private lastConnected: boolean | undefined;

  constructor(private readonly options: InformerSetOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.crdRecheckMs = options.crdRecheckMs ?? 60_000;
    this.namespaces = new Set(options.namespaces);
    const kinds = options.kinds ?? INFORMER_KINDS;
    const perNamespace = (options.scope ?? "namespaces") === "namespaces" && options.namespaces.length > 0;
    for (const kind of kinds) {
      if (kind.scope === "argocd-namespace") this.streams.push(new Stream(this, kind, options.argocdNamespace ?? "argocd"));
      else if (kind.scope === "velero-namespace") this.streams.push(new Stream(this, kind, options.veleroNamespace ?? "velero"));
      else if (perNamespace && !kind.clusterScoped) for (const ns of options.namespaces) this.streams.push(new Stream(this, kind, ns));
      else this.streams.push(new Stream(this, kind, undefined));
    }
  }

  /** The kinds this set watches. */
  get kinds(): InformerKind[] {
    return [...new Set(this.streams.map((s) => s.kind.name as InformerKind))];
  }

  /** The cached objects of one kind this set watches (also kinds outside {@link ClusterSnapshot}, such as the backups' Jobs). */
  objectsOf(kind: string): readonly KubeObject[] {
    const streams = this.streams.filter((s) => s.kind.name === kind);
    return streams.length === 1 ? (streams[0]?.items ?? []) : streams.flatMap((s) => s.items);
  }

  /** True while the loops run. */
  get running(): boolean {
    return this.controller !== undefined && !this.controller.signal.aborted;
  }

  /** Starts every list+watch loop (idempotent). */
  start(): this {
    if (this.running || !this.options.kc) return this;
    const kc = this.options.kc;
    this.controller = new AbortController();
    const all = this.controller.signal;
    setMaxListeners(this.streams.length + 10, all);
    log.info({ kinds: this.kinds, namespaces: [...this.namespaces], streams: this.streams.length }, "starting the Kubernetes informers");
    for (const s of this.streams) {
      // One controller per stream keeps the listeners on each signal few.
      const own = new AbortController();
      all.addEventListener("abort", () => own.abort(), { once: true });
      void s.run(kc, own.signal).catch((error: unknown) => log.error({ err: error, kind: s.kind.name }, `${s.label}: the loop stopped`));
    }
    return this;
  }

  /** Stops every loop and pending notification. */
  stop(): void {
    this.controller?.abort();
    clearTimeout(this.debounceTimer);
    this.debounceTimer = undefined;
    this.pending.clear();
    for (const w of this.syncWaiters) w();
    this.syncWaiters = [];
  }

  /**
   * @internal Whether the API server serves a kind (API discovery of its group/version, which every
   * authenticated client may read). Shared by the streams of one group/version for half the recheck
   * interval. A failure other than 404 is thrown (the stream's backoff handles it).
   */
  async serves(kc: KubeConfig, kind: KindDescriptor<string>, signal: AbortSignal): Promise<boolean> {
    const key = groupVersionPath(kind);
    let hit = this.servedChecks.get(key);
    if (!hit || Date.now() - hit.at >= this.crdRecheckMs / 2) {
      const value = kubeGet(kc, key, apiResourcesSchema, { timeoutMs: this.requestTimeoutMs, signal }).then(
        (list) => new Set((list.resources ?? []).map((r) => r.name)),
        (error: unknown) => {
          if (kubeAnswerOf(error)?.status === 404) return new Set<string>();
          throw error;
        },
      );
      hit = { at: Date.now(), value };
      this.servedChecks.set(key, hit);
      value.catch(() => {
        if (this.servedChecks.get(key)?.value === value) this.servedChecks.delete(key);
      });
    }
    return (await hit.value).has(kind.plural);
  }

  /** @internal The served check of a kind is stale (its CRD went away). */
  forgetServed(kind: KindDescriptor<string>): void {
    this.servedChecks.delete(groupVersionPath(kind));
  }

  /** @internal used by streams with cluster-wide watches. */
  keepsNamespace(ns: string | undefined): boolean {
    return this.namespaces.size === 0 || (ns !== undefined && this.namespaces.has(ns));
  }

  /** @internal a stream's cache changed. */
  changed(kind: string): void {
    this.pending.add(kind);
    this.schedule();
  }

  /** @internal a stream's error or sync state changed. */
  stateChanged(): void {
    const state = this.state();
    if (state.connected !== this.lastConnected) {
      if (state.connected) {
        log.info({ connected: true }, state.message);
        this.lastConnected = true;
      } else if (this.lastConnected === true || this.streams.every((s) => s.attempted)) {
        log.warn({ connected: false }, state.message);
        this.lastConnected = false;
      }
    }
    this.pending.add("state");
    this.schedule();
    if (this.syncWaiters.length > 0 && this.streams.every((s) => s.synced || s.attempted)) {
      for (const w of this.syncWaiters) w();
      this.syncWaiters = [];
    }
  }

  /** @internal */
  countRestart(kind: string): void {
    this.restartCounts.set(kind, (this.restartCounts.get(kind) ?? 0) + 1);
  }

  /** Restarts of the watch loops per kind since start (for metrics). */
  restartsByKind(): Record<string, number> {
    return Object.fromEntries(this.restartCounts);
  }

  private schedule(): void {
    if (this.debounceTimer || this.listeners.size === 0) {
      if (this.listeners.size === 0) this.pending.clear();
      return;
    }
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      const kinds = [...this.pending];
      this.pending.clear();
      if (kinds.length === 0) return;
      for (const l of this.listeners) {
        try {
          l(kinds);
        } catch (error) {
          log.error({ err: error }, "a change listener failed");
        }
      }
    }, this.options.debounceMs ?? 200);
    this.debounceTimer.unref?.();
  }

  /** Subscribes to cache changes (debounced); returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** A monotonically increasing number that changes whenever any cache changes. */
  get version(): number {
    let v = 0;
    for (const s of this.streams) v += s.version;
    return v;
  }

  /** The caches as one immutable snapshot (rebuilt only after a change). */
  snapshot(): ClusterSnapshot {
    const version = this.version;
    if (this.cached?.version === version) return this.cached.snapshot;
    const snap = emptySnapshot() as { -readonly [K in keyof ClusterSnapshot]: readonly KubeObject[] };
    const byKind = new Map<string, Stream[]>();
    for (const s of this.streams) byKind.set(s.kind.name, [...(byKind.get(s.kind.name) ?? []), s]);
    for (const [kind, streams] of byKind) {
      snap[kind as keyof ClusterSnapshot] = streams.length === 1 ? (streams[0]?.items ?? []) : streams.flatMap((s) => s.items);
    }
    this.cached = { version, snapshot: snap as ClusterSnapshot };
    return this.cached.snapshot;
  }

  /** True when every stream has listed at least once. */
  get synced(): boolean {
    return this.streams.every((s) => s.synced);
  }

  /**
   * Resolves once every stream has either synced or failed at least once (so a page never waits for a
   * cluster that is down), or after `timeoutMs`. Resolves true when everything is synced.
   */
  async waitForSync(timeoutMs: number): Promise<boolean> {
    if (!this.options.kc) return false;
    if (this.streams.every((s) => s.synced || s.attempted)) return this.synced;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, timeoutMs);
      const waiters = this.syncWaiters;
      function done() {
        clearTimeout(t);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
    return this.synced;
  }

  /** Connection and per-kind state. */
  state(): KubeState {
    const kinds: Record<string, KindState> = {};
    for (const s of this.streams) {
      const k = (kinds[s.kind.name] ??= { synced: true, served: false });
      k.synced &&= s.synced;
      k.served ||= s.served;
      if (s.error) {
        const msg = s.namespace && !s.error.unreachable ? `${s.namespace}: ${s.error.message}` : s.error.message;
        k.error = k.error ? (k.error.includes(msg) ? k.error : `${k.error}; ${msg}`) : msg;
      }
    }
    if (!this.options.kc) {
      for (const k of Object.values(kinds)) k.synced = false;
      return { connected: false, message: this.options.notConfiguredMessage ?? "Kubernetes is not configured.", kinds };
    }
    const server = this.options.kc.getCurrentCluster()?.server ?? "the API server";
    const down = this.streams.find((s) => s.error?.unreachable);
    if (down?.error) return { connected: false, message: `Disconnected: ${down.error.message} (retrying)`, kinds };
    if (!this.streams.some((s) => s.synced)) {
      const failed = this.streams.find((s) => s.error);
      return { connected: false, message: failed?.error ? `Cannot read the cluster: ${failed.error.message}` : `Connecting to ${server}…`, kinds };
    }
    const failing = Object.entries(kinds).filter(([, k]) => k.error).map(([name]) => name);
    const scope = this.namespaces.size === 0 ? "all namespaces" : `namespaces ${[...this.namespaces].join(", ")}`;
    const served = Object.values(kinds).filter((k) => k.served).length;
    const absent = Object.entries(kinds).filter(([, k]) => !k.served).map(([name]) => name);
    const base = `Connected to ${server}; watching ${served} kinds in ${scope}.${absent.length > 0 ? ` Not served by this cluster (no CRD): ${absent.join(", ")}.` : ""}`;
    return { connected: true, message: failing.length ? `${base} Unavailable: ${failing.join(", ")}.` : base, kinds };
  }
}

/** A new, unstarted informer set (the panel's own is made by `server/k8s/index.ts` from its configuration). */
export function createInformerSet(options: InformerSetOptions): InformerSet {
  return new InformerSet(options);
}
