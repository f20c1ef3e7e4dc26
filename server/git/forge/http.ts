import "server-only";
import { BodyTooLargeError, describeBytes, readResponseText } from "@/server/net/body-limit";
import type { z } from "zod";
import { AppError } from "@/lib/errors";
import { describeTokenSource, type TokenSource } from "./types";

/** What a forge request needs besides its path. */
export interface ForgeHttp {
  /** `github` or `gitea`: names the forge in messages. */
  forge: string;
  apiUrl: string;
  token: TokenSource;
  /** The Authorization header for a token. */
  authHeader: (token: string) => string;
  /** What the token needs, e.g. "Contents and Pull requests: read and write". */
  scope: string;
  /** `owner/repo`, for messages. */
  repo: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** A forge's answer to a failed request, for callers that handle some statuses themselves. */
export class ForgeHttpError extends AppError {
  constructor(
    readonly status: number,
    readonly forgeMessage: string,
    code: ConstructorParameters<typeof AppError>[0],
    message: string,
  ) {
    super(code, message, { source: "forge" });
  }
}

function forgeMessageOf(body: unknown): string {
  if (typeof body !== "object" || body === null) return "";
  const b = body as { message?: unknown; errors?: unknown };
  const extra = Array.isArray(b.errors)
    ? b.errors
        .map((e) => (typeof e === "object" && e !== null ? String((e as { message?: unknown; code?: unknown }).message ?? (e as { code?: unknown }).code ?? "") : String(e)))
        .filter(Boolean)
        .join("; ")
    : "";
  return [typeof b.message === "string" ? b.message : "", extra].filter(Boolean).join(": ");
}

/** The token, or an `unauthorized` AppError naming where it should come from. */
export function requireToken(http: ForgeHttp): string {
  const token = http.token.value;
  if (!token) {
    throw new AppError(
      "unauthorized",
      `No ${http.forge} token: the environment variable ${describeTokenSource(http.token)} is not set. It needs ${http.scope} on ${http.repo}.`,
      { source: "forge" },
    );
  }
  return token;
}

/**
 * One JSON request to the forge API. The answer is validated with `schema`; HTTP failures become
 * AppErrors (401: the token is refused, 403: missing scope or rate limit, 404: repository not found
 * or not visible, 422: the forge's own message).
 */
export async function forgeRequest<S extends z.ZodType>(
  http: ForgeHttp,
  req: { method: "GET" | "POST" | "PATCH"; path: string; body?: unknown; schema: S },
): Promise<z.infer<S>> {
  const token = requireToken(http);
  let res: Response;
  try {
    res = await fetch(`${http.apiUrl.replace(/\/+$/, "")}${req.path}`, {
      method: req.method,
      headers: {
        Accept: "application/json",
        Authorization: http.authHeader(token),
        "User-Agent": "k8s-nas-panel",
        ...(req.body === undefined ? {} : { "Content-Type": "application/json" }),
        ...http.headers,
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(http.timeoutMs),
      redirect: "follow",
    });
  } catch (error) {
    const timedOut = (error as { name?: string }).name === "TimeoutError";
    throw new AppError(timedOut ? "timeout" : "unreachable", `The ${http.forge} API at ${http.apiUrl} ${timedOut ? "did not answer in time" : "cannot be reached"}.`, {
      source: "forge",
      cause: error,
    });
  }
  let text: string;
  try {
    text = await readResponseText(res);
  } catch (error) {
    const what = error instanceof BodyTooLargeError ? `sent more than ${describeBytes(error.limit)} for ${req.method} ${req.path}; the panel stopped reading it` : `broke off its answer to ${req.method} ${req.path}`;
    throw new AppError(error instanceof BodyTooLargeError ? "invalid_response" : "unreachable", `The ${http.forge} API ${what}.`, { source: "forge", cause: error });
  }
  let body: unknown = undefined;
  if (text !== "") {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      if (res.ok) throw new AppError("invalid_response", `The ${http.forge} API answered ${req.method} ${req.path} with something that is not JSON.`, { source: "forge" });
    }
  }
  if (!res.ok) {
    const said = forgeMessageOf(body);
    const tokenWhere = describeTokenSource(http.token);
    if (res.status === 401) {
      throw new ForgeHttpError(401, said, "unauthorized", `The ${http.forge} API refused the token in ${tokenWhere} (HTTP 401${said ? `: ${said}` : ""}). Check that it is valid and not expired; it needs ${http.scope} on ${http.repo}.`);
    }
    if (res.status === 403) {
      const limited = res.headers.get("x-ratelimit-remaining") === "0";
      if (limited) throw new ForgeHttpError(403, said, "rate_limited", `The ${http.forge} API rate limit is exhausted; try again later.`);
      throw new ForgeHttpError(403, said, "forbidden", `The token in ${tokenWhere} may not do this on ${http.repo} (HTTP 403${said ? `: ${said}` : ""}). It needs ${http.scope}.`);
    }
    if (res.status === 404) {
      throw new ForgeHttpError(404, said, "not_found", `${http.forge} answered 404 for ${req.path}: the repository ${http.repo} does not exist at ${http.apiUrl}, or the token in ${http.token.env} cannot see it.`);
    }
    if (res.status === 409 || res.status === 422) {
      throw new ForgeHttpError(res.status, said, "conflict", `The ${http.forge} API refused the request: ${said || `HTTP ${res.status}`}.`);
    }
    throw new ForgeHttpError(res.status, said, "unreachable", `The ${http.forge} API answered HTTP ${res.status}${said ? `: ${said}` : ""}.`);
  }
  const parsed = req.schema.safeParse(body);
  if (!parsed.success) {
    throw new AppError("invalid_response", `The ${http.forge} API answered ${req.method} ${req.path} in an unexpected shape (${parsed.error.issues[0]?.path.join(".") ?? "?"}: ${parsed.error.issues[0]?.message ?? "?"}).`, {
      source: "forge",
    });
  }
  return parsed.data;
}
