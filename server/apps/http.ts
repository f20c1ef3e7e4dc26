import "server-only";
import { BodyTooLargeError, describeBytes, MAX_RESPONSE_BYTES, readResponseText } from "@/server/net/body-limit";
import { scrubSecrets } from "@/lib/redact";
import type { z } from "zod";
import { AppError, type ErrorCode } from "@/lib/errors";

/**
 * The one HTTP path every app client goes through: URL base joining, a per-request timeout
 * (AbortController, also covering the body), an optional outer abort signal (the prober's deadline),
 * zod validation of what comes back, and the mapping of every failure to an `AppError` with a closed
 * code. Messages name the app, the method and the path, never the query (SABnzbd carries its key
 * there) and never a secret: known secret values are scrubbed from any text taken from a response.
 */

/** Where and how a client talks to one app instance. */
export interface HttpConnection {
  /** Base URL including the app's URL base, e.g. `http://sonarr.media.svc.cluster.local:8989/sonarr`. */
  baseUrl: string;
  /** Timeout of one request (connect, headers and body), in milliseconds. */
  timeoutMs: number;
  /** App name used in messages ("Sonarr"). */
  appName: string;
  /** App id used as the `source` of errors ("sonarr"). */
  source: string;
  /** Secret values that must never appear in a message (API key, password). */
  secrets?: ReadonlyArray<string | undefined>;
  /** HTTP statuses that mean "credentials refused" for this app (default: 401). */
  unauthorizedStatuses?: number[];
  /** Largest body read (default {@link MAX_RESPONSE_BYTES}); past it the request fails as `invalid_response`. */
  maxBodyBytes?: number;
}

type QueryValue = string | number | boolean | undefined;

/** One request. `schema` validates the parsed body (JSON, or the text with `responseType: "text"`). */
export interface RequestSpec<T> {
  path: string;
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  query?: Record<string, QueryValue>;
  /** JSON body, or `{ form }` for `application/x-www-form-urlencoded`. */
  body?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  schema: z.ZodType<T>;
  responseType?: "json" | "text";
  /** Outer cancellation (the prober's per-probe deadline). */
  signal?: AbortSignal;
  /** Treat these statuses as an answer rather than an error (the body is still validated). */
  acceptStatuses?: number[];
}

/** A successful answer. */
export interface HttpResult<T> {
  data: T;
  status: number;
  headers: Headers;
  /** Request start to body read, in milliseconds. */
  latencyMs: number;
}

/** An error from an app that answered with an HTTP status: the status is kept for callers that need it. */
export class AppHttpError extends AppError {
  readonly status: number;
  /** Messages the app gave (validation failures, `message` fields), already scrubbed. */
  readonly appMessages: string[];
  constructor(code: ErrorCode, message: string, status: number, appMessages: string[], source: string) {
    super(code, message, { source });
    this.name = "AppHttpError";
    this.status = status;
    this.appMessages = appMessages;
  }
}

/** Joins a base URL (with or without URL base and trailing slash) and an absolute path. */
export function joinUrl(baseUrl: string, path: string, query?: Record<string, QueryValue>): URL {
  const base = baseUrl.replace(/\/+$/, "");
  const url = new URL(`${base}${path.startsWith("/") ? path : `/${path}`}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

/** Replaces known secret values in `text` by `[redacted]` (whole tokens; see lib/redact.ts). */
export { scrubSecrets };

function shorten(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Pulls human messages out of an error body: `{message}`, `{error}`, *arr validation arrays, plain text. */
export function appMessagesOf(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  try {
    const parsed: unknown = JSON.parse(trimmed);
    const pick = (v: unknown): string | undefined => {
      if (typeof v === "string") return v;
      if (typeof v !== "object" || v === null) return undefined;
      const o = v as Record<string, unknown>;
      for (const key of ["errorMessage", "message", "error", "detail", "title", "issue"]) {
        if (typeof o[key] === "string" && o[key] !== "") return o[key];
      }
      return undefined;
    };
    if (Array.isArray(parsed)) return parsed.map(pick).filter((m): m is string => m !== undefined).map((m) => shorten(m));
    const one = pick(parsed);
    return one === undefined ? [] : [shorten(one)];
  } catch {
    // Plain text or HTML: keep plain text only.
    return /<html|<!doctype/i.test(trimmed) ? [] : [shorten(trimmed)];
  }
}

interface NetCause {
  code?: string;
  errors?: unknown[];
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const c = current as NetCause & { cause?: unknown };
    if (typeof c.code === "string") return c.code;
    if (Array.isArray(c.errors) && c.errors.length > 0) {
      const inner = networkCode(c.errors[0]);
      if (inner) return inner;
    }
    current = c.cause;
  }
  return undefined;
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
  UND_ERR_SOCKET: "connection closed",
  ERR_INVALID_URL: "invalid URL",
};

function describeTarget(method: string, path: string): string {
  return `${method} ${path.split("?")[0]}`;
}

function statusError(conn: HttpConnection, method: string, path: string, status: number, text: string, location: string | null): AppHttpError {
  const where = describeTarget(method, path);
  const messages = appMessagesOf(text).map((m) => scrubSecrets(m, conn.secrets));
  const said = messages.length > 0 ? `: ${messages.join("; ")}` : "";
  const unauthorized = conn.unauthorizedStatuses ?? [401];
  let code: ErrorCode;
  let message: string;
  if (unauthorized.includes(status)) {
    code = "unauthorized";
    // Without a credential there was nothing to reject: say that it is missing.
    const sent = (conn.secrets ?? []).some((s) => typeof s === "string" && s !== "");
    message = sent ? `${conn.appName} rejected the API key (HTTP ${status})` : `${conn.appName}: API key missing, the panel has none to send (HTTP ${status})`;
  } else if (status >= 300 && status < 400) {
    code = "not_found";
    const to = location ? ` to ${scrubSecrets(location.split("?")[0] ?? "", conn.secrets)}` : "";
    message = `${conn.appName} redirected ${where}${to}: wrong URL base?`;
  } else if (status === 404) {
    code = "not_found";
    message = `${conn.appName} answered 404 for ${where}: wrong URL base?`;
  } else if (status === 403) {
    code = "forbidden";
    message = `${conn.appName} refused ${where} (HTTP 403)${said}`;
  } else if (status === 400 || status === 422) {
    code = "invalid_input";
    message = `${conn.appName} refused the request ${where} (HTTP ${status})${said}`;
  } else if (status === 409) {
    code = "conflict";
    message = `${conn.appName} reports a conflict for ${where}${said}`;
  } else if (status === 429) {
    code = "rate_limited";
    message = `${conn.appName} asks to slow down (HTTP 429)`;
  } else if (status === 502 || status === 503) {
    code = "unreachable";
    message = `${conn.appName} is unavailable (HTTP ${status})${said}`;
  } else if (status === 504 || status === 408) {
    code = "timeout";
    message = `${conn.appName} timed out (HTTP ${status})`;
  } else {
    code = "invalid_response";
    message = `${conn.appName} answered HTTP ${status} for ${where}${said}`;
  }
  return new AppHttpError(code, message, status, messages, conn.source);
}

/**
 * Sends one request and returns the validated body. Throws only `AppError`s (`AppHttpError` when
 * the app answered with an error status).
 */
export async function httpRequest<T>(conn: HttpConnection, spec: RequestSpec<T>): Promise<HttpResult<T>> {
  const method = spec.method ?? "GET";
  const where = describeTarget(method, spec.path);
  let url: URL;
  try {
    url = joinUrl(conn.baseUrl, spec.path, spec.query);
  } catch {
    throw new AppError("invalid_input", `${conn.appName}: the address ${scrubSecrets(conn.baseUrl, conn.secrets)} is not a valid URL`, {
      source: conn.source,
    });
  }
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), conn.timeoutMs);
  const signal = spec.signal ? AbortSignal.any([timeout.signal, spec.signal]) : timeout.signal;
  const headers: Record<string, string> = { accept: spec.responseType === "text" ? "text/plain, */*" : "application/json", ...spec.headers };
  let body: string | undefined;
  if (spec.form) {
    body = new URLSearchParams(spec.form).toString();
    headers["content-type"] = "application/x-www-form-urlencoded";
  } else if (spec.body !== undefined) {
    body = JSON.stringify(spec.body);
    headers["content-type"] = "application/json";
  }
  const started = performance.now();
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { method, headers, body, signal, redirect: "manual", cache: "no-store" });
    text = method === "HEAD" ? "" : await readResponseText(response, conn.maxBodyBytes ?? MAX_RESPONSE_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new AppError("invalid_response", `${conn.appName} sent more than ${describeBytes(error.limit)} for ${where}; the panel stopped reading it`, {
        source: conn.source,
      });
    }
    if (timeout.signal.aborted || spec.signal?.aborted) {
      const ms = timeout.signal.aborted ? conn.timeoutMs : Math.round(performance.now() - started);
      throw new AppError("timeout", `${conn.appName} did not answer ${where} within ${ms} ms`, { source: conn.source });
    }
    const code = networkCode(error);
    if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "ETIMEDOUT" || code === "UND_ERR_HEADERS_TIMEOUT") {
      throw new AppError("timeout", `${conn.appName} did not answer ${where} (${code})`, { source: conn.source });
    }
    const words = (code && NETWORK_WORDS[code]) ?? "no connection";
    throw new AppError("unreachable", `${conn.appName} is unreachable: ${words}${code ? ` (${code})` : ""}`, {
      source: conn.source,
      cause: code ? new Error(code) : undefined,
    });
  } finally {
    clearTimeout(timer);
  }
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  const accepted = spec.acceptStatuses?.includes(response.status) ?? false;
  if (!accepted && (response.status < 200 || response.status >= 300)) {
    throw statusError(conn, method, spec.path, response.status, text, response.headers.get("location"));
  }
  let raw: unknown = text;
  if (spec.responseType !== "text") {
    try {
      raw = text.trim() === "" ? null : JSON.parse(text);
    } catch {
      const type = response.headers.get("content-type") ?? "";
      if (/text\/html/i.test(type) || /^\s*<(!doctype|html)/i.test(text)) {
        throw new AppHttpError(
          "not_found",
          `${conn.appName} answered ${where} with a web page instead of JSON: wrong URL base?`,
          response.status,
          [],
          conn.source,
        );
      }
      throw new AppHttpError("invalid_response", `${conn.appName} sent malformed JSON for ${where}`, response.status, [], conn.source);
    }
  }
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new AppHttpError(
      "invalid_response",
      `${conn.appName} sent an unexpected response for ${where} (${field}${issue?.message ?? "invalid"})`,
      response.status,
      [],
      conn.source,
    );
  }
  return { data: parsed.data, status: response.status, headers: response.headers, latencyMs };
}

/**
 * Downloads a file the app serves (a backup archive) as bytes, at most `maxBytes`. A redirect is
 * not followed: the *arr apps redirect to their sign-in page when their UI asks for a login, which
 * is `unauthorized` here with the reason. Throws only `AppError`s.
 */
export async function httpDownload(
  conn: HttpConnection,
  spec: { path: string; headers?: Record<string, string>; signal?: AbortSignal; maxBytes?: number },
): Promise<Buffer> {
  const where = describeTarget("GET", spec.path);
  let url: URL;
  try {
    url = joinUrl(conn.baseUrl, spec.path);
  } catch {
    throw new AppError("invalid_input", `${conn.appName}: the address ${scrubSecrets(conn.baseUrl, conn.secrets)} is not a valid URL`, { source: conn.source });
  }
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), conn.timeoutMs);
  const signal = spec.signal ? AbortSignal.any([timeout.signal, spec.signal]) : timeout.signal;
  const max = spec.maxBytes ?? 512 * 1024 * 1024;
  try {
    const response = await fetch(url, { headers: { accept: "*/*", ...spec.headers }, signal, redirect: "manual", cache: "no-store" });
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location") ?? "";
      await response.body?.cancel();
      if (/login/i.test(location)) {
        throw new AppHttpError(
          "unauthorized",
          `${conn.appName} serves its backup files to signed-in users only (it redirected ${where} to its sign-in page); set its Authentication Required to "Disabled for Local Addresses" to let the panel check archives`,
          response.status,
          [],
          conn.source,
        );
      }
      throw statusError(conn, "GET", spec.path, response.status, "", location);
    }
    if (response.status < 200 || response.status >= 300) throw statusError(conn, "GET", spec.path, response.status, await response.text(), response.headers.get("location"));
    const length = Number(response.headers.get("content-length") ?? "0");
    if (length > max) {
      await response.body?.cancel();
      throw new AppError("invalid_response", `${conn.appName}: ${where} is ${length} bytes, more than the ${max} the panel reads`, { source: conn.source });
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > max) throw new AppError("invalid_response", `${conn.appName}: ${where} is larger than the ${max} bytes the panel reads`, { source: conn.source });
    return bytes;
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (timeout.signal.aborted || spec.signal?.aborted) throw new AppError("timeout", `${conn.appName} did not send ${where} within ${conn.timeoutMs} ms`, { source: conn.source });
    const code = networkCode(error);
    const words = (code && NETWORK_WORDS[code]) ?? "no connection";
    throw new AppError("unreachable", `${conn.appName} is unreachable: ${words}${code ? ` (${code})` : ""}`, { source: conn.source });
  } finally {
    clearTimeout(timer);
  }
}

/** Options of one instance of a client that sends its key in a header. */
export interface KeyClientOptions {
  /** Base URL with the URL base, e.g. `http://sonarr.media.svc.cluster.local:8989/sonarr`. */
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  /** Other secret values that must never appear in a message (keys written into the app). */
  secrets?: ReadonlyArray<string | undefined>;
}

/** What differs between the apps a {@link KeyHeaderClient} talks to. */
export interface KeyHeaderApp {
  /** App name used in messages ("Bazarr"). */
  appName: string;
  /** App id used as the `source` of errors ("bazarr"). */
  source: string;
  /** The header(s) carrying the key: `{ "X-Api-Key": key }`, Jellyfin's `Authorization: MediaBrowser Token="..."`. */
  keyHeader(key: string): Record<string, string>;
}

/**
 * The client of an app that authenticates every request with its key in a header (the *arr apps,
 * Jellyseerr and Seerr, Bazarr, Gluetun's control server, Jellyfin; an app without authentication,
 * FlareSolverr, is the same without a key). One instance per app instance; subclasses add typed
 * operations on top of {@link request}. The key never travels in the query.
 */
export class KeyHeaderClient {
  readonly appName: string;
  protected readonly conn: HttpConnection;
  private readonly headers: Record<string, string>;

  constructor(app: KeyHeaderApp, options: KeyClientOptions) {
    this.appName = app.appName;
    this.headers = options.apiKey ? app.keyHeader(options.apiKey) : {};
    this.conn = {
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      appName: app.appName,
      source: app.source,
      secrets: [options.apiKey, ...(options.secrets ?? [])],
    };
  }

  /** The one request path of the client: the key header on every request. */
  protected request<T>(spec: Omit<RequestSpec<T>, "headers">): Promise<HttpResult<T>> {
    return httpRequest(this.conn, { ...spec, headers: this.headers });
  }

  /** A file the app serves (a backup archive), with the key header. */
  protected download(spec: { path: string; signal?: AbortSignal; maxBytes?: number }): Promise<Buffer> {
    return httpDownload(this.conn, { ...spec, headers: this.headers });
  }
}
