"use client";

import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ChartSeries } from "@/lib/metrics/charts";
import { formatMetric as format } from "@/lib/metrics/format";

/** One Prometheus series as a line, with its request and limit. Loaded on its own, so the chart library is fetched only where a chart is shown. */
export function MetricPlot({ s }: { s: ChartSeries }) {
  const data = s.points.map(([t, v]) => ({ at: t * 1000, v }));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={data}>
        <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
        <XAxis dataKey="at" tickFormatter={(at: number) => new Date(at).toISOString().slice(11, 16)} fontSize={11} minTickGap={24} />
        <YAxis fontSize={11} width={56} tickFormatter={(v: number) => format(s.unit, v)} />
        <Tooltip labelFormatter={(v) => new Date(Number(v)).toISOString().replace("T", " ").slice(0, 16)} formatter={(v) => format(s.unit, Number(v))} />
        {s.request !== undefined && <ReferenceLine y={s.request} stroke="#f59e0b" strokeDasharray="4 4" label={{ value: "request", fontSize: 10 }} />}
        {s.limit !== undefined && <ReferenceLine y={s.limit} stroke="#dc2626" strokeDasharray="4 4" label={{ value: "limit", fontSize: 10 }} />}
        <Line type="stepAfter" dataKey="v" name={s.title} stroke="#0284c7" dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}
