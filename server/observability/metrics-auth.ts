import "server-only";
import { timingSafeEqual } from "node:crypto";
import type { PanelConfig } from "@/lib/config-schema";

/** The variable holding the metrics token when the configuration names none. */
export const DEFAULT_METRICS_TOKEN_ENV = "PANEL_METRICS_TOKEN";

/** Who may read `/api/metrics`: anyone (`metrics.public`), holders of the token, or nobody yet. */
export type MetricsAccess =
  | { kind: "public" }
  | { kind: "token"; variable: string; token: string }
  | { kind: "missing"; variable: string };

export function metricsTokenState(config: PanelConfig, env: Record<string, string | undefined>): MetricsAccess {
  if (config.metrics.public) return { kind: "public" };
  const variable = config.metrics.bearerTokenEnv ?? DEFAULT_METRICS_TOKEN_ENV;
  const token = env[variable];
  return token ? { kind: "token", variable, token } : { kind: "missing", variable };
}

/** True when the request carries `Authorization: Bearer <token>` with the configured token (constant time). */
export function hasMetricsToken(request: Request, access: MetricsAccess): boolean {
  if (access.kind !== "token") return false;
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const want = Buffer.from(access.token);
  return given.length === want.length && timingSafeEqual(given, want);
}
