import "server-only";
import type { AppCheck, AppHealth, HealthStatus } from "@/lib/services";
import { detailOf, statusFromChecks, type ProbeContext } from "../define";
import type { ArrClient } from "./client";
import type { ArrHealthItem } from "./schemas";

const CHECK_STATUS: Record<ArrHealthItem["type"], HealthStatus> = {
  error: "down",
  warning: "degraded",
  notice: "up",
  ok: "up",
};

const ORDER: Record<ArrHealthItem["type"], number> = { error: 0, warning: 1, notice: 2, ok: 3 };

/** The app's health items as checks, errors first, messages verbatim with their wiki links. */
export function arrChecks(items: ArrHealthItem[]): AppCheck[] {
  return [...items]
    .sort((a, b) => ORDER[a.type] - ORDER[b.type])
    .map((item) => ({
      name: item.source ?? "health",
      status: CHECK_STATUS[item.type],
      message: item.message ?? "",
      ...(item.wikiUrl ? { url: item.wikiUrl } : {}),
    }));
}

/**
 * *arr health: `system/status` is the main request (version, latency); `/ping` and `/health` run
 * beside it. The app's items are reported verbatim; an error or warning makes the app degraded.
 * Failing to read the health list while the app otherwise answers is itself a degraded check.
 */
export async function readArrHealth(client: ArrClient, ctx: ProbeContext): Promise<AppHealth> {
  const name = client.flavor.appName;
  const [ping, status, health] = await Promise.allSettled([
    client.ping(ctx),
    client.getSystemStatus(ctx),
    client.getHealth(ctx),
  ]);
  if (status.status === "rejected") throw status.reason;
  const checks: AppCheck[] = [];
  if (ping.status === "rejected") {
    checks.push({ name: "ping", status: "degraded", message: (ping.reason as Error).message, origin: "probe" });
  }
  if (health.status === "fulfilled") {
    checks.push(...arrChecks(health.value.data));
  } else {
    checks.push({
      name: "health",
      status: "degraded",
      message: `Could not read ${name}'s health list: ${(health.reason as Error).message}`,
      origin: "probe",
    });
  }
  return {
    status: statusFromChecks(checks),
    version: status.value.data.version,
    latencyMs: status.value.latencyMs,
    checks,
    detail: detailOf(name, checks) ?? `${name} ${status.value.data.version}`,
  };
}
