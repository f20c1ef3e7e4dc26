import "server-only";
import type { FailedTestCache } from "@/server/apps/links";

/**
 * Failed connection tests kept for a while. A download-client test makes the *arr app log in to
 * qBittorrent; qBittorrent bans an address after a few failed logins, so a test that failed is not
 * repeated on every page view: its result is reused for `ttlMs`, and forgotten as soon as the panel
 * writes the link (the next read tests the new settings).
 */
export class TestFailureCache implements FailedTestCache {
  private readonly entries = new Map<string, { at: number; value: { message: string; appMessages: string[] } }>();

  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): { message: string; appMessages: string[] } | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (this.now() - hit.at >= this.ttlMs()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: { message: string; appMessages: string[] }): void {
    if (this.ttlMs() <= 0) return;
    this.entries.set(key, { at: this.now(), value });
  }

  /** Forgets every entry whose key starts with `prefix` (all when empty). */
  clear(prefix = ""): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
