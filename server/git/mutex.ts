import "server-only";

/**
 * Mutual exclusion per key (one per repository clone): callers run one at a time, in arrival order.
 * A failed holder releases the lock like a successful one.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

const holder = globalThis as typeof globalThis & { __panelGitMutex?: KeyedMutex };

/** The process-wide lock table for git clones (shared by every module instance in the process). */
export function gitMutex(): KeyedMutex {
  holder.__panelGitMutex ??= new KeyedMutex();
  return holder.__panelGitMutex;
}
