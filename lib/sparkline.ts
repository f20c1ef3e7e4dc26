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
