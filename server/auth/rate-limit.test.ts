import { describe, expect, it } from "vitest";
import { FailureLimiter } from "./rate-limit";

describe("FailureLimiter", () => {
  it("blocks after max failures within the window and frees the key afterwards", () => {
    const limiter = new FailureLimiter(3, 60_000);
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) {
      expect(limiter.isBlocked("admin", t0 + i)).toBe(false);
      limiter.recordFailure("admin", t0 + i);
    }
    expect(limiter.isBlocked("admin", t0 + 10)).toBe(true);
    expect(limiter.retryAfterSeconds("admin", t0 + 10)).toBe(60);
    expect(limiter.isBlocked("other", t0 + 10)).toBe(false);
    expect(limiter.isBlocked("admin", t0 + 60_001)).toBe(false);
  });

  it("reset clears a key after a successful sign-in", () => {
    const limiter = new FailureLimiter(1, 60_000);
    limiter.recordFailure("a", 5);
    expect(limiter.isBlocked("a", 6)).toBe(true);
    limiter.reset("a");
    expect(limiter.isBlocked("a", 7)).toBe(false);
  });
});
