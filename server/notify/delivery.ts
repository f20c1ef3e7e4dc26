import "server-only";
import type { NotificationMessage } from "@/lib/alerts/message";

/** What a target does with one message. */
export type DeliveryResult =
  | { ok: true; id?: string }
  | {
      ok: false;
      /** Shown on the Settings page and in the history; never holds a secret. */
      error: string;
      /** The target asked to wait this long (HTTP 429 `Retry-After`). */
      retryAfterMs?: number;
    };

/** A configured target, ready to send. */
export interface NotificationTarget {
  name: string;
  type: "ntfy" | "webhook";
  /** Where it goes, without secrets. */
  destination: string;
  minSeverity: "critical" | "warning" | "info";
  /** Why it cannot send (a variable it names is not set); messages wait until it can. */
  problem?: string;
  send(message: NotificationMessage & { id: number; createdAt: number }, opts: { signal?: AbortSignal }): Promise<DeliveryResult>;
}

/** `Retry-After` in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 3_600_000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.min(at - now, 3_600_000));
}
