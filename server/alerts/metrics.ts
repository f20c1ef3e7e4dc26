import "server-only";
import { Gauge } from "prom-client";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { targetFigures } from "@/server/db/alerts";
import { getRegistry } from "@/server/observability/metrics";
import { getDetector, getTargets } from "./parts";
import { resourceFigures } from "./resources";

/**
 * The figures the alert rules read, on the panel's `/api/metrics`, computed at scrape time from
 * what the panel already holds (no scrape starts a check):
 *
 * - `panel_service_app_errors{service,namespace,app}`: checks the app's own health reports as errors;
 * - `panel_service_restarts_last_hour{service,namespace,app}`: container restarts within the hour;
 * - `panel_container_cpu_limit_ratio` / `panel_container_memory_limit_ratio{namespace,service,pod,container}`:
 *   usage over limit from the metrics API; `panel_resource_metrics_available` 1 or 0;
 * - `panel_alerts_firing{severity}`: the panel's own detector's firing alerts;
 * - `panel_notifications_pending{target}` and `panel_notifications_oldest_pending_seconds{target}`.
 */
export function registerAlertMetrics(): void {
  const registry = getRegistry();
  if (registry.getSingleMetric("panel_service_app_errors")) return;
  const kube = getConfig().kubernetes.mode !== "none";
  const serviceLabels = ["service", "namespace", "app"] as const;
  new Gauge({
    name: "panel_service_app_errors",
    help: "Checks the app's own health reports as errors (last probe).",
    labelNames: serviceLabels,
    registers: [registry],
    async collect() {
      this.reset();
      if (!kube) return;
      const { getLatestResults } = await import("@/server/probes/scheduler");
      for (const r of getLatestResults().values()) {
        if (!r.app) continue;
        const errors = r.app.checks.filter((c) => c.status === "down" && (c.origin ?? "app") === "app").length;
        this.set({ service: r.name, namespace: r.namespace, app: r.appKind }, errors);
      }
    },
  });
  new Gauge({
    name: "panel_service_restarts_last_hour",
    help: "Container restarts of the service's pods within the last hour.",
    labelNames: serviceLabels,
    registers: [registry],
    async collect() {
      this.reset();
      if (!kube) return;
      const { listServices } = await import("@/server/k8s");
      for (const s of await listServices().catch(() => [])) {
        this.set({ service: s.name, namespace: s.namespace, app: s.appKind }, s.kube.pods.reduce((n, p) => n + p.restartsLastHour, 0));
      }
    },
  });
  const ratioLabels = ["namespace", "service", "pod", "container"] as const;
  new Gauge({
    name: "panel_container_cpu_limit_ratio",
    help: "CPU used over the container's CPU limit (metrics API); absent without a limit or without the metrics API.",
    labelNames: ratioLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of resourceFigures()?.ratios ?? []) if (r.cpu !== null) this.set({ namespace: r.namespace, service: r.service, pod: r.pod, container: r.container }, r.cpu);
    },
  });
  new Gauge({
    name: "panel_container_memory_limit_ratio",
    help: "Memory (working set) used over the container's memory limit (metrics API); absent without a limit or without the metrics API.",
    labelNames: ratioLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of resourceFigures()?.ratios ?? []) if (r.memory !== null) this.set({ namespace: r.namespace, service: r.service, pod: r.pod, container: r.container }, r.memory);
    },
  });
  new Gauge({
    name: "panel_resource_metrics_available",
    help: "1 when the cluster's metrics API answered the last read, 0 when it is not served or refused.",
    registers: [registry],
    collect() {
      const f = resourceFigures();
      if (f) this.set(f.available ? 1 : 0);
    },
  });
  new Gauge({
    name: "panel_alerts_firing",
    help: "Alerts of the panel's own detector that are firing, by severity.",
    labelNames: ["severity"],
    registers: [registry],
    collect() {
      this.reset();
      if (!kube) return;
      const counts = { critical: 0, warning: 0, info: 0 };
      for (const a of getDetector().current()) if (a.status === "firing") counts[a.severity]++;
      for (const [severity, n] of Object.entries(counts)) this.set({ severity }, n);
    },
  });
  new Gauge({
    name: "panel_notifications_pending",
    help: "Notifications waiting to be delivered, by target.",
    labelNames: ["target"],
    registers: [registry],
    collect() {
      this.reset();
      const figures = targetFigures(getDb());
      for (const t of getTargets()) this.set({ target: t.name }, figures.get(t.name)?.pending ?? 0);
    },
  });
  new Gauge({
    name: "panel_notifications_oldest_pending_seconds",
    help: "Age of the oldest notification waiting for its target (0 when none waits).",
    labelNames: ["target"],
    registers: [registry],
    collect() {
      this.reset();
      const figures = targetFigures(getDb());
      const now = Date.now();
      for (const t of getTargets()) {
        const oldest = figures.get(t.name)?.oldestPendingAt;
        this.set({ target: t.name }, oldest ? Math.round((now - oldest) / 1000) : 0);
      }
    },
  });
}
