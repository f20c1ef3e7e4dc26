import type { ChartSeries } from "./charts";

/** A metric value in its unit: bytes in binary units, cores in millicores below one. */
export function formatMetric(unit: ChartSeries["unit"], v: number): string {
  if (unit === "bytes") {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    let x = v;
    while (Math.abs(x) >= 1024 && i < units.length - 1) {
      x /= 1024;
      i++;
    }
    return `${x.toFixed(x >= 10 || i === 0 ? 0 : 1)} ${units[i]}`;
  }
  if (unit === "cores") return v < 1 ? `${Math.round(v * 1000)}m` : v.toFixed(2);
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
