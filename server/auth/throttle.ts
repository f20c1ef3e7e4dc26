import "server-only";

/**
 * Sign-in throttling that slows guessing without letting a stranger lock the owner out.
 *
 * - Per client and account (address + account name): `freeFailures` failures, then each further one
 *   makes that client wait before its next try on that account, doubling from 10 s up to
 *   `maxDelayMs`. A correct password from another address is not affected.
 * - Per address across accounts: the same with four times the free failures (a household behind one
 *   NAT address shares it).
 * - Per account from everywhere: a short wait before the password check once the account has more
 *   failures than `freeFailures`, doubling from 250 ms but never above `accountDelayCapMs` (a few
 *   seconds): it slows a guesser with many addresses but never refuses anyone.
 * - Globally: once `attemptsPerMinute` password checks ran in the last minute, clients with a recent
 *   failure are refused until the minute frees up; clients without one still get their try.
 *
 * Refusals cost nothing (no scrypt). An attempt holds a slot from {@link SignInThrottle.begin} to
 * {@link SignInThrottle.settle}, so a burst of parallel tries cannot slip past the limits before the
 * first result is in. In memory: the panel runs as one replica; a restart forgets, which is fine.
 */

export interface ThrottleOptions {
  freeFailures: number;
  maxDelayMs: number;
  /** Failures are forgotten after this long without a new one. */
  memoryMs: number;
  attemptsPerMinute: number;
  accountDelayCapMs?: number;
  /** First wait of a client past its free failures (default 10 s). */
  baseDelayMs?: number;
  /** Entries kept per map before the oldest are dropped (default 10,000). */
  maxEntries?: number;
}

/** Why an attempt was refused without checking the password. */
export type RefusalReason = "client" | "address" | "busy";

/** A reserved attempt, to settle when its result is known. */
export interface ThrottleTicket {
  account: string;
  address: string;
  settled: boolean;
}

export type ThrottleVerdict =
  | { ok: true; ticket: ThrottleTicket; waitMs: number }
  | { ok: false; reason: RefusalReason; retryAfterSeconds: number };

interface Counter {
  failures: number;
  last: number;
  /** The holder may try again from this time on (0: no wait). */
  until: number;
  inflight: number;
}

const BASE_DELAY_MS = 10_000;
const ACCOUNT_BASE_DELAY_MS = 250;

export class SignInThrottle {
  private readonly pairs = new Map<string, Counter>();
  private readonly addresses = new Map<string, Counter>();
  private readonly accounts = new Map<string, Counter>();
  /** Password checks per second over the last 60 seconds. */
  private readonly buckets = new Array<number>(60).fill(0);
  private bucketSecond = 0;

  constructor(private readonly o: ThrottleOptions) {}

  private get addressFree(): number {
    return this.o.freeFailures * 4;
  }

  private delay(failures: number, free: number): number {
    if (failures < free) return 0;
    const base = this.o.baseDelayMs ?? BASE_DELAY_MS;
    return Math.min(this.o.maxDelayMs, base * 2 ** Math.min(30, failures - free));
  }

  private counter(map: Map<string, Counter>, key: string, now: number, create: boolean): Counter | undefined {
    const c = map.get(key);
    if (c && c.inflight === 0 && now - c.last > this.o.memoryMs) {
      map.delete(key);
      return create ? this.counter(map, key, now, true) : undefined;
    }
    if (c || !create) return c;
    const fresh: Counter = { failures: 0, last: now, until: 0, inflight: 0 };
    map.set(key, fresh);
    this.bound(map, now);
    return fresh;
  }

  private bound(map: Map<string, Counter>, now: number): void {
    const max = this.o.maxEntries ?? 10_000;
    if (map.size <= max) return;
    for (const [k, c] of map) if (c.inflight === 0 && now - c.last > this.o.memoryMs) map.delete(k);
    for (const [k, c] of map) {
      if (map.size <= max) break;
      if (c.inflight === 0) map.delete(k);
    }
  }

  /** Seconds until this counter lets its holder try again; 0 when it may try now. */
  private wait(c: Counter | undefined, free: number, now: number): number {
    if (!c) return 0;
    if (c.until > now) return Math.max(1, Math.ceil((c.until - now) / 1000));
    // Past the free failures, one try at a time: a parallel burst waits for the first result.
    if (c.failures + c.inflight >= free && c.inflight > 0) return Math.max(1, Math.ceil(this.delay(c.failures + 1, free) / 1000));
    return 0;
  }

  private roll(now: number): number {
    const second = Math.floor(now / 1000);
    if (second - this.bucketSecond >= 60) this.buckets.fill(0);
    else for (let s = this.bucketSecond + 1; s <= second; s++) this.buckets[s % 60] = 0;
    this.bucketSecond = Math.max(this.bucketSecond, second);
    return this.buckets.reduce((a, b) => a + b, 0);
  }

  /** Asks whether `account` may be tried from `address` now; on yes the attempt holds a slot. */
  begin(account: string, address: string, now = Date.now()): ThrottleVerdict {
    const acct = account.toLowerCase();
    const pairKey = `${acct}\n${address}`;
    const pair = this.counter(this.pairs, pairKey, now, false);
    const byAddress = this.counter(this.addresses, address, now, false);
    const clientWait = this.wait(pair, this.o.freeFailures, now);
    if (clientWait > 0) return { ok: false, reason: "client", retryAfterSeconds: clientWait };
    const addressWait = this.wait(byAddress, this.addressFree, now);
    if (addressWait > 0) return { ok: false, reason: "address", retryAfterSeconds: addressWait };
    const checksThisMinute = this.roll(now);
    const flagged = (pair?.failures ?? 0) > 0 || (byAddress?.failures ?? 0) > 0;
    if (flagged && checksThisMinute >= this.o.attemptsPerMinute) {
      return { ok: false, reason: "busy", retryAfterSeconds: Math.max(1, 60 - (Math.floor(now / 1000) % 60)) };
    }
    this.buckets[Math.floor(now / 1000) % 60] = (this.buckets[Math.floor(now / 1000) % 60] ?? 0) + 1;
    const a = this.counter(this.accounts, acct, now, true) as Counter;
    for (const c of [this.counter(this.pairs, pairKey, now, true), this.counter(this.addresses, address, now, true), a]) {
      if (c) c.inflight++;
    }
    const over = a.failures - this.o.freeFailures;
    const waitMs = over < 0 ? 0 : Math.min(this.o.accountDelayCapMs ?? 3000, ACCOUNT_BASE_DELAY_MS * 2 ** Math.min(30, over));
    return { ok: true, ticket: { account: acct, address, settled: false }, waitMs };
  }

  /** Records the result of an attempt `begin` allowed. */
  settle(ticket: ThrottleTicket, success: boolean, now = Date.now()): void {
    if (ticket.settled) return;
    ticket.settled = true;
    const pairKey = `${ticket.account}\n${ticket.address}`;
    const entries: Array<[Map<string, Counter>, string, number]> = [
      [this.pairs, pairKey, this.o.freeFailures],
      [this.addresses, ticket.address, this.addressFree],
      [this.accounts, ticket.account, this.o.freeFailures],
    ];
    for (const [map, key, free] of entries) {
      const c = map.get(key);
      if (!c) continue;
      c.inflight = Math.max(0, c.inflight - 1);
      if (success) {
        // The account's own counter keeps counting: it only ever slows, never refuses.
        if (map !== this.accounts) map.delete(key);
        continue;
      }
      c.failures++;
      c.last = now;
      c.until = map === this.accounts ? 0 : now + this.delay(c.failures, free);
      // Most recently used last: the oldest go first when a map is full.
      map.delete(key);
      map.set(key, c);
    }
  }

  /** Number of remembered clients, addresses and accounts (for tests and metrics). */
  size(): { pairs: number; addresses: number; accounts: number } {
    return { pairs: this.pairs.size, addresses: this.addresses.size, accounts: this.accounts.size };
  }
}
