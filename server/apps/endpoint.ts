import "server-only";
import { z } from "zod";
import type { AppEndpoint, EndpointAnswer } from "@/lib/apps/catalogue";
import { normalizeUrlBase } from "@/lib/url-base";
import { httpRequest, type HttpConnection } from "./http";

/**
 * Reading one of an app's unauthenticated endpoints from the catalogue (its identity, its readiness)
 * and judging the answer: did the app itself answer, and which version does it say it is. Used by the
 * URL base verification and by the health of apps that have no module of their own.
 */

/** Every HTTP status: the caller judges the answer, the body of a 503 included. */
const ANY_STATUS = Array.from({ length: 500 }, (_, i) => i + 100);

/** What an endpoint answered. */
export interface EndpointReading {
  status: number;
  /** The body, trimmed to its first 2,000 characters. */
  body: string;
  latencyMs: number;
  /** True when the answer is the app's own (a 2xx in the shape the catalogue gives). */
  matches: boolean;
  /** The version the answer gives, when it gives one. */
  version?: string;
  /** Why the answer is not the app's, in words ("HTTP 404", "no field `ProductName`"). */
  mismatch?: string;
  /** `Location` of a redirect. */
  location?: string;
}

function fieldAt(value: unknown, path: string): unknown {
  let cur = value;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Judges a 2xx body against the catalogue's answer. */
export function judgeAnswer(answer: EndpointAnswer, body: string): { matches: boolean; version?: string; mismatch?: string } {
  if (answer.type === "any") return { matches: true };
  if (answer.type === "text") {
    let re: RegExp;
    try {
      re = new RegExp(answer.pattern, "i");
    } catch {
      return { matches: false, mismatch: "the catalogue's pattern is invalid" };
    }
    const m = re.exec(body);
    if (!m) return { matches: false, mismatch: `the answer is not "${answer.pattern.replace(/\\/g, "")}"` };
    return { matches: true, ...(answer.version && m[1] ? { version: m[1] } : {}) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { matches: false, mismatch: /^\s*</.test(body) ? "a web page instead of JSON" : "not JSON" };
  }
  for (const [path, want] of Object.entries(answer.fields)) {
    const got = fieldAt(parsed, path);
    if (got === undefined || got === null) return { matches: false, mismatch: `no field ${path}` };
    if (want !== null && got !== want) return { matches: false, mismatch: `${path} is ${JSON.stringify(got)}, not ${JSON.stringify(want)}` };
  }
  const version = answer.version ? fieldAt(parsed, answer.version) : undefined;
  return { matches: true, ...(typeof version === "string" && version !== "" ? { version } : {}) };
}

/** The URL of an endpoint for an app whose base URL (origin and URL base) is `baseUrl`. */
export function endpointUrl(baseUrl: string, urlBase: string, endpoint: AppEndpoint): string {
  if (endpoint.underUrlBase) return `${baseUrl.replace(/\/+$/, "")}${endpoint.path}`;
  const base = normalizeUrlBase(urlBase);
  const origin = base !== "" && baseUrl.replace(/\/+$/, "").endsWith(base) ? baseUrl.replace(/\/+$/, "").slice(0, -base.length) : baseUrl.replace(/\/+$/, "");
  return `${origin}${endpoint.path}`;
}

/**
 * GETs an endpoint and judges the answer. Throws the request's AppError when no answer came
 * (unreachable, timeout); every HTTP answer is returned, judged.
 */
export async function readEndpoint(
  conn: Omit<HttpConnection, "baseUrl">,
  url: string,
  endpoint: AppEndpoint,
  signal?: AbortSignal,
): Promise<EndpointReading> {
  const u = new URL(url);
  const r = await httpRequest(
    { ...conn, baseUrl: u.origin },
    { path: `${u.pathname}${u.search}`, schema: z.string(), responseType: "text", acceptStatuses: ANY_STATUS, ...(signal ? { signal } : {}) },
  );
  const body = r.data.slice(0, 2000);
  const location = r.headers.get("location") ?? undefined;
  if (r.status < 200 || r.status >= 300) {
    return {
      status: r.status,
      body,
      latencyMs: r.latencyMs,
      matches: false,
      mismatch: r.status >= 300 && r.status < 400 ? `redirected (HTTP ${r.status})${location ? ` to ${location.split("?")[0] ?? ""}` : ""}` : `HTTP ${r.status}`,
      ...(location ? { location } : {}),
    };
  }
  return { status: r.status, body, latencyMs: r.latencyMs, ...judgeAnswer(endpoint.answer, body) };
}
