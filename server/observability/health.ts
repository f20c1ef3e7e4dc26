import "server-only";
import { getDb } from "@/server/db";
import { databaseFault } from "@/server/db/faults";
import { checkWritable } from "@/server/db/open";
import { checkKubernetes } from "@/server/k8s";
import type { KubernetesReachability } from "@/server/k8s/client";
import { logger } from "./logger";

export interface HealthReport {
  status: "ok" | "failing";
  database: { ok: boolean; message: string };
  kubernetes: KubernetesReachability;
  uptimeSeconds: number;
}

/** Only whether the process and its database work: what anonymous callers learn. */
export function checkLiveness(): { status: HealthReport["status"] } {
  try {
    checkWritable(getDb());
    return { status: "ok" };
  } catch (error) {
    logger.error({ err: error }, "database health check failed");
    return { status: "failing" };
  }
}

/** Process and database health, plus Kubernetes reachability as a separate field that does not fail liveness. */
export async function checkHealth(): Promise<HealthReport> {
  let database: HealthReport["database"];
  try {
    checkWritable(getDb());
    database = { ok: true, message: "writable" };
  } catch (error) {
    logger.error({ err: error }, "database health check failed");
    const fault = databaseFault(error);
    database = { ok: false, message: fault instanceof Error ? fault.message : "database check failed" };
  }
  const kubernetes = await checkKubernetes();
  return {
    status: database.ok ? "ok" : "failing",
    database,
    kubernetes,
    uptimeSeconds: Math.round(process.uptime()),
  };
}
