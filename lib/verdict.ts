/**
 * The verdict on a service: Kubernetes health and the app's own health folded into one status with
 * its reasons as data. Pure; the thresholds come from the configuration (`health.*`).
 *
 * Rules, worst wins:
 * - Kubernetes: readiness, not phase. Nothing desired (scaled to 0) or nothing ready is `down`
 *   ("ready 0/1: CrashLoopBackOff"); fewer ready than desired is `degraded`. A pod whose app
 *   containers are ready but whose sidecar (the VPN next to qBittorrent) is not counts as ready and
 *   makes the service `degraded`. Restarts within the last hour at or above the threshold: `degraded`.
 * - App: its status as the module reported it (`down` when unreachable, timed out, broken; `degraded`
 *   for the app's own warnings and errors; `unknown` when its health cannot be read, e.g. a refused or
 *   missing key). Answering slower than `slowMs` is `degraded` ("slow: 2.4 s").
 * - No app health (a kind without module): Kubernetes alone decides.
 */
import { STATUS_SEVERITY, type AppHealth, type HealthReason, type HealthStatus, type KubeHealth, type PodState, type ServiceVerdict } from "./services";

/** Configurable limits of the verdict. */
export interface VerdictThresholds {
  /** Response time from which an app is slow (degraded), in ms. */
  slowMs: number;
  /** Restarts within the last hour from which a service is degraded. */
  restartsPerHourDegraded: number;
}

export const DEFAULT_THRESHOLDS: VerdictThresholds = { slowMs: 2000, restartsPerHourDegraded: 3 };

/** Extra facts for the wording of reasons. */
export interface VerdictOptions {
  /** The app's name in "Sonarr reports: ..." (default "The app"). */
  appName?: string;
}

const SEVERITY_ORDER: Record<HealthReason["severity"], number> = { error: 0, warning: 1, info: 2 };

function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  return STATUS_SEVERITY[b] > STATUS_SEVERITY[a] ? b : a;
}

/** "2.4 s" for 2400 ms; "850 ms" under a second. */
export function formatLatency(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function mainContainersReady(pod: PodState): boolean {
  const main = pod.containers.filter((c) => !c.sidecar);
  return main.length > 0 && main.every((c) => c.ready);
}

/** The most telling reason why pods are not ready: app containers first, then sidecars, then the pod, then the workload. */
function notReadyReason(kube: KubeHealth): string | undefined {
  const pods = kube.pods.filter((p) => !p.ready);
  for (const sidecar of [false, true]) {
    for (const pod of pods) {
      const c = pod.containers.find((x) => x.sidecar === sidecar && !x.ready && x.reason);
      if (c?.reason) return c.reason;
    }
  }
  const pending = pods.find((p) => p.phase !== "Running");
  if (pending) return pending.phase;
  const condition = kube.conditions.find((c) => c.reason);
  if (condition?.reason) return condition.reason;
  if (kube.pods.length === 0 && kube.desired > 0) return kube.warnings[0]?.reason ?? "no pods";
  return undefined;
}

function kubeVerdict(kube: KubeHealth, thresholds: VerdictThresholds): { status: HealthStatus; reasons: HealthReason[] } {
  const reasons: HealthReason[] = [];
  const k = (severity: HealthReason["severity"], message: string): void => {
    reasons.push({ source: "kubernetes", severity, message });
  };
  if (kube.desired === 0) {
    k("error", "scaled to 0: no replicas desired");
    return { status: "down", reasons };
  }
  const sidecarOnly = kube.pods.filter((p) => !p.ready && mainContainersReady(p));
  const ready = Math.min(kube.desired, kube.ready + sidecarOnly.length);
  let status: HealthStatus = "up";
  if (ready === 0) {
    const why = notReadyReason(kube);
    k("error", `ready 0/${kube.desired}${why ? `: ${why}` : ""}`);
    status = "down";
  } else if (ready < kube.desired) {
    const why = notReadyReason(kube);
    k("warning", `ready ${ready}/${kube.desired}${why ? `: ${why}` : ""}`);
    status = "degraded";
  }
  for (const pod of kube.pods) {
    for (const c of pod.containers) {
      if (!c.sidecar || c.ready) continue;
      if (!mainContainersReady(pod)) continue;
      k("warning", `sidecar ${c.name} not ready${c.reason ? `: ${c.reason}` : ""} (pod ${pod.name})`);
      status = worse(status, "degraded");
    }
  }
  const restarts = kube.pods.reduce((n, p) => n + p.restartsLastHour, 0);
  if (restarts >= thresholds.restartsPerHourDegraded) {
    k("warning", `restarted ${restarts} time${restarts === 1 ? "" : "s"} in the last hour`);
    status = worse(status, "degraded");
  }
  if (status !== "up" && kube.warnings[0]) {
    const w = kube.warnings[0];
    k("info", `${w.reason}: ${w.message}`);
  }
  return { status, reasons };
}

function appVerdict(app: AppHealth, thresholds: VerdictThresholds, appName: string): { status: HealthStatus; reasons: HealthReason[] } {
  const reasons: HealthReason[] = [];
  let status: HealthStatus = app.status;
  const problems = app.checks.filter((c) => c.status === "down" || c.status === "degraded");
  for (const c of problems) {
    reasons.push({
      source: c.origin === "probe" ? "probe" : "app",
      severity: c.status === "down" ? "error" : "warning",
      message: c.origin === "probe" ? c.message : `${appName} reports: ${c.message}`,
      ...(c.url ? { url: c.url } : {}),
    });
  }
  if (problems.length === 0 && app.status !== "up") {
    reasons.push({
      source: "probe",
      severity: app.status === "down" ? "error" : "warning",
      message: app.detail ?? (app.status === "unknown" ? `${appName}'s health is unknown` : `${appName} is ${app.status}`),
    });
  }
  if (app.status !== "down" && app.latencyMs !== undefined && app.latencyMs >= thresholds.slowMs) {
    reasons.push({ source: "probe", severity: "warning", message: `slow: ${formatLatency(app.latencyMs)}` });
    status = worse(status, "degraded");
  }
  return { status, reasons };
}

/** Folds Kubernetes and app health into one verdict; reasons worst first, Kubernetes before the app. */
export function verdictOf(
  kube: KubeHealth,
  app: AppHealth | undefined,
  thresholds: VerdictThresholds = DEFAULT_THRESHOLDS,
  options: VerdictOptions = {},
): ServiceVerdict {
  const k = kubeVerdict(kube, thresholds);
  const a = app ? appVerdict(app, thresholds, options.appName ?? "The app") : { status: "up" as HealthStatus, reasons: [] };
  const reasons = [...k.reasons, ...a.reasons]
    .map((r, i) => ({ r, i }))
    .sort((x, y) => SEVERITY_ORDER[x.r.severity] - SEVERITY_ORDER[y.r.severity] || x.i - y.i)
    .map((x) => x.r);
  return { status: worse(k.status, a.status), reasons };
}

/** One service in the stack-wide summary. */
export interface VerdictEntry {
  id: string;
  name: string;
  verdict: ServiceVerdict;
}

/** The stack-wide banner: the worst status, counts, and the services that are not up, worst first. */
export interface StackSummary {
  status: HealthStatus;
  total: number;
  counts: Record<HealthStatus, number>;
  /** Services not up, worst first (then by name), each with its first reason. */
  problems: Array<{ id: string; name: string; status: HealthStatus; reason?: HealthReason }>;
  /** "All 14 services up", "1 down, 2 degraded of 14 services", "No services found". */
  headline: string;
}

/** Summarises verdicts for the overview's banner. */
export function summarize(entries: readonly VerdictEntry[]): StackSummary {
  const counts: Record<HealthStatus, number> = { up: 0, degraded: 0, down: 0, unknown: 0 };
  let status: HealthStatus = entries.length === 0 ? "unknown" : "up";
  for (const e of entries) {
    counts[e.verdict.status] += 1;
    status = worse(status, e.verdict.status);
  }
  const problems = entries
    .filter((e) => e.verdict.status !== "up")
    .sort((a, b) => STATUS_SEVERITY[b.verdict.status] - STATUS_SEVERITY[a.verdict.status] || a.name.localeCompare(b.name))
    .map((e) => ({ id: e.id, name: e.name, status: e.verdict.status, ...(e.verdict.reasons[0] ? { reason: e.verdict.reasons[0] } : {}) }));
  const n = entries.length;
  const plural = `${n} service${n === 1 ? "" : "s"}`;
  let headline: string;
  if (n === 0) headline = "No services found";
  else if (problems.length === 0) headline = n === 1 ? "The service is up" : `All ${plural} up`;
  else {
    const parts = (["down", "degraded", "unknown"] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
    headline = `${parts.join(", ")} of ${plural}`;
  }
  return { status, total: n, counts, problems, headline };
}
