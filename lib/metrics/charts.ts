/**
 * The charts of a service's page read from Prometheus: what they show and the PromQL behind each.
 * Framework-free, shared by the server (queries) and the browser (rendering).
 */

/** One chart: its points (unix seconds, value) or why there are none. */
export interface ChartSeries {
  id: "cpu" | "memory" | "restarts" | "exporter-up" | "figure";
  title: string;
  unit: "cores" | "bytes" | "count";
  points: Array<[number, number]>;
  /** Sum of the containers' requests and limits (CPU in cores, memory in bytes), drawn as lines. */
  request?: number;
  limit?: number;
  /** Why there are no points: the series Prometheus lacks and what usually provides it. */
  missing?: string;
  query: string;
}

/** The charts of a service; `prometheus.source` says how the panel found the Prometheus it read ("observability.prometheus.url", "discovered: Service ..."). */
export interface ServiceCharts {
  prometheus: { available: true; url: string; source: string } | { available: false; reason: string };
  hours: number;
  series: ChartSeries[];
}

/** A Kubernetes quantity (`100m`, `1.5`, `256Mi`, `1G`) as a number (cores or bytes); undefined when unreadable. */
export function parseQuantity(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const factor: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5 };
  return m[2] ? n * (factor[m[2]] as number) : n;
}

const quote = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

/** The pods of a workload, current and replaced ones: `<name>-<hash>-<id>` or `<name>-<ordinal>`. */
export function podMatcher(namespace: string, workload: string): string {
  return `namespace="${quote(namespace)}",pod=~"${quote(workload.replace(/[.]/g, "\\\\."))}-[a-z0-9]+(-[a-z0-9]+)?"`;
}

/** The PromQL of each chart for a service. */
export function chartQueries(namespace: string, workload: string, figure?: { metric: string }): Record<ChartSeries["id"], string | undefined> {
  const pods = podMatcher(namespace, workload);
  const service = `service="${quote(`${namespace}/${workload}`)}"`;
  return {
    cpu: `sum(rate(container_cpu_usage_seconds_total{${pods},container!="",container!="POD"}[5m]))`,
    memory: `sum(container_memory_working_set_bytes{${pods},container!="",container!="POD"})`,
    restarts: `sum(kube_pod_container_status_restarts_total{${pods}})`,
    "exporter-up": `max(up{${service}})`,
    figure: figure ? `sum(${figure.metric}{${service}})` : undefined,
  };
}

/** What provides a series, said when Prometheus has none of it. */
export const SERIES_SOURCES: Record<ChartSeries["id"], string> = {
  cpu: "container_cpu_usage_seconds_total comes from the kubelet's cAdvisor endpoint (the kubernetes-cadvisor scrape job)",
  memory: "container_memory_working_set_bytes comes from the kubelet's cAdvisor endpoint (the kubernetes-cadvisor scrape job)",
  restarts: "kube_pod_container_status_restarts_total comes from kube-state-metrics",
  "exporter-up": "no scrape target carries this service's label yet: propose the apps' exporters and their scrape jobs on the Changes page",
  figure: "the app's exporter is not scraped yet: propose the apps' exporters and their scrape jobs on the Changes page",
};

/** The metric a chart reads (the first name in its query), for asking whether Prometheus has it at all. */
export const SERIES_METRIC: Partial<Record<ChartSeries["id"], string>> = {
  cpu: "container_cpu_usage_seconds_total",
  memory: "container_memory_working_set_bytes",
  restarts: "kube_pod_container_status_restarts_total",
};

const SERIES_WORDS: Record<ChartSeries["id"], string> = { cpu: "CPU", memory: "memory", restarts: "restart", "exporter-up": "metrics target", figure: "exporter" };

/**
 * Why a chart has no points. `metricExists` says whether Prometheus holds the chart's metric for any
 * pod at all (undefined when not asked): when it holds none, no pod of the cluster can have the series,
 * which is what a cluster without the series' provider (kwok's emulated nodes have no kubelet cAdvisor)
 * looks like; when it holds some, only this service's pods lack it.
 */
export function missingReason(id: ChartSeries["id"], metricExists?: boolean): string {
  const metric = SERIES_METRIC[id];
  if (metric && metricExists === false) {
    const cadvisor = id === "cpu" || id === "memory";
    return `No ${SERIES_WORDS[id]} series: Prometheus holds no ${metric} for any pod of the cluster. ${SERIES_SOURCES[id]}${
      cadvisor ? ", which nodes without a real kubelet (kwok's emulated nodes, for one) do not serve" : ""
    }.`;
  }
  if (metric && metricExists === true) return `No ${SERIES_WORDS[id]} series for this service's pods: Prometheus holds ${metric} for other pods only.`;
  return `Prometheus has no data for this: ${SERIES_SOURCES[id]}.`;
}
