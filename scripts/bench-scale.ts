import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, type V1Node } from "@kubernetes/client-node";

/**
 * Scale seeding for benchmarks: many Deployments (with a Service and an Ingress each) in one
 * namespace, their pods scheduled by the real scheduler onto extra kwok Nodes, so discovery and the
 * overview can be measured at home-lab-times-ten size (300 workloads / 3,000 pods). Everything it
 * creates carries `lab.k8s-nas-panel/test=true` (the lab's resetLab removes leftovers) and
 * `lab.k8s-nas-panel/bench=true`.
 *
 * From a shell: `npx tsx scripts/bench-scale.ts seed|remove [workloads] [podsPerWorkload]`
 * (KUBECONFIG names the cluster; the lab's is `.lab/admin.kubeconfig`).
 */

export const BENCH_LABEL = "lab.k8s-nas-panel/bench";
const TEST_LABEL = "lab.k8s-nas-panel/test";

/** Images cycled through the workloads: mostly apps the panel knows, some it does not. */
const IMAGES = [
  "lscr.io/linuxserver/sonarr:latest",
  "lscr.io/linuxserver/radarr:latest",
  "lscr.io/linuxserver/lidarr:latest",
  "lscr.io/linuxserver/prowlarr:latest",
  "lscr.io/linuxserver/bazarr:latest",
  "jellyfin/jellyfin:latest",
  "ghcr.io/flaresolverr/flaresolverr:latest",
  "traefik/whoami:v1.10",
  "nginx:1.27",
  "redis:7",
];

export interface SeedScaleOptions {
  workloads?: number;
  podsPerWorkload?: number;
  namespace?: string;
  /** Pods per extra kwok Node (default 1,000). */
  podsPerNode?: number;
  /** Requests in flight while creating objects. */
  concurrency?: number;
  /** Give up waiting for ready pods after this long (default 20 min). */
  timeoutMs?: number;
  log?: (message: string) => void;
}

/** What seeding did, with its timings. */
export interface SeedScaleResult {
  namespace: string;
  workloads: number;
  pods: number;
  nodes: string[];
  /** Time to create the objects (ms). */
  createMs: number;
  /** Time until every pod was ready, from the start (ms). */
  readyMs: number;
  /** Removes everything seedScale created. */
  remove: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function statusCode(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

function benchNode(name: string, pods: number): V1Node {
  const resources = { cpu: "256", memory: "1Ti", pods: String(pods), "ephemeral-storage": "10Ti" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok", [BENCH_LABEL]: "true", [TEST_LABEL]: "true" },
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: {},
    status: { allocatable: resources, capacity: resources },
  };
}

/**
 * Creates `workloads` Deployments of `podsPerWorkload` replicas in `namespace` (default `bench`) and
 * waits until every pod is ready, printing progress. Resolves with the timings and a `remove()`.
 */
export async function seedScale(kc: KubeConfig, options: SeedScaleOptions = {}): Promise<SeedScaleResult> {
  const workloads = options.workloads ?? 300;
  const perWorkload = options.podsPerWorkload ?? 10;
  const namespace = options.namespace ?? "bench";
  const podsPerNode = options.podsPerNode ?? 1000;
  const concurrency = options.concurrency ?? 16;
  const log = options.log ?? ((m: string) => console.log(`[bench-scale] ${m}`));
  const total = workloads * perWorkload;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const t0 = Date.now();
  const labels = { [BENCH_LABEL]: "true", [TEST_LABEL]: "true" };

  const nodeCount = Math.max(1, Math.ceil(total / podsPerNode));
  const nodes = Array.from({ length: nodeCount }, (_, i) => `bench-node-${i + 1}`);
  log(`creating ${nodes.length} kwok node(s) of ${podsPerNode} pods each`);
  for (const name of nodes) {
    await core.createNode({ body: benchNode(name, podsPerNode + 50) }).catch((e: unknown) => {
      if (statusCode(e) !== 409) throw e;
    });
  }
  for (;;) {
    const list = await core.listNode({ labelSelector: `${BENCH_LABEL}=true` });
    const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") && !(n.spec?.taints ?? []).some((t) => t.effect === "NoSchedule"));
    if (ready.length >= nodes.length) break;
    if (Date.now() - t0 > 120_000) throw new Error(`bench nodes not ready after 120 s (${ready.length}/${nodes.length}); is kwok running with --manage-all-nodes?`);
    await sleep(500);
  }
  log(`nodes ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  await core.createNamespace({ body: { metadata: { name: namespace, labels } } }).catch((e: unknown) => {
    if (statusCode(e) !== 409) throw e;
  });
  const names = Array.from({ length: workloads }, (_, i) => `w-${String(i + 1).padStart(4, "0")}`);
  let created = 0;
  await pool(names, concurrency, async (name) => {
    const i = Number(name.slice(2));
    const podLabels = { app: name, ...labels };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name, labels: podLabels },
        spec: {
          replicas: perWorkload,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: podLabels },
            spec: {
              nodeSelector: { [BENCH_LABEL]: "true" },
              tolerations: [{ key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }],
              containers: [{ name: "app", image: IMAGES[i % IMAGES.length], ports: [{ name: "http", containerPort: 8080 }] }],
            },
          },
        },
      },
    });
    await core.createNamespacedService({ namespace, body: { metadata: { name, labels }, spec: { selector: { app: name }, ports: [{ name: "http", port: 8080, targetPort: "http" }] } } });
    await net.createNamespacedIngress({
      namespace,
      body: {
        metadata: { name, labels },
        spec: { rules: [{ host: "bench.lab.test", http: { paths: [{ path: `/${name}`, pathType: "Prefix", backend: { service: { name, port: { number: 8080 } } } }] } }] },
      },
    });
    created++;
    if (created % 50 === 0 || created === workloads) log(`created ${created}/${workloads} workloads (with Service and Ingress) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  const createMs = Date.now() - t0;

  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  let lastLog = 0;
  for (;;) {
    const list = await apps.listNamespacedDeployment({ namespace });
    const ready = list.items.reduce((n, d) => n + (d.status?.readyReplicas ?? 0), 0);
    if (ready >= total) break;
    if (Date.now() - t0 > timeoutMs) throw new Error(`only ${ready}/${total} pods ready after ${Math.round(timeoutMs / 1000)} s`);
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      log(`${ready}/${total} pods ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    await sleep(1000);
  }
  const readyMs = Date.now() - t0;
  log(`${total} pods in ${workloads} workloads ready after ${(readyMs / 1000).toFixed(1)} s (objects created in ${(createMs / 1000).toFixed(1)} s)`);
  return { namespace, workloads, pods: total, nodes, createMs, readyMs, remove: () => removeScale(kc, { namespace, log }) };
}

/** Deletes the bench namespace (waiting until it is gone) and the bench nodes. */
export async function removeScale(kc: KubeConfig, options: { namespace?: string; log?: (m: string) => void; timeoutMs?: number } = {}): Promise<void> {
  const namespace = options.namespace ?? "bench";
  const log = options.log ?? ((m: string) => console.log(`[bench-scale] ${m}`));
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const t0 = Date.now();
  // Left to the namespace controller, 3,000 pods go at the controller manager's request rate (minutes).
  // Orphan them from their Deployments and ReplicaSets, then delete them in one request each kind.
  const gone = (e: unknown) => {
    if (statusCode(e) !== 404) throw e;
  };
  await apps.deleteCollectionNamespacedDeployment({ namespace, propagationPolicy: "Orphan" }).catch(gone);
  await apps.deleteCollectionNamespacedReplicaSet({ namespace, propagationPolicy: "Orphan" }).catch(gone);
  // One request per workload: a single collection delete of 3,000 pods outlasts the API server's 60 s request timeout.
  const pods = await core.listNamespacedPod({ namespace }).catch(() => undefined);
  const apps_ = [...new Set((pods?.items ?? []).map((p) => p.metadata?.labels?.app).filter((a): a is string => !!a))];
  await pool(apps_, 16, (app) =>
    core.deleteCollectionNamespacedPod({ namespace, labelSelector: `app=${app}`, gracePeriodSeconds: 0 }).catch((e: unknown) => {
      log(`deleting the pods of ${app}: ${(e as Error).message} (the namespace controller finishes them)`);
    }),
  );
  await kc.makeApiClient(NetworkingV1Api).deleteCollectionNamespacedIngress({ namespace }).catch(gone);
  await core.deleteCollectionNamespacedEvent({ namespace }).catch(gone);
  log(`pods, ingresses and events deleted after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await core.deleteNamespace({ name: namespace }).catch(gone);
  let lastLog = 0;
  for (;;) {
    const ns = await core.readNamespace({ name: namespace }).catch((e: unknown) => {
      if (statusCode(e) === 404) return undefined;
      throw e;
    });
    if (!ns) break;
    if (Date.now() - t0 > (options.timeoutMs ?? 10 * 60_000)) throw new Error(`namespace ${namespace} still terminating after ${Math.round((Date.now() - t0) / 1000)} s`);
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      const left = await core.listNamespacedPod({ namespace, limit: 1 }).then((l) => (l.metadata?.remainingItemCount ?? 0) + l.items.length);
      log(`namespace ${namespace} terminating: ${left} pods left after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    await sleep(1000);
  }
  const nodes = await core.listNode({ labelSelector: `${BENCH_LABEL}=true` });
  for (const n of nodes.items) await core.deleteNode({ name: n.metadata?.name ?? "" }).catch(() => undefined);
  log(`removed namespace ${namespace} and ${nodes.items.length} bench node(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function main(argv: string[]): Promise<void> {
  const [command, workloads, perWorkload] = argv;
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (command === "seed") {
    await seedScale(kc, { workloads: workloads ? Number(workloads) : undefined, podsPerWorkload: perWorkload ? Number(perWorkload) : undefined });
  } else if (command === "remove") {
    await removeScale(kc);
  } else {
    console.error("usage: tsx --conditions=react-server server/k8s/bench-scale.ts seed [workloads] [podsPerWorkload] | remove");
    process.exitCode = 2;
  }
}

if (process.argv[1] && /bench-scale\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`[bench-scale] ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
