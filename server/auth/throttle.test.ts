import { describe, expect, it } from "vitest";
import { SignInThrottle, type ThrottleOptions } from "./throttle";

const OPTIONS: ThrottleOptions = { freeFailures: 3, maxDelayMs: 15 * 60_000, memoryMs: 15 * 60_000, attemptsPerMinute: 20 };
const T0 = 1_700_000_000_000;

function fail(t: SignInThrottle, account: string, address: string, now: number): void {
  const v = t.begin(account, address, now);
  if (!v.ok) throw new Error(`refused at ${now}: ${v.reason}`);
  t.settle(v.ticket, false, now);
}

describe("SignInThrottle", () => {
  it("gives a client its free failures, then waits that double up to the cap", () => {
    const t = new SignInThrottle(OPTIONS);
    let now = T0;
    for (let i = 0; i < 3; i++) fail(t, "admin", "10.0.0.9", (now += 1000));
    expect(t.begin("admin", "10.0.0.9", now + 1)).toEqual({ ok: false, reason: "client", retryAfterSeconds: 10 });
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const refused = t.begin("admin", "10.0.0.9", now + 1);
      if (refused.ok) throw new Error("expected a wait");
      waits.push(refused.retryAfterSeconds);
      now += refused.retryAfterSeconds * 1000;
      fail(t, "admin", "10.0.0.9", now);
    }
    expect(waits).toEqual([10, 20, 40, 80, 160, 320, 640, 900, 900]);
  });

  it("never lets a stranger's failures keep the owner out from another address", () => {
    const t = new SignInThrottle(OPTIONS);
    let now = T0;
    for (let round = 0; round < 50; round++) {
      for (const attacker of ["192.168.1.66", "192.168.1.67", "192.168.1.68"]) {
        const v = t.begin("admin", attacker, (now += 100));
        if (v.ok) t.settle(v.ticket, false, now);
      }
    }
    const owner = t.begin("admin", "192.168.1.10", (now += 100));
    expect(owner.ok).toBe(true);
    if (!owner.ok) return;
    // The account is slowed for everyone, by a few seconds at most.
    expect(owner.waitMs).toBeGreaterThan(0);
    expect(owner.waitMs).toBeLessThanOrEqual(3000);
    t.settle(owner.ticket, true, now);
    expect(t.begin("admin", "192.168.1.10", now + 1).ok).toBe(true);
  });

  it("lets one address try a few accounts, then slows the address itself", () => {
    const t = new SignInThrottle(OPTIONS);
    let now = T0;
    for (let i = 0; i < 12; i++) fail(t, `user${i}`, "10.0.0.5", (now += 10));
    expect(t.begin("someone-else", "10.0.0.5", now + 1)).toMatchObject({ ok: false, reason: "address" });
    expect(t.begin("someone-else", "10.0.0.6", now + 1).ok).toBe(true);
  });

  it("admits only the free failures of a parallel burst before the first result is in", () => {
    const t = new SignInThrottle(OPTIONS);
    const verdicts = Array.from({ length: 10 }, () => t.begin("admin", "10.0.0.9", T0));
    expect(verdicts.filter((v) => v.ok)).toHaveLength(3);
    expect(verdicts.filter((v) => !v.ok).every((v) => !v.ok && v.reason === "client")).toBe(true);
    for (const v of verdicts) if (v.ok) t.settle(v.ticket, false, T0 + 5);
    expect(t.begin("admin", "10.0.0.9", T0 + 6)).toMatchObject({ ok: false, reason: "client", retryAfterSeconds: 10 });
  });

  it("past the global ceiling refuses clients with failures but still lets a clean one try", () => {
    const t = new SignInThrottle({ ...OPTIONS, attemptsPerMinute: 5 });
    const now = T0 + 30_000;
    for (let i = 0; i < 5; i++) fail(t, `guess${i}`, `10.1.0.${i}`, now);
    expect(t.begin("guess9", "10.1.0.1", now + 100)).toMatchObject({ ok: false, reason: "busy" });
    expect(t.begin("admin", "192.168.1.10", now + 100).ok).toBe(true);
    // A minute later the ceiling has room again.
    expect(t.begin("guess9", "10.1.0.1", now + 61_000).ok).toBe(true);
  });

  it("forgets failures after the memory window and resets a client on success", () => {
    const t = new SignInThrottle(OPTIONS);
    for (let i = 0; i < 3; i++) fail(t, "admin", "10.0.0.9", T0 + i);
    expect(t.begin("admin", "10.0.0.9", T0 + 100).ok).toBe(false);
    expect(t.begin("admin", "10.0.0.9", T0 + 16 * 60_000).ok).toBe(true);

    const u = new SignInThrottle(OPTIONS);
    fail(u, "admin", "10.0.0.9", T0);
    fail(u, "admin", "10.0.0.9", T0 + 1);
    const ok = u.begin("admin", "10.0.0.9", T0 + 2);
    if (!ok.ok) throw new Error("expected a try");
    u.settle(ok.ticket, true, T0 + 3);
    for (let i = 0; i < 3; i++) fail(u, "admin", "10.0.0.9", T0 + 10 + i);
    expect(u.begin("admin", "10.0.0.9", T0 + 20).ok).toBe(false);
  });

  it("keeps its memory bounded under a flood of distinct names", () => {
    const t = new SignInThrottle({ ...OPTIONS, maxEntries: 100, attemptsPerMinute: 1_000_000 });
    for (let i = 0; i < 1000; i++) {
      const v = t.begin(`name${i}`, `10.2.${Math.floor(i / 250)}.${i % 250}`, T0 + i);
      if (v.ok) t.settle(v.ticket, false, T0 + i);
    }
    const size = t.size();
    expect(size.pairs).toBeLessThanOrEqual(100);
    expect(size.addresses).toBeLessThanOrEqual(100);
    expect(size.accounts).toBeLessThanOrEqual(100);
  });
});
