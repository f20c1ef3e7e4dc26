import "server-only";
import type { AppKind } from "@/lib/apps/catalogue";
import type { AppHealth, DiscoveredService, HealthReason, HealthStatus, ServiceAccess, ServiceVerdict } from "@/lib/services";
import type { ProbeRecord } from "@/server/db/probes";

/**
 * A probe result and its stored row: the one mapping between what the prober keeps in memory and
 * what `server/db/probes.ts` writes, in both directions (writing each sweep; reading the latest rows
 * back at start, so the panel shows the last states before its first sweep).
 */

/** The result of probing one service. */
export interface ServiceProbeResult {
  serviceId: string;
  namespace: string;
  name: string;
  appKind: DiscoveredService["appKind"];
  /** When the probe started, ms. */
  at: number;
  /** How long the probe took, ms. */
  durationMs: number;
  /** The app's own health; undefined when the service has no app module. */
  app?: AppHealth;
  /** How the app was reached (address, URL base and why, credential source); kept in memory only. */
  access?: ServiceAccess;
  verdict: ServiceVerdict;
}

/** The row stored for a result: the verdict, the app's own status and the first reason. */
export function toProbeRecord(r: ServiceProbeResult): ProbeRecord {
  return {
    serviceId: r.serviceId,
    at: r.at,
    status: r.verdict.status,
    appStatus: r.app?.status ?? null,
    latencyMs: r.app?.latencyMs ?? null,
    version: r.app?.version ?? null,
    errorCode: r.app?.errorCode ?? null,
    detail: r.verdict.reasons[0]?.message ?? null,
    checks: r.app?.checks ?? [],
  };
}

function severityOf(status: HealthStatus): HealthReason["severity"] {
  return status === "down" ? "error" : status === "up" ? "info" : "warning";
}

/**
 * A result read back from its row. The row keeps the first reason only (as the probe's own), and no
 * app kind (`other` until discovery says; the verdict is recomputed from the live Kubernetes view).
 */
export function fromProbeRecord(r: ProbeRecord, appKind: AppKind = "other"): ServiceProbeResult {
  const [namespace = "", name = r.serviceId] = r.serviceId.split("/");
  const reasons: HealthReason[] = r.detail ? [{ source: "probe", severity: severityOf(r.status), message: r.detail }] : [];
  return {
    serviceId: r.serviceId,
    namespace,
    name,
    appKind,
    at: r.at,
    durationMs: 0,
    ...(r.appStatus
      ? {
          app: {
            status: r.appStatus,
            checks: r.checks,
            ...(r.version ? { version: r.version } : {}),
            ...(r.latencyMs !== null ? { latencyMs: r.latencyMs } : {}),
            ...(r.errorCode ? { errorCode: r.errorCode } : {}),
          },
        }
      : {}),
    verdict: { status: r.status, reasons },
  };
}
