import type { ErrorCode } from "./errors";

/** What every server action returns: data on success, a code and a message the UI can show otherwise. */
export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; code: ErrorCode; message: string; fieldErrors?: Record<string, string[]> };
