import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { createInformerSet, type InformerSet } from "./informers";
import { INFORMER_KINDS, kindPath } from "./kinds";

/** A fake API server: lists from `objects`, streams watch events pushed by the test, refuses what `forbidden` names. */
class FakeApi {
  readonly objects = new Map<string, Array<{ metadata: { uid: string; name: string; namespace: string; resourceVersion: string } }>>();
  readonly forbidden = new Set<string>();
  /** API discovery: group/version path -> the resources it serves (absent: 404, as without the CRD). */
  readonly discovery = new Map<string, string[]>();
  /** Paths answered 404 (a CRD's kind that is not served). */
  readonly missing = new Set<string>();
  readonly requests: string[] = [];
  private readonly watchers = new Map<string, http.ServerResponse[]>();
  private rv = 100;
  private server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (/^\/apis\/[^/]+\/[^/]+$/.test(url.pathname)) {
      this.requests.push(`DISCOVER ${url.pathname}`);
      const resources = this.discovery.get(url.pathname);
      res.writeHead(resources ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(resources ? { kind: "APIResourceList", resources: resources.map((name) => ({ name, namespaced: true })) } : { kind: "Status", code: 404, reason: "NotFound" }));
      return;
    }
    this.requests.push(`${url.searchParams.has("watch") ? "WATCH" : "LIST"} ${url.pathname}`);
    if (this.missing.has(url.pathname)) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 404, reason: "NotFound", message: "the server could not find the requested resource" }));
      return;
    }
    if (this.forbidden.has(url.pathname)) {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", status: "Failure", reason: "Forbidden", code: 403, message: `events is forbidden: cannot list resource "events"` }));
      return;
    }
    if (this.missing.has(url.pathname)) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", status: "Failure", reason: "NotFound", code: 404, message: "the server could not find the requested resource" }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    if (url.searchParams.has("watch")) {
      this.watchers.set(url.pathname, [...(this.watchers.get(url.pathname) ?? []), res]);
      res.flushHeaders();
      return;
    }
    res.end(JSON.stringify({ kind: "List", metadata: { resourceVersion: String(this.rv) }, items: this.objects.get(url.pathname) ?? [] }));
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  send(path: string, type: string, object: unknown): void {
    for (const res of this.watchers.get(path) ?? []) res.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** Ends every open watch of a path (as the server's timeout does). */
  endWatches(path: string): void {
    for (const res of this.watchers.get(path) ?? []) res.end();
    this.watchers.delete(path);
  }

  watching(path: string): boolean {
    return (this.watchers.get(path)?.length ?? 0) > 0;
  }

  nextRv(): string {
    return String(++this.rv);
  }

  async stop(): Promise<void> {
    for (const list of this.watchers.values()) for (const res of list) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function kcFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "fake", server, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "fake", cluster: "fake", user: "u" }],
    currentContext: "fake",
  });
  return kc;
}

async function until<T>(fn: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pod = (name: string, rv: string, uid = `uid-${name}`) => ({ metadata: { uid, name, namespace: "media", resourceVersion: rv } });
const PODS = kindPath(INFORMER_KINDS.find((k) => k.name === "pods")!, "media");
const EVENTS = kindPath(INFORMER_KINDS.find((k) => k.name === "events")!, "media");
const kinds = INFORMER_KINDS.filter((k) => k.name === "pods" || k.name === "events");

describe("InformerSet (against a fake API server)", () => {
  let api: FakeApi | undefined;
  let set: InformerSet | undefined;
  afterEach(async () => {
    set?.stop();
    await api?.stop();
  });

  it("lists, then folds watch events; listeners get the changed kinds once per debounce window", async () => {
    api = new FakeApi();
    api.objects.set(PODS, [pod("a", "10")]);
    set = createInformerSet({ kc: kcFor(await api.start()), namespaces: ["media"], kinds, debounceMs: 50 });
    const seen: string[][] = [];
    set.onChange((k) => seen.push(k));
    set.start();
    expect(await set.waitForSync(3000)).toBe(true);
    expect(set.snapshot().pods.map((p) => p.metadata?.name)).toEqual(["a"]);
    await until(() => (api?.watching(PODS) ? true : undefined));
    api.send(PODS, "ADDED", pod("b", api.nextRv()));
    api.send(PODS, "MODIFIED", pod("a", api.nextRv()));
    api.send(PODS, "BOOKMARK", { metadata: { resourceVersion: api.nextRv() } });
    await until(() => (set?.snapshot().pods.length === 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 120)); // let the debounce window close
    const batches = seen.length;
    api.send(PODS, "DELETED", pod("a", api.nextRv()));
    await until(() => (set?.snapshot().pods.length === 1 ? true : undefined));
    expect(set.snapshot().pods.map((p) => p.metadata?.name)).toEqual(["b"]);
    await until(() => (seen.length > batches ? true : undefined));
    expect(seen.slice(batches)).toEqual([["pods"]]);
    expect(seen.flat()).toContain("state");
    expect(seen.every((k) => new Set(k).size === k.length)).toBe(true);
    expect(set.state()).toMatchObject({ connected: true, kinds: { pods: { synced: true }, events: { synced: true } } });
  });

  it("resumes a watch the server ended from its resourceVersion, and relists after 410 Gone", async () => {
    api = new FakeApi();
    api.objects.set(PODS, [pod("a", "10")]);
    set = createInformerSet({ kc: kcFor(await api.start()), namespaces: ["media"], kinds, debounceMs: 20, backoff: { initialMs: 50, maxMs: 200 } }).start();
    await set.waitForSync(3000);
    await until(() => (api?.watching(PODS) ? true : undefined));
    api.endWatches(PODS);
    await until(() => (api?.watching(PODS) ? true : undefined));
    expect(api.requests.filter((r) => r === `LIST ${PODS}`)).toHaveLength(1);
    // The stored resourceVersion is gone: the server says so, and the informer lists again.
    api.objects.set(PODS, [pod("c", "300")]);
    api.send(PODS, "ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
    await until(() => (set?.snapshot().pods.map((p) => p.metadata?.name).join() === "c" ? true : undefined));
    expect(api.requests.filter((r) => r === `LIST ${PODS}`)).toHaveLength(2);
    expect(set.state().kinds.pods?.error).toBeUndefined();
  });

  it("an RBAC refusal stays the kind's own error; the set is connected", async () => {
    api = new FakeApi();
    api.forbidden.add(EVENTS);
    set = createInformerSet({ kc: kcFor(await api.start()), namespaces: ["media"], kinds }).start();
    await set.waitForSync(3000);
    const state = set.state();
    expect(state.connected).toBe(true);
    expect(state.kinds.events).toEqual({ synced: false, served: true, error: `media: forbidden: events is forbidden: cannot list resource "events"` });
    expect(state.kinds.pods).toEqual({ synced: true, served: true });
  });

  it("a CRD's kind waits for its CRD: synced and empty while not served, watched once served, emptied when it goes", async () => {
    api = new FakeApi();
    const traefik = INFORMER_KINDS.filter((k) => k.group === "traefik.io");
    const ROUTES = kindPath(traefik.find((k) => k.name === "ingressroutes")!, "media");
    const route = (name: string) => ({ apiVersion: "traefik.io/v1alpha1", kind: "IngressRoute", metadata: { uid: `r-${name}`, name, namespace: "media", resourceVersion: "5" } });
    set = createInformerSet({ kc: kcFor(await api.start()), namespaces: ["media"], kinds: [...kinds, ...traefik], crdRecheckMs: 100, debounceMs: 20 }).start();
    expect(await set.waitForSync(3000)).toBe(true);
    expect(set.state().kinds.ingressroutes).toEqual({ synced: true, served: false });
    expect(set.state().message).toMatch(/watching 2 kinds in namespaces media\. Not served by this cluster \(no CRD\): ingressroutes, middlewares\.$/);
    expect(api.requests.filter((r) => r.startsWith("LIST /apis/traefik.io"))).toEqual([]);
    // One discovery request per recheck for both kinds of the group, never a list.
    expect(api.requests.filter((r) => r === "DISCOVER /apis/traefik.io/v1alpha1").length).toBeLessThanOrEqual(2);

    api.discovery.set("/apis/traefik.io/v1alpha1", ["ingressroutes", "middlewares"]);
    api.objects.set(ROUTES, [route("sonarr")]);
    await until(() => (set?.snapshot().ingressroutes.length === 1 ? true : undefined));
    expect(set.state().kinds.ingressroutes).toEqual({ synced: true, served: true });
    await until(() => (api?.watching(ROUTES) ? true : undefined));
    api.send(ROUTES, "ADDED", route("radarr"));
    await until(() => (set?.snapshot().ingressroutes.length === 2 ? true : undefined));

    // The CRD is deleted: the watch ends, the list answers 404, the cache empties and waits again.
    api.discovery.delete("/apis/traefik.io/v1alpha1");
    api.missing.add(ROUTES);
    api.endWatches(ROUTES);
    await until(() => (set?.snapshot().ingressroutes.length === 0 ? true : undefined));
    expect(set.state().kinds.ingressroutes).toEqual({ synced: true, served: false });
    expect(set.state().kinds.ingressroutes?.error).toBeUndefined();
  });

  it("an API server that is not there: disconnected with the reason, and waitForSync does not hang", async () => {
    api = new FakeApi();
    const url = await api.start();
    await api.stop();
    api = undefined;
    set = createInformerSet({ kc: kcFor(url), namespaces: ["media"], kinds }).start();
    const t0 = Date.now();
    expect(await set.waitForSync(5000)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
    const state = set.state();
    expect(state.connected).toBe(false);
    expect(state.message).toMatch(/^Disconnected: cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });

  it("without a cluster configured: empty, not connected, says why", async () => {
    set = createInformerSet({ kc: null, namespaces: ["media"], notConfiguredMessage: "Kubernetes is not configured (kubernetes.mode: none)." }).start();
    expect(await set.waitForSync(1000)).toBe(false);
    expect(set.state()).toMatchObject({ connected: false, message: "Kubernetes is not configured (kubernetes.mode: none).", kinds: { pods: { synced: false } } });
    expect(set.snapshot().pods).toEqual([]);
  });

  it("cluster scope: one watch per kind, objects outside the namespaces left out", async () => {
    api = new FakeApi();
    const all = kindPath(INFORMER_KINDS.find((k) => k.name === "pods")!);
    api.objects.set(all, [pod("a", "1"), { metadata: { uid: "k", name: "coredns", namespace: "kube-system", resourceVersion: "1" } }]);
    set = createInformerSet({ kc: kcFor(await api.start()), namespaces: ["media"], scope: "cluster", kinds }).start();
    await set.waitForSync(3000);
    expect(set.snapshot().pods.map((p) => p.metadata?.name)).toEqual(["a"]);
    expect(api.requests.filter((r) => r.startsWith("LIST"))).toEqual(expect.arrayContaining([`LIST ${all}`, "LIST /api/v1/events"]));
  });

  it("Argo CD's kinds: watched in Argo CD's namespace only; a CRD that is not installed is an empty, synced cache", async () => {
    api = new FakeApi();
    const argoKinds = INFORMER_KINDS.filter((k) => k.scope === "argocd-namespace");
    expect(argoKinds.map((k) => k.name)).toEqual(["applications", "applicationsets"]);
    const apps = kindPath(argoKinds[0]!, "gitops");
    const appsets = kindPath(argoKinds[1]!, "gitops");
    api.objects.set(apps, [{ metadata: { uid: "a1", name: "media", namespace: "gitops", resourceVersion: "5" } }]);
    // The cluster serves Applications but not ApplicationSets (that CRD is not installed).
    api.discovery.set("/apis/argoproj.io/v1alpha1", ["applications"]);
    api.missing.add(appsets);
    set = createInformerSet({ kc: kcFor(await api.start()), namespaces: ["media", "qbittorrent"], kinds: [...kinds, ...argoKinds], argocdNamespace: "gitops" }).start();
    expect(await set.waitForSync(3000)).toBe(true);
    expect((set.snapshot().applications ?? []).map((a) => a.metadata?.name)).toEqual(["media"]);
    expect(set.snapshot().applicationsets ?? []).toEqual([]);
    expect(set.state().kinds.applicationsets).toEqual({ synced: true, served: false });
    const lists = api.requests.filter((r) => r.startsWith("LIST /apis/argoproj.io"));
    expect(new Set(lists)).toEqual(new Set([`LIST ${apps}`]));
  });
});

describe("cluster-scoped kinds", () => {
  let api: FakeApi | undefined;
  let set: InformerSet | undefined;
  afterEach(async () => {
    set?.stop();
    await api?.stop();
  });

  it("are watched once, cluster-wide, and kept although they have no namespace", async () => {
    api = new FakeApi();
    const kind = INFORMER_KINDS.find((k) => k.name === "clusterissuers")!;
    const path = kindPath(kind);
    expect(path).toBe("/apis/cert-manager.io/v1/clusterissuers");
    api.objects.set(path, [{ metadata: { uid: "i", name: "letsencrypt", namespace: undefined as unknown as string, resourceVersion: "1" } }]);
    set = createInformerSet({ kc: kcFor(await api.start()), namespaces: ["media", "argocd"], kinds: [kind] }).start();
    await set.waitForSync(3000);
    expect(set.snapshot().clusterissuers?.map((i) => i.metadata?.name)).toEqual(["letsencrypt"]);
    expect(api.requests.filter((r) => r.startsWith("LIST"))).toEqual([`LIST ${path}`]);
  });
});
