import { KubeConfig } from "@kubernetes/client-node";
import { deriveServices } from "@/lib/k8s/derive";
import { createDiscovery } from "@/server/k8s/discovery";
import { createInformerSet } from "@/server/k8s/informers";

/**
 * Measures discovery on a cluster: time to the informers' first sync, the cost of deriving the
 * services from the caches (what a request pays after a change), and the heap the caches take.
 *
 * From a shell: `node --expose-gc --conditions=react-server --import tsx scripts/bench-discovery.ts [namespace ...]`
 * (KUBECONFIG names the cluster).
 */

export interface DiscoveryFigures {
  namespaces: string[];
  services: number;
  pods: number;
  syncMs: number;
  /** Deriving the whole list from the caches (a request right after a change). */
  deriveMs: { p50: number; p95: number; max: number };
  /** Answering from the derived list (a request without a change in between). */
  cachedMs: { p50: number; p95: number };
  /** Heap growth from before the informers started to after the first sync (MB, after GC when exposed). */
  heapMb: number;
  /** Process RSS right after the first sync and at the end (MB). */
  rssAfterSyncMb: number;
  rssMb: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Starts informers over `namespaces`, waits for the sync, measures, stops them. Run node with --expose-gc for the heap figure. */
export async function measureDiscovery(kc: KubeConfig, namespaces: string[], rounds = 50): Promise<DiscoveryFigures> {
  gc();
  const rss0 = Math.round(process.memoryUsage().rss / 1048576);
  const heap0 = process.memoryUsage().heapUsed;
  console.error(`[bench-discovery] RSS before the informers: ${rss0} MB`);
  const informers = createInformerSet({ kc, namespaces }).start();
  const discovery = createDiscovery(informers, { syncTimeoutMs: 120_000 });
  try {
    const t0 = performance.now();
    const synced = await informers.waitForSync(120_000);
    const syncMs = performance.now() - t0;
    if (!synced) throw new Error(`informers not synced: ${informers.state().message}`);
    const services = await discovery.listServices();
    const snapshot = informers.snapshot();
    gc();
    const rssAfterSyncMb = Math.round(process.memoryUsage().rss / 1048576);
    const derive: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const s = performance.now();
      deriveServices(snapshot, { now: Date.now() });
      derive.push(performance.now() - s);
    }
    derive.sort((a, b) => a - b);
    const cached: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const s = performance.now();
      await discovery.listServices();
      cached.push(performance.now() - s);
    }
    cached.sort((a, b) => a - b);
    gc();
    const mem = process.memoryUsage();
    return {
      namespaces,
      services: services.length,
      pods: snapshot.pods.length,
      syncMs: Math.round(syncMs),
      deriveMs: { p50: +percentile(derive, 0.5).toFixed(1), p95: +percentile(derive, 0.95).toFixed(1), max: +(derive[derive.length - 1] ?? 0).toFixed(1) },
      cachedMs: { p50: +percentile(cached, 0.5).toFixed(3), p95: +percentile(cached, 0.95).toFixed(3) },
      heapMb: Math.round((mem.heapUsed - heap0) / 1048576),
      rssAfterSyncMb,
      rssMb: Math.round(mem.rss / 1048576),
    };
  } finally {
    discovery.close();
    informers.stop();
  }
}

if (process.argv[1] && /bench-discovery\.ts$/.test(process.argv[1])) {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const namespaces = process.argv.slice(2);
  measureDiscovery(kc, namespaces.length ? namespaces : ["media", "qbittorrent", "monitoring", "homepage", "argocd"])
    .then((f) => console.log(JSON.stringify(f, null, 2)))
    .catch((error: unknown) => {
      console.error((error as Error).message);
      process.exitCode = 1;
    });
}
