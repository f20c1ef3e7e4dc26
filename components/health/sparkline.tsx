"use client";

import { Line, LineChart, ResponsiveContainer, YAxis } from "recharts";

/** A tiny latency line for a service card (null points are failed probes: gaps). */
export function Sparkline({ points, label }: { points: Array<{ at: number; ms: number | null }>; label: string }) {
  if (points.length < 2) return <div className="h-8 text-xs text-slate-500">no history yet</div>;
  return (
    <div className="h-8 w-full" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 2, right: 0, bottom: 2, left: 0 }}>
          <YAxis hide domain={[0, "auto"]} />
          <Line type="monotone" dataKey="ms" stroke="#0284c7" strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
