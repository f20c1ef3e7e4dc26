"use client";

import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ServiceHistory } from "@/lib/overview";

function tick(window: ServiceHistory["window"]) {
  return (at: number) => {
    const d = new Date(at);
    return window === "24h" ? d.toISOString().slice(11, 16) : d.toISOString().slice(5, 10);
  };
}

const tooltipTime = (v: unknown) => new Date(Number(v)).toISOString().replace("T", " ").slice(0, 16);

/** The response-time plot (average and worst). Loaded on its own, so the chart library is fetched only where a chart is shown. */
export function LatencyPlot({ history }: { history: ServiceHistory }) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={history.latency}>
        <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
        <XAxis dataKey="at" tickFormatter={tick(history.window)} fontSize={11} minTickGap={24} />
        <YAxis fontSize={11} width={44} />
        <Tooltip labelFormatter={tooltipTime} />
        <Line type="monotone" dataKey="avgMs" name="average" stroke="#0284c7" dot={false} isAnimationActive={false} />
        <Line type="monotone" dataKey="maxMs" name="worst" stroke="#f59e0b" dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}

/** The availability plot (percent per bucket) with the target line. */
export function AvailabilityPlot({ window, data, targetPercent }: { window: ServiceHistory["window"]; data: Array<{ at: number; pct: number | null }>; targetPercent: number }) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={data}>
        <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
        <XAxis dataKey="at" tickFormatter={tick(window)} fontSize={11} minTickGap={24} />
        <YAxis domain={[0, 100]} fontSize={11} width={36} />
        <Tooltip labelFormatter={tooltipTime} />
        <ReferenceLine y={targetPercent} stroke="#dc2626" strokeDasharray="4 4" />
        <Bar dataKey="pct" name="available %" fill="#10b981" isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}
