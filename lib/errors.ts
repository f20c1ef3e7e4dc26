/**
 * The one error model of the panel. Every failure that crosses a module boundary is an `AppError`
 * with a closed `code`; HTTP statuses and action results are derived from it in one place.
 */
export const ERROR_CODES = [
  "unreachable",
  "unauthorized",
  "invalid_response",
  "invalid_input",
  "not_found",
  "conflict",
  "timeout",
  "forbidden",
  "rate_limited",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  /** The app or subsystem the error is about (e.g. "sonarr", "kubernetes", "database"). */
  readonly source: string | undefined;

  constructor(code: ErrorCode, message: string, options: { source?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.source = options.source;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  unreachable: 502,
  unauthorized: 401,
  invalid_response: 502,
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  timeout: 504,
  forbidden: 403,
  rate_limited: 429,
  internal: 500,
};

/** HTTP status for an error code, used by route handlers. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/**
 * Turns anything thrown into an `AppError` whose message is safe to show to a user: unknown errors
 * never leak their message (it may hold a path, a query or a secret), only a generic sentence.
 */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError("internal", "Something went wrong on the server. The details are in the panel's log.", {
    cause: error,
  });
}
