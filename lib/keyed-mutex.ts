/**
 * Mutual exclusion per key inside one process: work on a key waits for the earlier work on that key
 * to finish, in arrival order; work on different keys runs side by side. A failed holder releases
 * the key like a successful one. The panel runs as one replica (SQLite), so a process-wide lock is
 * enough: the integrations lock per app (two tabs applying one fix cannot create a definition
 * twice), Git per repository clone.
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
