/** Waiting on conditions: the lab polls what it can observe, never sleeps a guessed time. */

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Options of {@link waitFor}. */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Progress lines (`waiting for ... (12s)`), at most every `progressEveryMs`. */
  log?: (msg: string) => void;
  progressEveryMs?: number;
  /** What the wait is at, for progress lines and the timeout message. */
  describe?: () => string;
  /** A reason to give up at once (the process that should answer exited); checked after each failed check. */
  abort?: () => string | undefined;
}

/**
 * Polls `check` until it returns a value other than undefined/false, printing `progress` lines
 * at most every `progressEveryMs`. Rejects with the last description after `timeoutMs`, or as
 * soon as `abort` names a reason. A check that throws counts as not yet.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, opts: WaitOptions = {}): Promise<T> {
  const timeout = opts.timeoutMs ?? 60_000;
  const start = Date.now();
  let lastLog = start;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    const aborted = opts.abort?.();
    if (aborted !== undefined) throw new Error(`${what}: ${aborted}`);
    const now = Date.now();
    if (now - start > timeout) {
      const detail = opts.describe?.() ?? (lastError instanceof Error ? lastError.message : '');
      throw new Error(`timed out after ${Math.round(timeout / 1000)}s waiting for ${what}${detail ? `: ${detail}` : ''}`);
    }
    if (opts.log && now - lastLog >= (opts.progressEveryMs ?? 3000)) {
      lastLog = now;
      const detail = opts.describe?.();
      opts.log(`  waiting for ${what} (${Math.round((now - start) / 1000)}s)${detail ? `: ${detail}` : ''}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}
