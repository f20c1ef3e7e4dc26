import "server-only";
import { isAppError } from "@/lib/errors";
import type { AppCheck, AppHealth } from "@/lib/services";
import { detailOf, statusFromChecks, type ProbeContext } from "../define";
import type { SabnzbdClient } from "./client";

/**
 * SABnzbd's health: `version` is the main request (no key); the queue status and SABnzbd's own
 * warnings need the key. A refused key leaves the status unknown (the app answers, but the panel
 * cannot see its queue).
 */
export async function readSabnzbdHealth(client: SabnzbdClient, ctx: ProbeContext): Promise<AppHealth> {
  const [version, queue, warnings] = await Promise.allSettled([client.getVersion(ctx), client.getQueue(ctx), client.getWarnings(ctx)]);
  if (version.status === "rejected") throw version.reason;
  const base = { version: version.value.data, latencyMs: version.value.latencyMs };
  const refused = [queue, warnings].find((r) => r.status === "rejected" && isAppError(r.reason) && r.reason.code === "unauthorized");
  if (refused && refused.status === "rejected") {
    return { ...base, status: "unknown", checks: [], detail: (refused.reason as Error).message, errorCode: "unauthorized" };
  }
  const checks: AppCheck[] = [];
  if (queue.status === "fulfilled") {
    const q = queue.value.data;
    const items = q.noofslots_total ?? q.noofslots ?? 0;
    const speed = q.speed?.trim();
    checks.push({
      name: "queue",
      status: "up",
      message: `Queue ${q.status.toLowerCase()}: ${items} item${items === 1 ? "" : "s"}${speed && speed !== "0" ? `, ${speed}B/s` : ""}`,
    });
  } else {
    checks.push({ name: "queue", status: "degraded", message: `Could not read SABnzbd's queue: ${(queue.reason as Error).message}`, origin: "probe" });
  }
  if (warnings.status === "fulfilled") {
    const list = [...warnings.value.data].sort((a, b) => (a.type === "ERROR" ? 0 : 1) - (b.type === "ERROR" ? 0 : 1));
    for (const w of list) checks.push({ name: w.type.toLowerCase(), status: w.type === "ERROR" ? "down" : "degraded", message: w.text });
  }
  return { ...base, status: statusFromChecks(checks), checks, detail: detailOf("SABnzbd", checks) ?? `SABnzbd ${base.version}` };
}
