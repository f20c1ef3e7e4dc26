import "server-only";
import { Gauge, type Registry } from "prom-client";
import type { HealthStatus } from "@/lib/services";
import { UPTIME_WINDOWS, type UptimeWindow } from "@/lib/uptime";

/**
 * The prober's series on the panel's registry, updated after each sweep:
 *
 * - `panel_service_up{service,namespace,app}`: 1 when the verdict is up or degraded, 0 when down,
 *   NaN when unknown (so `== 0` alerts only on a known outage);
 * - `panel_service_latency_seconds{...}`: the app's response time in the last probe (absent when it
 *   got no answer or the service has no app module);
 * - `panel_service_last_probe_timestamp_seconds{...}`;
 * - `panel_service_uptime_ratio{...,window="24h|7d|30d"}` (absent while there is no data);
 * - `panel_probe_sweep_duration_seconds`, `panel_probe_sweep_services`.
 */

const LABELS = ["service", "namespace", "app"] as const;

/** Labels of one service. */
export interface ServiceLabels {
  service: string;
  namespace: string;
  app: string;
}

/** One service's values after a sweep. */
export interface ServiceMetricValues {
  labels: ServiceLabels;
  status: HealthStatus;
  latencyMs: number | undefined;
  probedAt: number;
  uptime: Partial<Record<UptimeWindow, number | null>>;
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge<L>({ name, help, labelNames: [...labelNames], registers: [registry] });
}

/** The prober's gauges on one registry. */
export class ProbeMetrics {
  private readonly up: Gauge<(typeof LABELS)[number]>;
  private readonly latency: Gauge<(typeof LABELS)[number]>;
  private readonly lastProbe: Gauge<(typeof LABELS)[number]>;
  private readonly uptime: Gauge<(typeof LABELS)[number] | "window">;
  private readonly sweepDuration: Gauge;
  private readonly sweepServices: Gauge;

  constructor(registry: Registry) {
    this.up = gauge(registry, "panel_service_up", "1 when the service is up or degraded, 0 when down, NaN when unknown (last probe).", LABELS);
    this.latency = gauge(registry, "panel_service_latency_seconds", "Response time of the app's own health endpoint in the last probe.", LABELS);
    this.lastProbe = gauge(registry, "panel_service_last_probe_timestamp_seconds", "Time of the last probe of the service.", LABELS);
    this.uptime = gauge(registry, "panel_service_uptime_ratio", "Share of probes that found the service available (up or degraded) over the window.", [
      ...LABELS,
      "window",
    ]);
    this.sweepDuration = gauge(registry, "panel_probe_sweep_duration_seconds", "Duration of the last probe sweep.", []);
    this.sweepServices = gauge(registry, "panel_probe_sweep_services", "Services probed in the last sweep.", []);
  }

  /** Sets every series of the probed services; services not in `values` keep their series unless `complete`. */
  update(values: readonly ServiceMetricValues[], sweep: { durationMs: number; complete: boolean }): void {
    if (sweep.complete) {
      for (const g of [this.up, this.latency, this.lastProbe, this.uptime]) g.reset();
      this.sweepDuration.set(sweep.durationMs / 1000);
      this.sweepServices.set(values.length);
    }
    for (const v of values) {
      const l = v.labels;
      this.up.set(l, v.status === "down" ? 0 : v.status === "unknown" ? Number.NaN : 1);
      if (v.latencyMs !== undefined) this.latency.set(l, v.latencyMs / 1000);
      else this.latency.remove(l);
      this.lastProbe.set(l, Math.floor(v.probedAt / 1000));
      for (const window of Object.keys(UPTIME_WINDOWS) as UptimeWindow[]) {
        const ratio = v.uptime[window];
        if (ratio === undefined) continue;
        if (ratio === null) this.uptime.remove({ ...l, window });
        else this.uptime.set({ ...l, window }, ratio);
      }
    }
  }
}
