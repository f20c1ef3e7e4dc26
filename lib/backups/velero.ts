/**
 * Velero's Backups and Schedules (velero.io/v1), read-only: what the Backups page shows of them,
 * joined to the services whose namespace they cover. Pure: the informers' objects in, plain data out.
 */
import type { KubeObject } from "@/lib/k8s/types";
import { cronIntervalHours } from "./schedule";

/** One Velero Backup as the page lists it. */
export interface VeleroBackupView {
  name: string;
  /** The Schedule that made it (`velero.io/schedule-name`). */
  schedule?: string;
  /** Velero's phase: `New`, `InProgress`, `Completed`, `PartiallyFailed`, `Failed`, `FailedValidation`, ... */
  phase: string;
  /** How the page colours it. */
  result: "running" | "succeeded" | "partial" | "failed";
  startedAt?: number;
  completedAt?: number;
  expiresAt?: number;
  errors: number;
  warnings: number;
  /** Why it failed, in Velero's words (failureReason, validation errors). */
  reason?: string;
  /** `all namespaces`, or the namespaces it includes (less the excluded ones). */
  covers: string;
  /** The services in the namespaces it covers (`namespace/name`). */
  services: string[];
}

/** One Velero Schedule as the page lists it. */
export interface VeleroScheduleView {
  name: string;
  schedule: string;
  intervalHours: number | null;
  paused: boolean;
  phase?: string;
  lastBackupAt?: number;
  covers: string;
  services: string[];
}

/** What the page shows of Velero; empty lists when Velero is not installed. */
export interface VeleroView {
  backups: VeleroBackupView[];
  schedules: VeleroScheduleView[];
}

interface Scope {
  includedNamespaces?: unknown;
  excludedNamespaces?: unknown;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const time = (v: unknown): number | undefined => {
  const t = typeof v === "string" ? Date.parse(v) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
};
const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Whether a Backup's (or a Schedule template's) namespace list covers `namespace`: none or `*` means every namespace. */
export function coversNamespace(scope: Scope, namespace: string): boolean {
  const included = strings(scope.includedNamespaces);
  const excluded = strings(scope.excludedNamespaces);
  if (excluded.includes(namespace) || excluded.includes("*")) return false;
  return included.length === 0 || included.includes("*") || included.includes(namespace);
}

function coversText(scope: Scope): string {
  const included = strings(scope.includedNamespaces);
  const excluded = strings(scope.excludedNamespaces);
  const base = included.length === 0 || included.includes("*") ? "all namespaces" : included.join(", ");
  return excluded.length > 0 ? `${base} except ${excluded.join(", ")}` : base;
}

function resultOf(phase: string): VeleroBackupView["result"] {
  if (phase === "Completed") return "succeeded";
  if (phase === "PartiallyFailed") return "partial";
  if (phase === "Failed" || phase === "FailedValidation" || phase === "Deleting") return "failed";
  return "running";
}

/** Velero's Backups (newest first) and Schedules, each with the services it covers. */
export function veleroView(backups: readonly KubeObject[], schedules: readonly KubeObject[], services: readonly { id: string; namespace: string }[]): VeleroView {
  const servicesOf = (scope: Scope) => services.filter((s) => coversNamespace(scope, s.namespace)).map((s) => s.id);
  const backupViews = backups.map((b): VeleroBackupView => {
    const o = b as KubeObject & { spec?: unknown; status?: unknown };
    const spec = record(o.spec) as Scope;
    const status = record(o.status);
    const phase = str(status.phase) ?? "New";
    const validation = strings(status.validationErrors);
    const reason = [str(status.failureReason), ...validation].filter(Boolean).join("; ");
    const schedule = b.metadata?.labels?.["velero.io/schedule-name"];
    const startedAt = time(status.startTimestamp) ?? time(b.metadata?.creationTimestamp);
    const completedAt = time(status.completionTimestamp);
    const expiresAt = time(status.expiration);
    return {
      name: b.metadata?.name ?? "",
      ...(schedule ? { schedule } : {}),
      phase,
      result: resultOf(phase),
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(completedAt !== undefined ? { completedAt } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      errors: num(status.errors),
      warnings: num(status.warnings),
      ...(reason ? { reason } : {}),
      covers: coversText(spec),
      services: servicesOf(spec),
    };
  });
  backupViews.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || a.name.localeCompare(b.name));
  const scheduleViews = schedules.map((s): VeleroScheduleView => {
    const o = s as KubeObject & { spec?: unknown; status?: unknown };
    const spec = record(o.spec);
    const template = record(spec.template) as Scope;
    const status = record(o.status);
    const cron = str(spec.schedule) ?? "";
    const lastBackupAt = time(status.lastBackup);
    const phase = str(status.phase);
    return {
      name: s.metadata?.name ?? "",
      schedule: cron,
      intervalHours: cron ? cronIntervalHours(cron.replace(/^CRON_TZ=\S+\s+/, "")) : null,
      paused: spec.paused === true,
      ...(phase ? { phase } : {}),
      ...(lastBackupAt !== undefined ? { lastBackupAt } : {}),
      covers: coversText(template),
      services: servicesOf(template),
    };
  });
  scheduleViews.sort((a, b) => a.name.localeCompare(b.name));
  return { backups: backupViews, schedules: scheduleViews };
}
