import "server-only";
import { deriveServices } from "@/lib/k8s/derive";
import { updateRestartHistory, type RestartHistory } from "@/lib/k8s/restarts";
import type { DiscoveredService } from "@/lib/services";
import { logger } from "@/server/observability/logger";
import type { InformerSet, KubeState } from "./informers";

/**
 * Discovery: the services of the watched namespaces, derived from the informers' caches by the pure
 * join of lib/k8s/derive. No API call per request: a request waits (once, bounded) for the first
 * sync, then reads the caches; the derived list is reused until a cache changes.
 */

export interface DiscoveryOptions {
  /** `discovery.kindOverrides`. */
  kindOverrides?: Readonly<Record<string, string>>;
  /** How long the first request waits for the caches (ms). */
  syncTimeoutMs?: number;
  /** `discovery.argocdNamespace`. */
  argocdNamespace?: string;
  /** A derived list older than this is derived again even without a change (restarts in the last hour age). */
  maxAgeMs?: number;
}

/** What changed in the services list: the ids of the services added or changed, and of those gone. */
export interface ServicesChange {
  changed: string[];
  removed: string[];
}

/** Listener of the services list; called after a change in the cluster changed what discovery reports. */
export type ServicesListener = (services: DiscoveredService[], change: ServicesChange) => void;

/** Per service, the JSON it was last reported with (what a change is measured against). */
function fingerprints(services: readonly DiscoveredService[]): Map<string, string> {
  return new Map(services.map((s) => [s.id, JSON.stringify(s)]));
}

const log = logger.child({ component: "k8s-discovery" });

/** Discovery over one informer set. */
export class Discovery {
  private history: RestartHistory = new Map();
  private derived: { version: number; at: number; services: DiscoveredService[] } | undefined;
  private readonly listeners = new Set<ServicesListener>();
  /** Fingerprints of the services the listeners last saw. */
  private notified: Map<string, string> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    readonly informers: InformerSet,
    private readonly options: DiscoveryOptions = {},
  ) {
    this.unsubscribe = informers.onChange((kinds) => this.onInformerChange(kinds));
  }

  private onInformerChange(kinds: string[]): void {
    if (kinds.includes("pods")) this.history = updateRestartHistory(this.history, this.informers.snapshot().pods, Date.now());
    if (this.listeners.size === 0) return;
    const services = this.derive();
    const next = fingerprints(services);
    const before = this.notified ?? new Map<string, string>();
    const change: ServicesChange = {
      changed: [...next].filter(([id, json]) => before.get(id) !== json).map(([id]) => id),
      removed: [...before.keys()].filter((id) => !next.has(id)),
    };
    if (change.changed.length === 0 && change.removed.length === 0) return;
    this.notified = next;
    for (const l of this.listeners) {
      try {
        l(services, change);
      } catch (error) {
        log.error({ err: error }, "a services listener failed");
      }
    }
  }

  private derive(): DiscoveredService[] {
    const version = this.informers.version;
    const now = Date.now();
    if (this.derived && this.derived.version === version && now - this.derived.at < (this.options.maxAgeMs ?? 15_000)) return this.derived.services;
    const snapshot = this.informers.snapshot();
    if (this.history.size === 0 && snapshot.pods.length > 0) this.history = updateRestartHistory(this.history, snapshot.pods, now);
    const services = deriveServices(snapshot, {
      now,
      restartHistory: this.history,
      ...(this.options.kindOverrides ? { kindOverrides: this.options.kindOverrides } : {}),
      ...(this.options.argocdNamespace ? { argocdNamespace: this.options.argocdNamespace } : {}),
    });
    this.derived = { version, at: now, services };
    return services;
  }

  /** Every discovered service, sorted by namespace then name. Never throws; an unreachable cluster gives what the caches hold. */
  async listServices(): Promise<DiscoveredService[]> {
    if (!this.informers.synced) await this.informers.waitForSync(this.options.syncTimeoutMs ?? 5_000);
    return this.derive();
  }

  /** One service by id (`namespace/name`). */
  async getService(id: string): Promise<DiscoveredService | undefined> {
    return (await this.listServices()).find((s) => s.id === id);
  }

  /** Connection and per-kind state of the caches. */
  getKubeState(): KubeState {
    return this.informers.state();
  }

  /** Subscribes to changes of the services list; returns the unsubscribe function. */
  onServicesChanged(listener: ServicesListener): () => void {
    this.listeners.add(listener);
    this.notified ??= fingerprints(this.derive());
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Detaches from the informers. */
  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }
}

/** Discovery over an informer set (the panel's own is made by `server/k8s/index.ts` from its configuration). */
export function createDiscovery(informers: InformerSet, options: DiscoveryOptions = {}): Discovery {
  return new Discovery(informers, options);
}
