/**
 * The kubelet's resource metrics in the lab: kwok plays `/metrics/resource` for the lab's nodes
 * (lab/cluster/kwok-metrics/), lists it at `/discovery/prometheus`, and the lab's real Prometheus
 * scrapes it as its `kubelet` job, so the panel's CPU and memory charts have series to read.
 */
import { readFileSync } from "node:fs";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, describe, expect, it, vi } from "vitest";
import { labFiles } from "../paths";
import { useLabCluster } from "./test-cluster";

const getLab = useLabCluster({ reset: false });
const NS = "lab-kubelet-metrics";

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

function prometheusUrl(): string {
  const url = (JSON.parse(readFileSync(labFiles().labJson, "utf8")) as { apps: { prometheus?: { url?: string } } }).apps.prometheus?.url;
  if (!url) throw new Error("the lab runs no Prometheus (apps.prometheus in lab.json)");
  return url;
}

async function promQuery(query: string): Promise<Sample[]> {
  const res = await fetch(`${prometheusUrl()}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
  if (body.status !== "success") throw new Error(`Prometheus refused ${query}: ${body.error ?? res.status}`);
  return body.data?.result ?? [];
}

afterAll(async () => {
  await getLab()
    .kc.makeApiClient(CoreV1Api)
    .deleteNamespace({ name: NS })
    .catch(() => undefined);
}, 60_000);

describe("the kubelet's resource metrics", () => {
  it("kwok serves /metrics/resource of every node and Prometheus' kubelet job scrapes it", async () => {
    const kwok = (JSON.parse(readFileSync(labFiles().ports, "utf8")) as { kwok: number }).kwok;
    const sd = (await (await fetch(`http://127.0.0.1:${kwok}/discovery/prometheus`)).json()) as Array<{ labels: Record<string, string> }>;
    const nodes = (await getLab().kc.makeApiClient(CoreV1Api).listNode()).items.map((n) => n.metadata?.name ?? "");
    expect(sd.map((t) => t.labels.__metrics_path__).sort()).toEqual(nodes.map((n) => `/metrics/nodes/${n}/metrics/resource`).sort());
    let last: Sample[] = [];
    await vi.waitFor(
      async () => {
        last = await promQuery('up{job="kubelet"}');
        expect(last.map((s) => [s.metric.node, s.value[1]]).sort()).toEqual(nodes.map((n) => [n, "1"]).sort());
      },
      { timeout: 60_000, interval: 2_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlast up{job="kubelet"}: ${JSON.stringify(last.map((s) => s.metric))}`);
    });
  });

  it("every container of a running app has CPU and memory series, by namespace, pod and container", async () => {
    const pods = (await getLab().kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "media", labelSelector: "app=sonarr" })).items.filter((p) => p.status?.phase === "Running");
    const pod = pods[0]?.metadata?.name;
    expect(pod, "a running Sonarr pod").toBeDefined();
    let last: Sample[] = [];
    await vi.waitFor(
      async () => {
        last = await promQuery(`rate(container_cpu_usage_seconds_total{job="kubelet",namespace="media",pod="${pod}"}[1m])`);
        expect(last.map((s) => s.metric.container)).toContain("sonarr");
        expect(Number(last[0]?.value[1])).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 2_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlast CPU series of ${pod}: ${JSON.stringify(last)}`);
    });
    const memory = await promQuery(`container_memory_working_set_bytes{job="kubelet",namespace="media",pod="${pod}",container="sonarr"}`);
    expect(Number(memory[0]?.value[1])).toBeGreaterThan(0);
  });

  it("a pod's kwok.x-k8s.io/usage-* annotations set what its containers use", async () => {
    const core = getLab().kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: "busy", annotations: { "kwok.x-k8s.io/usage-cpu": "250m", "kwok.x-k8s.io/usage-memory": "300Mi" } },
        spec: { containers: [{ name: "app", image: "ghcr.io/example/busy-app:1.0" }] },
      },
    });
    let last: { cpu: Sample[]; memory: Sample[] } = { cpu: [], memory: [] };
    await vi.waitFor(
      async () => {
        last = {
          cpu: await promQuery(`rate(container_cpu_usage_seconds_total{namespace="${NS}",pod="busy",container="app"}[30s])`),
          memory: await promQuery(`container_memory_working_set_bytes{namespace="${NS}",pod="busy",container="app"}`),
        };
        expect(Number(last.memory[0]?.value[1])).toBe(300 * 1024 * 1024);
        expect(Number(last.cpu[0]?.value[1])).toBeCloseTo(0.25, 2);
      },
      { timeout: 90_000, interval: 3_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlast series of ${NS}/busy: ${JSON.stringify(last)}`);
    });
  });
});
