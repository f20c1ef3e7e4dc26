import "server-only";
import { AppError } from "@/lib/errors";

/** SQLite's and the file system's codes for "another connection holds the lock". */
const BUSY_CODES = new Set(["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_TIMEOUT", "SQLITE_LOCKED"]);
/** ...and for "the volume has no room" (SQLite reports a failed WAL or journal write as an I/O error). */
const FULL_CODES = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT", "EFBIG"]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether an error is a disk or I/O failure of the database file (a full volume surfaces as one). */
function isFull(error: unknown): boolean {
  const code = codeOf(error);
  if (code && FULL_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : "";
  return /disk is full|no space left on device|file too large/i.test(message);
}

/**
 * The panel's database failing under it, as an `AppError` with a message a user can act on: busy
 * (another process holds a write lock past the busy timeout) or full (the data volume has no room).
 * Nothing was saved in either case: SQLite rolls the statement back. Other errors come back as they were.
 */
export function databaseFault(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = codeOf(error);
  if (code && BUSY_CODES.has(code)) {
    return new AppError(
      "timeout",
      "The panel's database is busy: another process holds a write lock on it (the panel waited 5 s). Nothing was saved; try again, and stop whatever else opens panel.sqlite if it keeps happening.",
      { source: "database", cause: error },
    );
  }
  if (isFull(error) || (code?.startsWith("SQLITE_IOERR") && isFull((error as { cause?: unknown }).cause))) {
    return new AppError(
      "internal",
      "The panel's data volume is full: nothing was saved and what was saved before is intact. Free space on the volume (or make it bigger) and try again.",
      { source: "database", cause: error },
    );
  }
  return error;
}
