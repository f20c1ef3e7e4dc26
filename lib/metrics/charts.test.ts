import { describe, expect, it } from "vitest";
import { chartQueries, missingReason, parseQuantity, podMatcher } from "./charts";

describe("chart queries", () => {
  it("reads Kubernetes quantities as cores and bytes", () => {
    expect(parseQuantity("250m")).toBeCloseTo(0.25);
    expect(parseQuantity("2")).toBe(2);
    expect(parseQuantity("256Mi")).toBe(256 * 1024 * 1024);
    expect(parseQuantity("1G")).toBe(1e9);
    expect(parseQuantity(1.5)).toBe(1.5);
    expect(parseQuantity("lots")).toBeUndefined();
    expect(parseQuantity(undefined)).toBeUndefined();
  });

  it("matches the workload's pods, current and replaced, and only them", () => {
    const re = new RegExp(`^${/pod=~"([^"]+)"/.exec(podMatcher("media", "sonarr"))?.[1] ?? ""}$`);
    expect(re.test("sonarr-67d54c58f6-j4d42")).toBe(true);
    expect(re.test("sonarr-0")).toBe(true);
    expect(re.test("sonarr-exporter-b89848897-rwf26")).toBe(false);
  });

  it("asks for the app's figure by the service label the scrape jobs give", () => {
    const q = chartQueries("qbittorrent", "qbittorrent", { metric: "qbittorrent_torrents_count" });
    expect(q.figure).toBe('sum(qbittorrent_torrents_count{service="qbittorrent/qbittorrent"})');
    expect(q["exporter-up"]).toBe('max(up{service="qbittorrent/qbittorrent"})');
    expect(chartQueries("media", "x").figure).toBeUndefined();
  });

  it("says why a chart is empty: no such series in the whole cluster, or only for other pods", () => {
    expect(missingReason("cpu", false)).toBe(
      "No CPU series: Prometheus holds no container_cpu_usage_seconds_total for any pod of the cluster. container_cpu_usage_seconds_total comes from the kubelet's cAdvisor endpoint (the kubernetes-cadvisor scrape job), which nodes without a real kubelet (kwok's emulated nodes, for one) do not serve.",
    );
    expect(missingReason("memory", false)).toMatch(/^No memory series: Prometheus holds no container_memory_working_set_bytes for any pod/);
    expect(missingReason("restarts", false)).toBe("No restart series: Prometheus holds no kube_pod_container_status_restarts_total for any pod of the cluster. kube_pod_container_status_restarts_total comes from kube-state-metrics.");
    expect(missingReason("cpu", true)).toBe("No CPU series for this service's pods: Prometheus holds container_cpu_usage_seconds_total for other pods only.");
    expect(missingReason("cpu")).toMatch(/^Prometheus has no data for this: container_cpu_usage_seconds_total comes from/);
    expect(missingReason("figure", false)).toMatch(/^Prometheus has no data for this: the app's exporter is not scraped yet/);
  });
});
