import "server-only";
import type { AppCheck, AppHealth } from "@/lib/services";
import { detailOf, statusFromChecks, type ProbeContext } from "../define";
import type { JellyfinClient } from "./client";

/**
 * Jellyfin's health: `/System/Info/Public` is the main request (version, latency), `/health` is
 * Jellyfin's own verdict. `Unhealthy` makes the app down, `Degraded` degraded; an unfinished setup
 * wizard is a warning (a fresh install nobody configured yet).
 */
export async function readJellyfinHealth(client: JellyfinClient, ctx: ProbeContext): Promise<AppHealth> {
  const [info, health] = await Promise.allSettled([client.getPublicInfo(ctx), client.getHealth(ctx)]);
  if (info.status === "rejected") throw info.reason;
  const checks: AppCheck[] = [];
  let unhealthy = false;
  if (health.status === "fulfilled") {
    const text = health.value.data;
    unhealthy = /^unhealthy/i.test(text) || health.value.status === 503;
    checks.push({
      name: "health",
      status: unhealthy ? "down" : /^healthy/i.test(text) ? "up" : "degraded",
      message: text || `HTTP ${health.value.status}`,
    });
  } else {
    checks.push({ name: "health", status: "degraded", message: `Could not read Jellyfin's /health: ${(health.reason as Error).message}`, origin: "probe" });
  }
  if (info.value.data.StartupWizardCompleted === false) {
    checks.push({ name: "setup", status: "degraded", message: "The startup wizard has not been completed" });
  }
  return {
    status: unhealthy ? "down" : statusFromChecks(checks),
    version: info.value.data.Version,
    latencyMs: info.value.latencyMs,
    checks,
    detail: detailOf("Jellyfin", checks) ?? `Jellyfin ${info.value.data.Version}`,
  };
}
