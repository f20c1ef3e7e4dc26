import "server-only";
import type { OperationView } from "@/lib/backups/types";
import type { HealthStatus } from "@/lib/services";
import { AppError } from "@/lib/errors";
import { getConfig } from "@/server/config/load";
import { listServices } from "@/server/k8s";
import { probeNow } from "@/server/probes/scheduler";

/**
 * The operations the panel runs on services (restores, whatever their method), one per service
 * at a time, kept in memory for the page to poll; and the wait for a service's health after one.
 */

const holder = globalThis as typeof globalThis & { __panelBackupOps?: Map<string, OperationView>; __panelBackupBusy?: Map<string, string> };
const operations = (holder.__panelBackupOps ??= new Map());
const busy = (holder.__panelBackupBusy ??= new Map());

/** An operation by id (the page polls it). */
export function getOperation(id: string): OperationView | undefined {
  return operations.get(id);
}

/** The operation running on a service now, if any. */
export function runningOperation(serviceId: string): OperationView | undefined {
  const id = busy.get(serviceId);
  return id ? operations.get(id) : undefined;
}

/** Marks the service busy with `op`; refused while another operation runs on it. */
export function claimService(op: OperationView): void {
  const other = runningOperation(op.serviceId);
  if (other || busy.has(op.serviceId)) throw new AppError("conflict", `A ${other?.kind ?? "restore"} of ${op.serviceId} is running${other ? ` (started by ${other.actor})` : ""}; wait until it ends.`);
  busy.set(op.serviceId, op.id);
  operations.set(op.id, op);
}

/** The service is free again. */
export function releaseService(serviceId: string): void {
  busy.delete(serviceId);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RANK: Record<HealthStatus, number> = { up: 0, degraded: 1, unknown: 2, down: 3 };

/**
 * Waits until the panel's own verdict on the service (probing it now, every 2 s) is up, or, for a
 * service that was degraded before the restore (a VPN check, an app's own warning), no worse than
 * it was and not down.
 */
export async function waitHealthy(serviceId: string, baseline: HealthStatus | undefined): Promise<{ ok: boolean; reason: string }> {
  const deadline = Date.now() + getConfig().backups.restoreTimeoutSeconds * 1000;
  let last = "not probed yet";
  while (Date.now() < deadline) {
    await sleep(2000);
    const service = (await listServices()).find((s) => s.id === serviceId);
    if (!service || service.kube.ready < Math.max(1, service.kube.desired)) {
      last = service ? `${service.kube.ready}/${service.kube.desired} pods ready` : "the service is not discovered";
      continue;
    }
    const sweep = await probeNow([serviceId]).catch((error: unknown) => {
      last = (error as Error).message;
      return undefined;
    });
    const result = sweep?.results.find((r) => r.serviceId === serviceId);
    if (!result) continue;
    last = `${result.verdict.status}${result.verdict.reasons[0] ? `: ${result.verdict.reasons[0].message}` : ""}`;
    const status = result.verdict.status;
    if (status === "up") return { ok: true, reason: "the panel's verdict is up" };
    if (status !== "down" && baseline !== undefined && RANK[status] <= RANK[baseline]) return { ok: true, reason: `the panel's verdict is ${last}, as before the restore` };
  }
  return { ok: false, reason: `within ${getConfig().backups.restoreTimeoutSeconds} s the panel's verdict stayed ${last}` };
}
