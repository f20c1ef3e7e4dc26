import "server-only";
import { AppError } from "@/lib/errors";
import type { AppCheck, AppHealth } from "@/lib/services";
import type { ProbeContext } from "../define";
import type { EndpointReading } from "../endpoint";
import type { StatusClient } from "./client";

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** What an answer that is not the app's own says, for the reason. */
function said(r: EndpointReading): string {
  const text = /^\s*</.test(r.body) ? "" : firstLine(r.body);
  return text !== "" ? `${r.mismatch ?? `HTTP ${r.status}`}: ${text}` : (r.mismatch ?? `HTTP ${r.status}`);
}

/**
 * The health of an app from its catalogue endpoints: the identity endpoint says who answers and its
 * version (an answer that is not the app's, a 404 or a web page, is `not_found`: a wrong URL base or
 * another app behind the address); the readiness endpoint says whether it is ready, and what it says
 * when it is not is the app's own report ("Loki reports: Ingester not ready"), like a *arr health
 * check.
 */
export async function readStatusHealth(client: StatusClient, ctx: ProbeContext): Promise<AppHealth> {
  const { identity, ready, label } = client.app;
  const checks: AppCheck[] = [];
  let version: string | undefined;
  let latencyMs: number | undefined;
  let down = false;
  if (identity) {
    const r = await client.read(identity, ctx.signal);
    latencyMs = r.latencyMs;
    if (!r.matches) {
      if (r.status >= 500) {
        down = true;
        checks.push({ name: "status", status: "down", message: firstLine(r.body) || `HTTP ${r.status}` });
      } else {
        throw new AppError("not_found", `${label} answered GET ${identity.path.split("?")[0] ?? ""} with ${said(r)}: wrong URL base, or not ${label} at this address?`, { source: client.app.id });
      }
    }
    version = r.version;
  }
  if (ready && ready !== identity) {
    const r = await client.read(ready, ctx.signal);
    latencyMs ??= r.latencyMs;
    version ??= r.version;
    if (r.matches) {
      checks.push({ name: "ready", status: "up", message: firstLine(r.body) || `HTTP ${r.status}` });
    } else if (r.status === 404 || (r.status >= 300 && r.status < 400)) {
      throw new AppError("not_found", `${label} answered GET ${ready.path.split("?")[0] ?? ""} with ${said(r)}: wrong URL base or port?`, { source: client.app.id });
    } else {
      down = true;
      checks.push({ name: "ready", status: "down", message: firstLine(r.body) || `not ready (HTTP ${r.status})` });
    }
  }
  const problem = checks.find((c) => c.status === "down");
  return {
    status: down ? "down" : "up",
    ...(version ? { version } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    checks,
    detail: problem ? `${label} reports: ${problem.message}` : `${label}${version ? ` ${version}` : ""} answers`,
  };
}
