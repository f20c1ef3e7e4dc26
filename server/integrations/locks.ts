import "server-only";

/**
 * Per-key mutual exclusion inside the panel's process: work on one app waits for the previous work
 * on that app to finish, work on different apps runs side by side. Applying a link reads the app
 * again under its lock, so two tabs (or two people) clicking "fix" at once cannot create the same
 * definition twice: the second finds the first one's result. The panel runs as one replica
 * (SQLite), so a process-wide lock is enough.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier holder of `key` is done; releases the key even when it throws. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys currently held or awaited (tests). */
  get size(): number {
    return this.tails.size;
  }
}

const holder = globalThis as typeof globalThis & { __panelIntegrationLocks?: KeyedMutex };

/** The process-wide per-app locks of the integrations. */
export function getAppLocks(): KeyedMutex {
  holder.__panelIntegrationLocks ??= new KeyedMutex();
  return holder.__panelIntegrationLocks;
}
