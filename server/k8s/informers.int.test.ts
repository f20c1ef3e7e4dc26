import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAB_TEST_LABEL } from "@/lab/controls";
import { tokenKubeConfig, useLabCluster } from "@/lab/cluster/test-cluster";
import { createInformerSet, type InformerSet } from "./informers";
import { INFORMER_KINDS } from "./kinds";
import { TcpProxy } from "@/e2e/support/tcp-proxy";

const lab = useLabCluster();
const NS = "panel-k8s-informers";
const labels = { [LAB_TEST_LABEL]: "true" };

async function within<T>(what: string, timeoutMs: number, fn: () => T | undefined | Promise<T | undefined>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("informers: faults", () => {
  const stops: Array<() => unknown> = [];

  beforeAll(async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    await core.deleteNamespace({ name: NS }).catch(() => undefined);
    await within("old test namespace gone", 60_000, async () => ((await core.readNamespace({ name: NS }).catch(() => undefined)) ? undefined : true));
    await core.createNamespace({ body: { metadata: { name: NS, labels } } });
  });

  afterAll(async () => {
    for (const s of stops.reverse()) await s();
    await lab().kc.makeApiClient(CoreV1Api).deleteNamespace({ name: NS }).catch(() => undefined);
  });

  it("records an RBAC refusal of one kind as that kind's error; the other kinds sync and the set stays connected", async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    const rbac = lab().kc.makeApiClient(RbacAuthorizationV1Api);
    const verbs = ["get", "list", "watch"];
    // The kinds watched in the watched namespaces (not the cluster-wide ones, nor Argo CD's, watched in its own namespace).
    const namespaceKinds = INFORMER_KINDS.filter((k) => !k.clusterScoped && k.scope === undefined);
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: "no-events", labels } } });
    await rbac.createNamespacedRole({
      namespace: NS,
      body: {
        metadata: { name: "no-events", labels },
        // Every kind the set watches in this namespace, except events.
        rules: namespaceKinds.filter((k) => k.name !== "events").map((k) => ({ apiGroups: [k.group], resources: [k.plural], verbs })),
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: {
        metadata: { name: "no-events", labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "no-events" },
        subjects: [{ kind: "ServiceAccount", name: "no-events", namespace: NS }],
      },
    });
    const tr = await core.createNamespacedServiceAccountToken({ namespace: NS, name: "no-events", body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const informers = createInformerSet({ kc: tokenKubeConfig(lab(), tr.status?.token ?? ""), namespaces: [NS], kinds: namespaceKinds }).start();
    stops.push(() => informers.stop());
    await informers.waitForSync(10_000);
    const { value: state } = await within("events refused", 10_000, () => {
      const s = informers.state();
      return s.kinds.events?.error ? s : undefined;
    });
    expect(state.kinds.events).toMatchObject({ synced: false });
    expect(state.kinds.events?.error).toMatch(/^panel-k8s-informers: forbidden: .*cannot list resource "events"/);
    const others = Object.entries(state.kinds).filter(([k]) => k !== "events");
    expect(others.map(([k, v]) => [k, v.synced, v.error ?? null])).toEqual(others.map(([k]) => [k, true, null]));
    expect(state.connected).toBe(true);
    expect(state.message).toMatch(/Unavailable: events\.$/);
  });

  it("goes disconnected with the reason when the API server goes away, and reconnects and resyncs by itself", async () => {
    const api = new URL(lab().apiServer);
    const proxy = new TcpProxy({ host: api.hostname, port: Number(api.port) });
    const port = await proxy.start();
    stops.push(() => proxy.stop());
    const base = lab().kc;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: base.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` })),
      users: base.users,
      contexts: base.contexts,
      currentContext: base.currentContext,
    });
    const informers: InformerSet = createInformerSet({ kc, namespaces: [NS], debounceMs: 50 }).start();
    stops.push(() => informers.stop());
    const changes: string[][] = [];
    informers.onChange((k) => changes.push(k));
    expect(await informers.waitForSync(10_000)).toBe(true);
    expect(informers.state().connected).toBe(true);

    await proxy.stop();
    const t0 = Date.now();
    const down = await within("disconnected", 10_000, () => {
      const s = informers.state();
      return s.connected ? undefined : s;
    });
    console.log(`[informers] disconnected ${down.ms} ms after the API server went away: ${down.value.message}`);
    expect(down.value.message).toMatch(/^Disconnected: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: .*(ECONNREFUSED|ECONNRESET|socket hang up|aborted|socket disconnected)/);
    expect(Object.values(down.value.kinds).every((k) => k.synced)).toBe(true);
    expect(changes.some((k) => k.includes("state"))).toBe(true);

    // The cluster changes while the panel cannot see it.
    const core = lab().kc.makeApiClient(CoreV1Api);
    await core.createNamespacedService({ namespace: NS, body: { metadata: { name: "made-while-away", labels }, spec: { selector: { app: "x" }, ports: [{ port: 80 }] } } });
    await new Promise((r) => setTimeout(r, 3000));
    expect(informers.snapshot().services.some((s) => s.metadata?.name === "made-while-away")).toBe(false);

    await proxy.start(port);
    const back = await within("reconnected and resynced", 40_000, () => {
      const s = informers.state();
      return s.connected && informers.snapshot().services.some((x) => x.metadata?.name === "made-while-away") ? s : undefined;
    });
    console.log(`[informers] away for ${Date.now() - t0 - back.ms} ms; reconnected and resynced ${back.ms} ms after the API server came back`);
    expect(back.value.message).toMatch(/^Connected to https:\/\/127\.0\.0\.1:\d+; watching 22 kinds in namespaces panel-k8s-informers\.$/);
    expect(Object.values(back.value.kinds).every((k) => k.synced && !k.error)).toBe(true);
    expect(back.ms).toBeLessThan(35_000);
  });
});
