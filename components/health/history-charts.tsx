"use client";

import dynamic from "next/dynamic";
import type { ServiceHistory } from "@/lib/overview";
import { PlotPlaceholder } from "../ui/plot-placeholder";

// The chart library is loaded only once a chart is on screen: the rest of the page does not wait for it.
const LatencyPlot = dynamic(() => import("./history-plots").then((m) => m.LatencyPlot), { ssr: false, loading: PlotPlaceholder });
const AvailabilityPlot = dynamic(() => import("./history-plots").then((m) => m.AvailabilityPlot), { ssr: false, loading: PlotPlaceholder });

/** Latency (average and worst) and availability over the chosen window. */
export function HistoryCharts({ history, targetPercent }: { history: ServiceHistory; targetPercent: number }) {
  const availability = history.availability.map((b) => ({ at: b.at, pct: b.ratio === null ? null : Math.round(b.ratio * 10000) / 100 }));
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <figure data-testid="latency-chart">
        <figcaption className="mb-1 text-sm font-medium">Response time (ms)</figcaption>
        <div className="h-48">
          {history.latency.length === 0 ? <p className="text-sm text-slate-500">No probes in this window yet.</p> : <LatencyPlot history={history} />}
        </div>
      </figure>
      <figure data-testid="availability-chart">
        <figcaption className="mb-1 text-sm font-medium">Availability (%), target {targetPercent} %</figcaption>
        <div className="h-48">
          {availability.length === 0 ? (
            <p className="text-sm text-slate-500">No probes in this window yet.</p>
          ) : (
            <AvailabilityPlot window={history.window} data={availability} targetPercent={targetPercent} />
          )}
        </div>
      </figure>
    </div>
  );
}
