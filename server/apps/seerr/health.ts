import "server-only";
import type { AppCheck, AppHealth } from "@/lib/services";
import { detailOf, statusFromChecks, type ProbeContext } from "../define";
import type { SeerrApiClient } from "./client";

/** Jellyseerr/Seerr health: `/api/v1/status` (version, restart needed) and whether setup is done. */
export async function readSeerrApiHealth(client: SeerrApiClient, ctx: ProbeContext): Promise<AppHealth> {
  const [status, settings] = await Promise.allSettled([client.getStatus(ctx), client.getPublicSettings(ctx)]);
  if (status.status === "rejected") throw status.reason;
  const s = status.value.data;
  const checks: AppCheck[] = [];
  if (s.restartRequired) checks.push({ name: "restart", status: "degraded", message: "A restart is required to apply changed settings" });
  if (s.updateAvailable) checks.push({ name: "update", status: "up", message: `An update is available (${s.commitsBehind ?? "some"} commits behind)` });
  if (settings.status === "fulfilled" && settings.value.data.initialized === false) {
    checks.push({ name: "setup", status: "degraded", message: "Setup has not been completed" });
  }
  return {
    status: statusFromChecks(checks),
    version: s.version,
    latencyMs: status.value.latencyMs,
    checks,
    detail: detailOf(client.appName, checks) ?? `${client.appName} ${s.version}`,
  };
}
