import "server-only";
import type { AppCheck, AppHealth } from "@/lib/services";
import { detailOf, statusFromChecks, type ProbeContext } from "../define";
import type { BazarrClient } from "./client";

/** Bazarr's health: `system/status` (version, latency) and its `system/health` issues, verbatim. */
export async function readBazarrHealth(client: BazarrClient, ctx: ProbeContext): Promise<AppHealth> {
  const [status, health] = await Promise.allSettled([client.getStatus(ctx), client.getHealth(ctx)]);
  if (status.status === "rejected") throw status.reason;
  const checks: AppCheck[] =
    health.status === "fulfilled"
      ? health.value.data.map((i) => ({ name: i.object ?? "health", status: "degraded", message: i.issue }))
      : [{ name: "health", status: "degraded", message: `Could not read Bazarr's health list: ${(health.reason as Error).message}`, origin: "probe" }];
  const version = status.value.data.bazarr_version;
  return {
    status: statusFromChecks(checks),
    version,
    latencyMs: status.value.latencyMs,
    checks,
    detail: detailOf("Bazarr", checks) ?? `Bazarr ${version}`,
  };
}
