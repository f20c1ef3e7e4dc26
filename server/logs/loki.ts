import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/errors";

/**
 * A small client of Loki's HTTP API: `GET /loki/api/v1/query_range` with a LogQL stream selector by
 * namespace, pod (the workload's pods, current and past) and container, and a line filter for the
 * search. Answers are parsed with zod; failures are AppErrors (source `loki`).
 */

/** The label names log shippers (Promtail's and Grafana Alloy's Kubernetes configurations) set. */
export const LOKI_LABELS = { namespace: "namespace", pod: "pod", container: "container" } as const;

function logqlString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function regexEscape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The LogQL query of a workload's logs: its namespace, the pods its controller names
 * (`<workload>-<hash>-<id>`, `<workload>-<ordinal>`), optionally one container, and the search as a
 * case-insensitive line filter.
 */
export function workloadLogQuery(input: { namespace: string; workload: string; container?: string; search?: string }): string {
  const selectors = [
    `${LOKI_LABELS.namespace}=${logqlString(input.namespace)}`,
    `${LOKI_LABELS.pod}=~${logqlString(`${regexEscape(input.workload)}-[a-z0-9]+(-[a-z0-9]+)?`)}`,
  ];
  if (input.container) selectors.push(`${LOKI_LABELS.container}=${logqlString(input.container)}`);
  let query = `{${selectors.join(", ")}}`;
  const search = input.search?.trim();
  if (search) query += ` |~ ${logqlString(`(?i)${regexEscape(search)}`)}`;
  return query;
}

const streamsSchema = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("streams"),
    result: z.array(z.object({ stream: z.record(z.string(), z.string()), values: z.array(z.tuple([z.string(), z.string()])) })),
  }),
});

/** One line Loki returned. */
export interface LokiLine {
  /** Nanoseconds since the epoch, as Loki gives them. */
  ns: string;
  time: string;
  line: string;
  labels: Record<string, string>;
}

function nsToIso(ns: string): string {
  const ms = Number(BigInt(ns) / 1_000_000n);
  return new Date(ms).toISOString();
}

/**
 * Runs a LogQL query over `[start, end]`, newest lines first (`direction=backward`), at most `limit`
 * lines, and returns them oldest first.
 */
export async function queryLokiRange(
  baseUrl: string,
  input: { query: string; start: Date; end: Date; limit: number },
  opts: { timeoutMs: number; tenant?: string; signal?: AbortSignal },
): Promise<{ lines: LokiLine[]; limited: boolean }> {
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}/loki/api/v1/query_range`);
  url.searchParams.set("query", input.query);
  url.searchParams.set("start", `${BigInt(input.start.getTime()) * 1_000_000n}`);
  url.searchParams.set("end", `${BigInt(input.end.getTime()) * 1_000_000n}`);
  url.searchParams.set("limit", String(input.limit));
  url.searchParams.set("direction", "backward");
  const where = `Loki at ${url.origin}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json", ...(opts.tenant ? { "X-Scope-OrgID": opts.tenant } : {}) },
      signal: opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    throw new AppError(timedOut ? "timeout" : "unreachable", timedOut ? `${where} did not answer within ${opts.timeoutMs} ms.` : `${where} cannot be reached.`, { source: "loki", cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    const detail = text.trim().split("\n")[0]?.slice(0, 300) ?? "";
    const code = response.status === 400 ? "invalid_input" : response.status === 401 ? "unauthorized" : response.status === 403 ? "forbidden" : response.status === 404 ? "not_found" : "unreachable";
    throw new AppError(code, `${where} answered HTTP ${response.status}${detail ? `: ${detail}` : ""}`, { source: "loki" });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError("invalid_response", `${where} answered something that is not JSON.`, { source: "loki" });
  }
  const parsed = streamsSchema.safeParse(raw);
  if (!parsed.success) throw new AppError("invalid_response", `${where} answered an unexpected shape (${parsed.error.issues[0]?.path.join(".") ?? "?"}: ${parsed.error.issues[0]?.message ?? ""}).`, { source: "loki" });
  const lines: LokiLine[] = [];
  for (const stream of parsed.data.data.result) {
    for (const [ns, line] of stream.values) {
      if (!/^\d+$/.test(ns)) continue;
      lines.push({ ns, time: nsToIso(ns), line, labels: stream.stream });
    }
  }
  lines.sort((a, b) => (BigInt(a.ns) < BigInt(b.ns) ? -1 : BigInt(a.ns) > BigInt(b.ns) ? 1 : 0));
  return { lines, limited: lines.length >= input.limit };
}
