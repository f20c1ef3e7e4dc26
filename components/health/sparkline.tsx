import { sparklinePath } from "@/lib/sparkline";

const WIDTH = 200;
const HEIGHT = 32;

/** A tiny latency line for a service card (null points are failed probes: gaps); plain SVG, no JavaScript. */
export function Sparkline({ points, label }: { points: Array<{ at: number; ms: number | null }>; label: string }) {
  if (points.length < 2) return <div className="h-8 text-xs text-slate-500">no history yet</div>;
  return (
    <svg className="h-8 w-full" role="img" aria-label={label} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none">
      <path d={sparklinePath(points.map((p) => p.ms), WIDTH, HEIGHT)} fill="none" stroke="#0284c7" strokeWidth={1.5} vectorEffect="non-scaling-stroke" strokeLinejoin="round" />
    </svg>
  );
}
