import "server-only";
import { z } from "zod";
import type { AmAlert, Matcher, PromAlert, Silence } from "@/lib/alerts/view";
import { AppError } from "@/lib/errors";
import { AppHttpError, httpRequest, type HttpConnection } from "@/server/apps/http";

/**
 * The owner's Prometheus and Alertmanager through their HTTP APIs: Prometheus' `/api/v1/alerts`,
 * `/api/v1/rules` and its query parser (`/api/v1/parse_query`, or `/api/v1/format_query` on versions
 * before 2.47); Alertmanager's v2 API (`/api/v2/alerts`, `/api/v2/silences`, `POST /api/v2/silences`,
 * `DELETE /api/v2/silence/{id}`). Answers are validated with zod; failures are AppErrors.
 */

interface ApiOptions {
  url: string;
  token?: string;
  timeoutMs: number;
}

const labels = z.record(z.string(), z.string());

const promAlertsSchema = z.object({
  status: z.literal("success"),
  data: z.object({
    alerts: z.array(
      z.object({
        labels,
        annotations: labels.default({}),
        state: z.enum(["firing", "pending", "inactive"]),
        activeAt: z.string().optional(),
        value: z.string().optional(),
      }),
    ),
  }),
});

const ruleSchema = z
  .object({
    name: z.string(),
    type: z.enum(["alerting", "recording"]),
    health: z.string().optional(),
    lastError: z.string().optional(),
    state: z.string().optional(),
  })
  .loose();

const promRulesSchema = z.object({
  status: z.literal("success"),
  data: z.object({ groups: z.array(z.object({ name: z.string(), file: z.string(), rules: z.array(ruleSchema) }).loose()) }),
});

/** A rule group as Prometheus has loaded it. */
export interface LoadedRuleGroup {
  name: string;
  file: string;
  rules: Array<{ name: string; type: "alerting" | "recording"; health?: string; lastError?: string }>;
}

const queryCheckSchema = z.object({ status: z.enum(["success", "error"]), error: z.string().optional(), errorType: z.string().optional() }).loose();

function connection(name: string, source: string, o: ApiOptions): { conn: HttpConnection; headers: Record<string, string> } {
  return {
    conn: { baseUrl: o.url, timeoutMs: o.timeoutMs, appName: name, source, secrets: [o.token] },
    headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
  };
}

export class PrometheusApi {
  private readonly conn: HttpConnection;
  private readonly headers: Record<string, string>;

  constructor(readonly options: ApiOptions) {
    ({ conn: this.conn, headers: this.headers } = connection("Prometheus", "prometheus", options));
  }

  /** Alerts firing or pending (`GET /api/v1/alerts`). */
  async alerts(signal?: AbortSignal): Promise<PromAlert[]> {
    const res = await httpRequest(this.conn, { path: "/api/v1/alerts", headers: this.headers, schema: promAlertsSchema, signal });
    return res.data.data.alerts;
  }

  /** Loaded alerting rule groups (`GET /api/v1/rules?type=alert`). */
  async rules(signal?: AbortSignal): Promise<LoadedRuleGroup[]> {
    const res = await httpRequest(this.conn, { path: "/api/v1/rules", query: { type: "alert" }, headers: this.headers, schema: promRulesSchema, signal });
    return res.data.data.groups.map((g) => ({ name: g.name, file: g.file, rules: g.rules.map((r) => ({ name: r.name, type: r.type, health: r.health, lastError: r.lastError })) }));
  }

  /**
   * Parses a PromQL expression with Prometheus' own parser: `/api/v1/parse_query` (2.47+), else
   * `/api/v1/format_query` (2.35+). Returns the parser's message when it is invalid, undefined when
   * it parses.
   */
  async checkExpression(expr: string, signal?: AbortSignal): Promise<string | undefined> {
    for (const path of ["/api/v1/parse_query", "/api/v1/format_query"]) {
      try {
        const res = await httpRequest(this.conn, { path, query: { query: expr }, headers: this.headers, schema: queryCheckSchema, acceptStatuses: [400, 422], signal });
        if (res.data.status === "success") return undefined;
        return (res.data.error ?? "the expression does not parse").replace(/^invalid parameter "query": /, "");
      } catch (error) {
        if (error instanceof AppHttpError && error.status === 404) continue;
        throw error;
      }
    }
    throw new AppError("not_found", "This Prometheus has neither /api/v1/parse_query nor /api/v1/format_query (it is older than 2.35).", { source: "prometheus" });
  }
}

const amAlertsSchema = z.array(
  z.object({
    labels,
    annotations: labels.default({}),
    startsAt: z.string(),
    endsAt: z.string().optional(),
    fingerprint: z.string(),
    generatorURL: z.string().optional(),
    status: z.object({ state: z.enum(["active", "suppressed", "unprocessed"]), silencedBy: z.array(z.string()).default([]), inhibitedBy: z.array(z.string()).default([]) }),
  }),
);

const matcherSchema = z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().optional() });
const silencesSchema = z.array(
  z.object({
    id: z.string(),
    status: z.object({ state: z.enum(["active", "pending", "expired"]) }),
    matchers: z.array(matcherSchema),
    startsAt: z.string(),
    endsAt: z.string(),
    createdBy: z.string(),
    comment: z.string(),
  }),
);

export class AlertmanagerApi {
  private readonly conn: HttpConnection;
  private readonly headers: Record<string, string>;

  constructor(readonly options: ApiOptions) {
    ({ conn: this.conn, headers: this.headers } = connection("Alertmanager", "alertmanager", options));
  }

  /** Alerts it holds, silenced and inhibited ones included (`GET /api/v2/alerts`). */
  async alerts(signal?: AbortSignal): Promise<AmAlert[]> {
    const res = await httpRequest(this.conn, { path: "/api/v2/alerts", headers: this.headers, schema: amAlertsSchema, signal });
    return res.data;
  }

  /** Every silence it knows, expired ones included (`GET /api/v2/silences`). */
  async silences(signal?: AbortSignal): Promise<Silence[]> {
    const res = await httpRequest(this.conn, { path: "/api/v2/silences", headers: this.headers, schema: silencesSchema, signal });
    return res.data;
  }

  /** Creates a silence (`POST /api/v2/silences`); returns its id. */
  async createSilence(s: { matchers: Matcher[]; startsAt: Date; endsAt: Date; createdBy: string; comment: string }): Promise<string> {
    const res = await httpRequest(this.conn, {
      method: "POST",
      path: "/api/v2/silences",
      headers: this.headers,
      body: { matchers: s.matchers, startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString(), createdBy: s.createdBy, comment: s.comment },
      schema: z.object({ silenceID: z.string() }),
    });
    return res.data.silenceID;
  }

  /** Expires a silence (`DELETE /api/v2/silence/{id}`). */
  async expireSilence(id: string): Promise<void> {
    await httpRequest(this.conn, { method: "DELETE", path: `/api/v2/silence/${encodeURIComponent(id)}`, headers: this.headers, schema: z.unknown() });
  }
}
