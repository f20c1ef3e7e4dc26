import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restartEtcd, startApiServer, stopApiServer } from "@/lab/controls";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { createInformerSet, type InformerSet } from "./informers";

/**
 * Faults of the control plane, through the lab's controls, with the panel's informers watching: the
 * API server stopped during a watch makes the connection state "Disconnected" within seconds (not
 * "connected" until a timeout), and when it starts again the same informers relist and see what
 * changed, without a restart of the panel; an etcd restart under them loses nothing either.
 */

const lab = useLabCluster({ reset: false });
const NS = "media";
let informers: InformerSet;

async function until<T>(what: string, timeoutMs: number, fn: () => T | undefined | false): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function serviceName(suffix: string): string {
  return `fault-${suffix}-${Date.now().toString(36)}`;
}

const hasService = (name: string) => () => informers.snapshot().services.some((s) => s.metadata?.name === name);

describe("the API server and etcd going away under the informers", () => {
  const created: string[] = [];
  const core = () => lab().kc.makeApiClient(CoreV1Api);

  beforeAll(async () => {
    informers = createInformerSet({ kc: lab().kc, namespaces: [NS], debounceMs: 50, requestTimeoutMs: 3000, backoff: { initialMs: 200, maxMs: 2000 } }).start();
    await until("first sync", 30_000, () => informers.state().connected);
  }, 60_000);

  afterAll(async () => {
    await startApiServer().catch(() => undefined);
    informers?.stop();
    for (const name of created) await core().deleteNamespacedService({ namespace: NS, name }).catch(() => undefined);
  }, 120_000);

  it("API server stopped: Disconnected within seconds; started again: the same informers relist and see a change made meanwhile", async () => {
    await stopApiServer();
    const down = await until("disconnected", 15_000, () => !informers.state().connected && informers.state());
    console.log(`[faults] API server stopped -> "${down.value.message}" after ${down.ms} ms`);
    expect(down.ms).toBeLessThan(5_000);
    expect(down.value.message).toMatch(/^Disconnected: /);
    await startApiServer();
    const name = serviceName("apiserver");
    created.push(name);
    await core().createNamespacedService({ namespace: NS, body: { metadata: { name }, spec: { ports: [{ port: 80 }] } } });
    const seen = await until("the change after the restart", 30_000, hasService(name));
    console.log(`[faults] API server started -> connected and the new Service seen ${seen.ms} ms after it was created`);
    expect(informers.state().connected).toBe(true);
  }, 120_000);

  it("etcd restarted under a watch: the informers stay and see the next change", async () => {
    await restartEtcd();
    const name = serviceName("etcd");
    created.push(name);
    await core().createNamespacedService({ namespace: NS, body: { metadata: { name }, spec: { ports: [{ port: 80 }] } } });
    const seen = await until("the change after the etcd restart", 30_000, hasService(name));
    console.log(`[faults] etcd restarted -> a new Service seen ${seen.ms} ms after it was created`);
    // A kind whose watch the restart cut may still be relisting; the set is connected again within seconds.
    const back = await until("connected after the etcd restart", 30_000, () => informers.state().connected);
    console.log(`[faults] etcd restarted -> every kind connected ${back.ms} ms after the Service was seen`);
    expect(informers.state().connected).toBe(true);
  }, 120_000);
});
