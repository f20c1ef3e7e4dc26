/**
 * The path of a latency sparkline: points spread evenly over `width`, the y axis from 0 (bottom) to the
 * largest value (top, with a little headroom), and a gap wherever a probe failed (`null`). Pure, so the
 * card renders an SVG on the server and ships no chart library.
 */
export function sparklinePath(values: Array<number | null>, width: number, height: number, pad = 2): string {
  if (values.length < 2) return "";
  const max = Math.max(1, ...values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const step = width / (values.length - 1);
  const y = (v: number) => height - pad - (Math.max(0, v) / max) * (height - 2 * pad);
  const parts: string[] = [];
  let drawing = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      drawing = false;
      return;
    }
    parts.push(`${drawing ? "L" : "M"}${round(i * step)} ${round(y(v))}`);
    drawing = true;
  });
  return parts.join(" ");
}

const round = (n: number) => Math.round(n * 10) / 10;

/** At most this many points per sparkline: a 200-unit-wide line shows no more, and every view carries them. */
export const SPARKLINE_MAX_POINTS = 60;

/**
 * Thins a latency series to at most `max` points by merging neighbours: each merged point starts
 * where its first probe was, keeps the worst latency (a spike stays visible) and is a gap (null) when
 * any of its probes failed (an outage stays visible).
 */
export function thinLatency(points: ReadonlyArray<{ at: number; ms: number | null }>, max = SPARKLINE_MAX_POINTS): Array<{ at: number; ms: number | null }> {
  if (points.length <= max) return [...points];
  const size = Math.ceil(points.length / max);
  const out: Array<{ at: number; ms: number | null }> = [];
  for (let i = 0; i < points.length; i += size) {
    const group = points.slice(i, i + size);
    const failed = group.some((p) => p.ms === null);
    out.push({ at: group[0]!.at, ms: failed ? null : Math.max(...group.map((p) => p.ms as number)) });
  }
  return out;
}
