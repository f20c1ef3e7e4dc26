"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import dynamic from "next/dynamic";
import type { ChartSeries, ServiceCharts as ServiceChartsData } from "@/lib/metrics/charts";
import { formatMetric as format } from "@/lib/metrics/format";
import { Alert } from "../ui/alert";
import { Card } from "../ui/card";
import { PlotPlaceholder } from "../ui/plot-placeholder";

// The chart library is loaded only once a chart is on screen: the rest of the page does not wait for it.
const MetricPlot = dynamic(() => import("./metric-plot").then((m) => m.MetricPlot), { ssr: false, loading: PlotPlaceholder });

const HOURS = [1, 6, 24, 168] as const;

async function fetchCharts(namespace: string, name: string, hours: number): Promise<ServiceChartsData> {
  const response = await fetch(`/api/services/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/metrics?hours=${hours}`);
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `The panel answered ${response.status}.`);
  return body as ServiceChartsData;
}

function Chart({ s }: { s: ChartSeries }) {
  const last = s.points.at(-1)?.[1];
  return (
    <figure data-testid={`metric-chart-${s.id}`} data-points={s.points.length}>
      <figcaption className="mb-1 flex justify-between text-sm font-medium">
        <span>{s.title}</span>
        {last !== undefined && (
          <span data-testid={`metric-last-${s.id}`} className="font-mono text-xs">
            {format(s.unit, last)}
            {s.request !== undefined ? ` · request ${format(s.unit, s.request)}` : ""}
            {s.limit !== undefined ? ` · limit ${format(s.unit, s.limit)}` : ""}
          </span>
        )}
      </figcaption>
      <div className="h-40">
        {s.missing ? (
          <p className="text-sm text-slate-500" data-testid={`metric-missing-${s.id}`}>
            {s.missing}
          </p>
        ) : (
          <MetricPlot s={s} />
        )}
      </div>
    </figure>
  );
}

/** The service's charts from Prometheus, or why there are none (the probe history above stays). */
export function ServiceMetricCharts({ namespace, name }: { namespace: string; name: string }) {
  const [hours, setHours] = useState<number>(6);
  const query = useQuery({ queryKey: ["metrics", namespace, name, hours], queryFn: () => fetchCharts(namespace, name, hours), refetchInterval: 60_000, refetchOnWindowFocus: false });
  const data = query.data;
  return (
    <Card
      title="Metrics from Prometheus"
      testId="prometheus-charts"
      actions={
        <label className="text-sm">
          <span className="sr-only">Window</span>
          <select className="rounded border border-slate-300 bg-transparent px-1 py-0.5 dark:border-slate-700" value={hours} onChange={(e) => setHours(Number(e.target.value))} data-testid="metrics-window">
            {HOURS.map((h) => (
              <option key={h} value={h}>
                {h < 24 ? `${h} h` : `${h / 24} d`}
              </option>
            ))}
          </select>
        </label>
      }
    >
      {query.error ? (
        <Alert tone="error">{(query.error as Error).message}</Alert>
      ) : !data ? (
        <p className="text-sm text-slate-500">Reading Prometheus…</p>
      ) : !data.prometheus.available ? (
        <p className="text-sm text-slate-500" data-testid="prometheus-unavailable">
          {data.prometheus.reason} The response-time and availability charts above come from the panel&apos;s own probes.
        </p>
      ) : (
        <>
          <p className="mb-2 text-xs text-slate-500" data-testid="prometheus-source">
            From the Prometheus at <span className="font-mono">{data.prometheus.url}</span> ({data.prometheus.source}).
          </p>
          <div className="grid gap-4 lg:grid-cols-2">
            {data.series.map((s) => (
              <Chart key={s.id} s={s} />
            ))}
          </div>
        </>
      )}
    </Card>
  );
}
