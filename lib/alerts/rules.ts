import type { AlertRuleThresholds } from "../config-schema";
import { ALERT_CATALOGUE, type KnownAlertName } from "./catalogue";

/**
 * The alert rules the panel proposes for the owner's Prometheus, as a Prometheus rule file
 * (`groups: [{ name, rules }]`). Pure: thresholds from `alerts.rules`, runbook links from the panel's
 * public URL. Where each figure comes from:
 *
 * - the panel's `/api/metrics`: `panel_service_up`, `panel_service_app_errors`,
 *   `panel_service_restarts_last_hour`, `panel_vpn_protected`, `panel_container_cpu_limit_ratio`,
 *   `panel_container_memory_limit_ratio` (from the metrics API where the cluster serves it),
 *   `panel_backup_last_success_timestamp_seconds` / `panel_backup_last_failure_timestamp_seconds`
 *   (the backups feature), `panel_notifications_oldest_pending_seconds`, and `up` of its scrape job;
 * - cert-manager's own metrics (`certmanager_certificate_*`, scraped from its pod);
 * - the kubelet's volume statistics (`kubelet_volume_stats_*`, scraped through the API server's node
 *   proxy by the `kubernetes-nodes` job): the panel does not read them itself, that needs the
 *   cluster-wide `nodes/proxy` permission, which also allows commands in every pod.
 */

/** One alerting rule. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A rule group. */
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertingRule[];
}

/** A Prometheus rule file. */
export interface RuleFile {
  groups: RuleGroup[];
}

/** Name of the group the panel writes (and the label every one of its rules carries). */
export const PANEL_RULE_GROUP = "k8s-nas-panel";
export const PANEL_CUSTOM_RULE_GROUP = "k8s-nas-panel-custom";
/** The scrape job of the panel's metrics (as the scrape change names it). */
export const PANEL_JOB = "k8s-nas-panel";

/** What the rules need besides the thresholds. */
export interface RuleOptions {
  /** The panel's public URL: runbook links point at its runbook pages. */
  publicUrl?: string;
}

/** The panel's runbook page of an alert (absolute when the public URL is known). */
export function runbookUrl(runbook: string, publicUrl: string | undefined): string | undefined {
  return publicUrl ? `${publicUrl.replace(/\/+$/, "")}/runbooks/alerts/${runbook}` : undefined;
}

const SERVICE = "{{ $labels.namespace }}/{{ $labels.service }}";

function rule(
  name: KnownAlertName,
  expr: string,
  forDuration: string | undefined,
  summary: string,
  description: string,
  opts: RuleOptions,
): AlertingRule {
  const def = ALERT_CATALOGUE[name];
  const link = runbookUrl(def.runbook, opts.publicUrl);
  return {
    alert: name,
    expr,
    ...(forDuration ? { for: forDuration } : {}),
    labels: { severity: def.severity, source: PANEL_RULE_GROUP },
    annotations: { summary, description, ...(link ? { runbook_url: link } : {}) },
  };
}

function ratio(percent: number): string {
  return String(Math.round(percent * 100) / 10_000);
}

/** The panel's alert rules for the given thresholds. */
export function panelAlertRules(t: AlertRuleThresholds, opts: RuleOptions = {}): RuleFile {
  const day = 86_400;
  const rules: AlertingRule[] = [
    rule(
      "ServiceDown",
      "panel_service_up == 0",
      t.serviceDownFor,
      `${SERVICE} is down`,
      `The panel's probes have found ${SERVICE} down for ${t.serviceDownFor}: not running, not ready, or its app does not answer.`,
      opts,
    ),
    rule(
      "AppHealthErrors",
      "panel_service_app_errors > 0",
      t.appErrorsFor,
      `${SERVICE} reports {{ $value }} health error(s)`,
      `The app's own health checks have reported errors for ${t.appErrorsFor}; its service page shows them verbatim.`,
      opts,
    ),
    rule(
      "PodCrashLooping",
      `panel_service_restarts_last_hour >= ${t.crashLoopRestartsPerHour}`,
      "5m",
      `${SERVICE} restarted {{ $value }} times in the last hour`,
      "A container keeps exiting and Kubernetes keeps starting it again (CrashLoopBackOff).",
      opts,
    ),
    rule(
      "CertificateExpiresSoon",
      `(certmanager_certificate_expiration_timestamp_seconds - time()) < ${t.certificateWarningDays * day} and (certmanager_certificate_expiration_timestamp_seconds - time()) >= ${t.certificateCriticalDays * day}`,
      "1h",
      "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }}",
      `cert-manager renews certificates well before they expire; one with less than ${t.certificateWarningDays} days left is not being renewed.`,
      opts,
    ),
    rule(
      "CertificateExpiresVerySoon",
      `(certmanager_certificate_expiration_timestamp_seconds - time()) < ${t.certificateCriticalDays * day}`,
      "10m",
      "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }}",
      `Less than ${t.certificateCriticalDays} days left: browsers and apps will refuse the site when it expires.`,
      opts,
    ),
    rule(
      "CertificateRenewalFailing",
      'certmanager_certificate_ready_status{condition="False"} == 1 or (time() - certmanager_certificate_renewal_timestamp_seconds) > 3600',
      "1h",
      "cert-manager cannot renew {{ $labels.namespace }}/{{ $labels.name }}",
      "The certificate is not Ready, or its renewal time passed more than an hour ago without a new certificate.",
      opts,
    ),
    rule(
      "BackupStale",
      `(time() - panel_backup_last_success_timestamp_seconds) > ${t.backupMaxAgeHours * 3600}`,
      "10m",
      "No successful backup of {{ $labels.backup }} for {{ $value | humanizeDuration }}",
      `The last successful backup is older than ${t.backupMaxAgeHours} hours.`,
      opts,
    ),
    rule(
      "BackupFailed",
      "panel_backup_last_failure_timestamp_seconds > panel_backup_last_success_timestamp_seconds",
      undefined,
      "The last backup of {{ $labels.backup }} failed",
      "A backup ran after the last successful one and failed.",
      opts,
    ),
    rule(
      "VpnLeak",
      "panel_vpn_protected == 0",
      t.vpnLeakFor,
      "Traffic of {{ $labels.service }} leaves outside the VPN",
      "The download client's public address is the home connection's (or outside the expected ranges): downloads are not protected.",
      opts,
    ),
    rule(
      "PvcAlmostFull",
      `kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > ${ratio(t.pvcPercent)}`,
      t.resourceFor,
      "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full",
      `Over ${t.pvcPercent} % of the volume is used; an app whose volume fills up stops writing its database.`,
      opts,
    ),
    rule(
      "ContainerCpuHigh",
      `panel_container_cpu_limit_ratio > ${ratio(t.cpuPercent)}`,
      t.resourceFor,
      "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) uses {{ $value | humanizePercentage }} of its CPU limit",
      `Over ${t.cpuPercent} % of its CPU limit for ${t.resourceFor}: it is being throttled.`,
      opts,
    ),
    rule(
      "ContainerMemoryHigh",
      `panel_container_memory_limit_ratio > ${ratio(t.memoryPercent)}`,
      t.resourceFor,
      "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) uses {{ $value | humanizePercentage }} of its memory limit",
      `Over ${t.memoryPercent} % of its memory limit: at the limit the kernel kills it (OOMKilled).`,
      opts,
    ),
    rule(
      "PanelUnreachable",
      `up{job="${PANEL_JOB}"} == 0`,
      "5m",
      "Prometheus cannot scrape the k8s-nas-panel",
      "The panel is down or its metrics token is wrong; while it is down its own notifications are silent too.",
      opts,
    ),
    rule(
      "NotificationsFailing",
      "panel_notifications_oldest_pending_seconds > 900",
      undefined,
      "The panel could not deliver a notification to {{ $labels.target }} for {{ $value | humanizeDuration }}",
      "Its messages wait in the panel and are retried; the Settings page shows the last error.",
      opts,
    ),
  ];
  return { groups: [{ name: PANEL_RULE_GROUP, rules }] };
}

/** Every alert name the panel's rule file defines (for tests and the runbook check). */
export function panelRuleNames(t: AlertRuleThresholds): string[] {
  return panelAlertRules(t).groups.flatMap((g) => g.rules.map((r) => r.alert));
}
