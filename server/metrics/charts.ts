import "server-only";
import { z } from "zod";
import { APP_CATALOGUE } from "@/lib/apps/catalogue";
import { AppError } from "@/lib/errors";
import type { Pod } from "@/lib/k8s/types";
import { chartQueries, missingReason, parseQuantity, SERIES_METRIC, type ChartSeries, type ServiceCharts } from "@/lib/metrics/charts";
import { discoveredServiceUrl } from "@/server/apps/endpoints";
import { getConfig } from "@/server/config/load";
import { getInformers, getService } from "@/server/k8s";

/**
 * Charts of a service from Prometheus (`/api/v1/query_range`): CPU and memory of its pods against
 * their requests and limits, restarts, and its exporter (up, and the catalogue's figure of the
 * app). Prometheus is `observability.prometheus.url` or the Prometheus the panel discovers; without
 * one the page keeps the panel's own probe history. A series Prometheus lacks says what provides it.
 */

const rangeAnswer = z.object({
  status: z.literal("success"),
  data: z.object({ resultType: z.literal("matrix"), result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })) }),
});

async function prometheusUrl(): Promise<{ url?: string; source?: string; reason?: string }> {
  const configured = getConfig().observability.prometheus.url;
  if (configured) return { url: configured, source: "observability.prometheus.url" };
  try {
    const found = await discoveredServiceUrl("prometheus");
    if (found) return { url: found.url, source: `discovered: Service ${found.service.id}${found.service.urlBase ? `, URL base ${found.service.urlBase}` : ""}` };
  } catch {
    // Discovery failing leaves Prometheus unknown.
  }
  return { reason: "No Prometheus in the watched namespaces and none configured (observability.prometheus.url)." };
}

async function queryRange(base: string, query: string, start: number, end: number, step: number, timeoutMs: number): Promise<Array<[number, number]>> {
  const url = new URL(`${base.replace(/\/+$/, "")}/api/v1/query_range`);
  url.search = new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) }).toString();
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    throw new AppError(timedOut ? "timeout" : "unreachable", timedOut ? `Prometheus did not answer within ${timeoutMs} ms.` : "Prometheus cannot be reached.", { source: "prometheus", cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new AppError("invalid_response", `Prometheus answered HTTP ${response.status}: ${text.slice(0, 200)}`, { source: "prometheus" });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError("invalid_response", "Prometheus answered something that is not JSON.", { source: "prometheus" });
  }
  const parsed = rangeAnswer.safeParse(json);
  if (!parsed.success) throw new AppError("invalid_response", "Prometheus answered an unexpected shape.", { source: "prometheus" });
  const first = parsed.data.data.result[0];
  return (first?.values ?? []).map(([t, v]) => [t, Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v));
}

const instantAnswer = z.object({ status: z.literal("success"), data: z.object({ resultType: z.literal("vector"), result: z.array(z.object({ value: z.tuple([z.number(), z.string()]) })) }) });

/** Whether Prometheus holds `metric` for any series at all (undefined when it cannot say). */
async function metricExists(base: string, metric: string, timeoutMs: number): Promise<boolean | undefined> {
  const url = new URL(`${base.replace(/\/+$/, "")}/api/v1/query`);
  url.search = new URLSearchParams({ query: `count(${metric})` }).toString();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
    if (!response.ok) return undefined;
    const parsed = instantAnswer.safeParse(await response.json());
    if (!parsed.success) return undefined;
    return parsed.data.data.result.some((r) => Number(r.value[1]) > 0);
  } catch {
    return undefined;
  }
}

/** Sums of the current pods' requests and limits (main containers and sidecars). */
function resourcesOf(pods: Pod[]): { cpu: { request?: number; limit?: number }; memory: { request?: number; limit?: number } } {
  const sum = (kind: "requests" | "limits", res: "cpu" | "memory") => {
    let total = 0;
    let any = false;
    for (const p of pods) {
      for (const c of (p.spec?.containers ?? []) as Array<{ resources?: Partial<Record<"requests" | "limits", Record<string, string | number>>> }>) {
        const v = parseQuantity(c.resources?.[kind]?.[res]);
        if (v !== undefined) {
          total += v;
          any = true;
        }
      }
    }
    return any ? total : undefined;
  };
  return { cpu: { request: sum("requests", "cpu"), limit: sum("limits", "cpu") }, memory: { request: sum("requests", "memory"), limit: sum("limits", "memory") } };
}

/** The charts of `namespace/name` over the last `hours`. Throws AppError `not_found` for an unknown service. */
export async function getServiceCharts(namespace: string, name: string, hours = 6): Promise<ServiceCharts> {
  const service = await getService(`${namespace}/${name}`);
  if (!service) throw new AppError("not_found", `No service ${namespace}/${name} in the watched namespaces.`);
  const prometheus = await prometheusUrl();
  if (!prometheus.url) return { prometheus: { available: false, reason: prometheus.reason ?? "No Prometheus." }, hours, series: [] };
  const podNames = new Set(service.kube.pods.map((p) => p.name));
  const pods = (getInformers().snapshot().pods as Pod[]).filter((p) => p.metadata?.namespace === namespace && podNames.has(p.metadata?.name ?? ""));
  const resources = resourcesOf(pods);
  const facts = service.appKind === "other" ? null : APP_CATALOGUE[service.appKind].metrics;
  const queries = chartQueries(namespace, name, facts?.figure);
  const end = Math.floor(Date.now() / 1000);
  const start = end - hours * 3600;
  const step = Math.max(15, Math.round((hours * 3600) / 240));
  const timeoutMs = getConfig().observability.prometheus.timeoutMs;
  const specs: Array<Omit<ChartSeries, "points" | "query"> & { query?: string }> = [
    { id: "cpu", title: "CPU", unit: "cores", ...resources.cpu, query: queries.cpu },
    { id: "memory", title: "Memory (working set)", unit: "bytes", ...resources.memory, query: queries.memory },
    { id: "restarts", title: "Container restarts", unit: "count", query: queries.restarts },
    { id: "exporter-up", title: "Metrics target up", unit: "count", query: queries["exporter-up"] },
    ...(facts ? [{ id: "figure" as const, title: `${APP_CATALOGUE[service.appKind as keyof typeof APP_CATALOGUE].label}: ${facts.figure.label}`, unit: "count" as const, query: queries.figure }] : []),
  ];
  const series = await Promise.all(
    specs
      .filter((s): s is typeof s & { query: string } => s.query !== undefined)
      .map(async (s): Promise<ChartSeries> => {
        const points = await queryRange(prometheus.url as string, s.query, start, end, step, timeoutMs);
        const clean = Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as typeof s;
        if (points.length > 0) return { ...clean, points };
        const metric = SERIES_METRIC[s.id];
        const exists = metric ? await metricExists(prometheus.url as string, metric, timeoutMs) : undefined;
        return { ...clean, points, missing: missingReason(s.id, exists) };
      }),
  );
  return { prometheus: { available: true, url: prometheus.url, source: prometheus.source ?? "configured" }, hours, series };
}
