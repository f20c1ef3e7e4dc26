"use client";

import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ServiceHistory } from "@/lib/overview";

function tick(window: ServiceHistory["window"]) {
  return (at: number) => {
    const d = new Date(at);
    return window === "24h" ? d.toISOString().slice(11, 16) : d.toISOString().slice(5, 10);
  };
}

/** Latency (average and worst) and availability over the chosen window. */
export function HistoryCharts({ history, targetPercent }: { history: ServiceHistory; targetPercent: number }) {
  const format = tick(history.window);
  const availability = history.availability.map((b) => ({ at: b.at, pct: b.ratio === null ? null : Math.round(b.ratio * 10000) / 100 }));
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <figure data-testid="latency-chart">
        <figcaption className="mb-1 text-sm font-medium">Response time (ms)</figcaption>
        <div className="h-48">
          {history.latency.length === 0 ? (
            <p className="text-sm text-slate-500">No probes in this window yet.</p>
          ) : (
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={history.latency}>
                <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
                <XAxis dataKey="at" tickFormatter={format} fontSize={11} minTickGap={24} />
                <YAxis fontSize={11} width={44} />
                <Tooltip labelFormatter={(v) => new Date(Number(v)).toISOString().replace("T", " ").slice(0, 16)} />
                <Line type="monotone" dataKey="avgMs" name="average" stroke="#0284c7" dot={false} isAnimationActive={false} />
                <Line type="monotone" dataKey="maxMs" name="worst" stroke="#f59e0b" dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          )}
        </div>
      </figure>
      <figure data-testid="availability-chart">
        <figcaption className="mb-1 text-sm font-medium">Availability (%), target {targetPercent} %</figcaption>
        <div className="h-48">
          {availability.length === 0 ? (
            <p className="text-sm text-slate-500">No probes in this window yet.</p>
          ) : (
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={availability}>
                <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
                <XAxis dataKey="at" tickFormatter={format} fontSize={11} minTickGap={24} />
                <YAxis domain={[0, 100]} fontSize={11} width={36} />
                <Tooltip labelFormatter={(v) => new Date(Number(v)).toISOString().replace("T", " ").slice(0, 16)} />
                <ReferenceLine y={targetPercent} stroke="#dc2626" strokeDasharray="4 4" />
                <Bar dataKey="pct" name="available %" fill="#10b981" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          )}
        </div>
      </figure>
    </div>
  );
}
