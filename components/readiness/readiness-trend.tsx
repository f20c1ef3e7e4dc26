/** One point of a score's history. */
export interface TrendPoint {
  at: number;
  percent: number;
}

const WIDTH = 120;
const HEIGHT = 24;

/**
 * A score's trend as a step line on a fixed 0-100 % scale, from the first recorded point to now
 * (a score holds until the next row says otherwise). Plain SVG, no JavaScript.
 */
export function ReadinessTrend({ points, now, label, testId }: { points: readonly TrendPoint[]; now: number; label: string; testId?: string }) {
  if (points.length === 0) return null;
  const first = points[0]!.at;
  const span = Math.max(1, now - first);
  const x = (at: number) => Math.round(((at - first) / span) * WIDTH * 10) / 10;
  const y = (percent: number) => Math.round((HEIGHT - 2 - (Math.max(0, Math.min(100, percent)) / 100) * (HEIGHT - 4)) * 10) / 10;
  const parts = points.map((p, i) => `${i === 0 ? "M" : `H${x(p.at)} V`}${i === 0 ? `${x(p.at)} ${y(p.percent)}` : y(p.percent)}`);
  const d = `${parts.join(" ")} H${WIDTH}`;
  const lastPoint = points[points.length - 1]!;
  const firstPoint = points[0]!;
  const title = `${label}: ${firstPoint.percent}% on ${new Date(firstPoint.at).toISOString().slice(0, 10)}, ${lastPoint.percent}% now (${points.length} recorded change${points.length === 1 ? "" : "s"})`;
  return (
    <svg className="inline-block h-6 w-28 align-middle" role="img" aria-label={title} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" data-testid={testId} data-points={points.length} data-first={firstPoint.percent} data-last={lastPoint.percent}>
      <title>{title}</title>
      <line x1={0} x2={WIDTH} y1={y(100)} y2={y(100)} stroke="#94a3b8" strokeWidth={0.5} strokeDasharray="2 2" vectorEffect="non-scaling-stroke" />
      <path d={d} fill="none" stroke="#0284c7" strokeWidth={1.5} vectorEffect="non-scaling-stroke" strokeLinejoin="round" />
    </svg>
  );
}
