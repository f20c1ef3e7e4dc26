import "server-only";
import type { AppCheck, AppHealth } from "@/lib/services";
import type { ProbeContext } from "../define";
import type { FlaresolverrClient } from "./client";

/** FlareSolverr's health: `GET /` answers "FlareSolverr is ready!" with its version. */
export async function readFlaresolverrHealth(client: FlaresolverrClient, ctx: ProbeContext): Promise<AppHealth> {
  const r = await client.getIndex(ctx);
  const ready = /ready/i.test(r.data.msg);
  const checks: AppCheck[] = [{ name: "ready", status: ready ? "up" : "degraded", message: r.data.msg }];
  return {
    status: ready ? "up" : "degraded",
    version: r.data.version,
    latencyMs: r.latencyMs,
    checks,
    detail: ready ? `FlareSolverr ${r.data.version}` : `FlareSolverr reports: ${r.data.msg}`,
  };
}
