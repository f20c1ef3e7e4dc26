import "server-only";
import type { AppCheck, AppHealth, HealthStatus } from "@/lib/services";
import { detailOf, statusFromChecks, type ProbeContext } from "../define";
import type { QbittorrentClient } from "./client";
import type { QbitTransferInfo } from "./schemas";

const CONNECTION: Record<QbitTransferInfo["connection_status"], { status: HealthStatus; message: string }> = {
  connected: { status: "up", message: "Connected" },
  firewalled: { status: "up", message: "Firewalled: no incoming connections (downloads still work)" },
  disconnected: { status: "degraded", message: "Disconnected: no network connection" },
};

/** qBittorrent's health: its version (main request, logging in when needed) and its connection status. */
export async function readQbittorrentHealth(client: QbittorrentClient, ctx: ProbeContext): Promise<AppHealth> {
  const version = await client.getVersion(ctx);
  const checks: AppCheck[] = [];
  try {
    const info = await client.getTransferInfo(ctx);
    const c = CONNECTION[info.data.connection_status];
    checks.push({ name: "connection", status: c.status, message: c.message });
  } catch (error) {
    checks.push({ name: "connection", status: "degraded", message: `Could not read the transfer info: ${(error as Error).message}`, origin: "probe" });
  }
  return {
    status: statusFromChecks(checks),
    version: version.data,
    latencyMs: version.latencyMs,
    checks,
    detail: detailOf("qBittorrent", checks) ?? `qBittorrent ${version.data}`,
  };
}
