import "server-only";
import type { AppCheck, AppHealth } from "@/lib/services";
import { detailOf, statusFromChecks, type ProbeContext } from "../define";
import type { GluetunClient } from "./client";

/**
 * Gluetun's health: the VPN status is the main request (a stopped VPN means the service it
 * protects has no connection: down); the public IP is reported as a check (whether it is the
 * VPN's exit or a leak is the integrations' VPN check, which knows the home address).
 */
export async function readGluetunHealth(client: GluetunClient, ctx: ProbeContext): Promise<AppHealth> {
  const [status, ip, version] = await Promise.allSettled([client.getVpnStatus(ctx), client.getPublicIp(ctx), client.getVersion(ctx)]);
  if (status.status === "rejected") throw status.reason;
  const vpn = status.value.data.status;
  const checks: AppCheck[] = [{ name: "vpn", status: vpn === "running" ? "up" : "down", message: `VPN ${vpn}` }];
  if (ip.status === "fulfilled") {
    const p = ip.value.data;
    const where = [p.city, p.country].filter(Boolean).join(", ");
    checks.push(
      p.public_ip
        ? { name: "public ip", status: "up", message: `Exit address ${p.public_ip}${where ? ` (${where})` : ""}` }
        : { name: "public ip", status: "degraded", message: "No public IP known yet" },
    );
  } else {
    checks.push({ name: "public ip", status: "degraded", message: `Could not read the public IP: ${(ip.reason as Error).message}`, origin: "probe" });
  }
  return {
    status: vpn === "running" ? statusFromChecks(checks) : "down",
    ...(version.status === "fulfilled" ? { version: version.value.data } : {}),
    latencyMs: status.value.latencyMs,
    checks,
    detail: detailOf("Gluetun", checks) ?? `VPN running`,
  };
}
