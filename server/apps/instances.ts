import "server-only";
import type { AppInstance } from "./define";
import type { AppResolution } from "./define";

/**
 * App instances by service, shared by the prober and the integrations so that one app has one
 * client: qBittorrent's session cookie and its login back-off live in that client, and two clients
 * would log in twice (and risk a ban). An instance is replaced when its address or a credential
 * changes (the resolution's fingerprint).
 */
export class AppInstances {
  private readonly byService = new Map<string, { fingerprint: string; instance: AppInstance }>();

  /** The instance for a resolved service, created or reused. */
  get(resolution: AppResolution): AppInstance {
    const hit = this.byService.get(resolution.serviceId);
    if (hit && hit.fingerprint === resolution.fingerprint) return hit.instance;
    const instance = resolution.module.connect(resolution.target);
    this.byService.set(resolution.serviceId, { fingerprint: resolution.fingerprint, instance });
    return instance;
  }

  /** Forgets instances of services that no longer exist. */
  prune(serviceIds: Iterable<string>): void {
    const keep = new Set(serviceIds);
    for (const id of this.byService.keys()) if (!keep.has(id)) this.byService.delete(id);
  }

  get size(): number {
    return this.byService.size;
  }
}

const holder = globalThis as typeof globalThis & { __panelAppInstances?: AppInstances };

/** The process-wide instances. */
export function getAppInstances(): AppInstances {
  holder.__panelAppInstances ??= new AppInstances();
  return holder.__panelAppInstances;
}
