/**
 * The alerts the panel knows: what its own detector raises (`ServiceDown`, `ServiceDegraded`) and
 * the rules it proposes for Prometheus (`ServiceDown` again, from the probes' series, and the rest). One entry per alert name; its runbook is `docs/runbooks/alerts/<runbook>.md` (a test
 * holds every entry to its file). Rules, the detector, messages and the Alerts page read this list.
 */

export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Order for "worst first" and for a target's `minSeverity`. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };

/** True when `severity` is at least `min`. */
export function atLeast(severity: Severity, min: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[min];
}

/** One alert the panel knows. */
export interface AlertDefinition {
  /** The alert name (Prometheus' `alertname`). */
  name: string;
  severity: Severity;
  /** One line for a person: what it means. */
  title: string;
  /** Runbook id under `alerts/` (kebab-case file name without `.md`). */
  runbook: string;
}

export const ALERT_CATALOGUE = {
  ServiceDown: { severity: "critical", title: "A service is down: nothing answers where it should.", runbook: "service-down" },
  ServiceDegraded: { severity: "warning", title: "A service runs but is not well: app warnings, slow answers or restarts.", runbook: "service-degraded" },
  AppHealthErrors: { severity: "warning", title: "An app reports errors in its own health checks.", runbook: "app-health-errors" },
  PodCrashLooping: { severity: "warning", title: "A pod keeps restarting.", runbook: "pod-crash-looping" },
  CertificateExpiresSoon: { severity: "warning", title: "A certificate expires within the warning window.", runbook: "certificate-expiring" },
  CertificateExpiresVerySoon: { severity: "critical", title: "A certificate expires within days.", runbook: "certificate-expiring" },
  CertificateRenewalFailing: { severity: "critical", title: "cert-manager cannot renew a certificate.", runbook: "certificate-renewal-failing" },
  BackupStale: { severity: "warning", title: "No successful backup for too long.", runbook: "backup-stale" },
  BackupFailed: { severity: "critical", title: "The last backup failed.", runbook: "backup-failed" },
  VpnLeak: { severity: "critical", title: "Download traffic leaves outside the VPN.", runbook: "vpn-leak" },
  PvcAlmostFull: { severity: "warning", title: "A volume is almost full.", runbook: "pvc-almost-full" },
  ContainerCpuHigh: { severity: "warning", title: "A container uses most of its CPU limit.", runbook: "container-cpu-high" },
  ContainerMemoryHigh: { severity: "warning", title: "A container is close to its memory limit.", runbook: "container-memory-high" },
  PanelUnreachable: { severity: "critical", title: "Prometheus cannot reach the panel: its own notifications may be silent too.", runbook: "panel-unreachable" },
  NotificationsFailing: { severity: "warning", title: "The panel cannot deliver its notifications.", runbook: "notifications-failing" },
} as const satisfies Record<string, Omit<AlertDefinition, "name">>;

export type KnownAlertName = keyof typeof ALERT_CATALOGUE;

/** Every known alert with its name. */
export const KNOWN_ALERTS: readonly AlertDefinition[] = Object.entries(ALERT_CATALOGUE).map(([name, def]) => ({ name, ...def }));

/** The definition of an alert name, when the panel knows it. */
export function alertDefinition(name: string): AlertDefinition | undefined {
  return Object.hasOwn(ALERT_CATALOGUE, name) ? { name, ...ALERT_CATALOGUE[name as KnownAlertName] } : undefined;
}

/** `ServiceDown` -> `service-down`: the runbook id an unknown alert name would have. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .toLowerCase();
}

/** A severity label value read leniently (`page` and `error` count as critical, anything unknown as warning). */
export function severityOf(value: string | undefined): Severity {
  const v = (value ?? "").toLowerCase();
  if (v === "critical" || v === "page" || v === "error" || v === "high") return "critical";
  if (v === "info" || v === "none" || v === "low") return "info";
  return "warning";
}
