import { describe, expect, it } from "vitest";
import { RequestRateLimiter } from "./rate-limiter.js";

describe("RequestRateLimiter", () => {
  it("lets `burst` requests through at once, then refuses one whose wait passes its deadline", async () => {
    const now = 1_000_000;
    const limiter = new RequestRateLimiter(2, 3, () => now);
    for (let i = 0; i < 3; i++) expect(await limiter.take(now)).toBe(0);
    // The fourth would wait 500 ms (2 a second): refused against a deadline of now.
    await expect(limiter.take(now)).rejects.toThrow(/--kube-api-qps 2, --kube-api-burst 3/);
  });
  it("waits for a token that comes before the deadline", async () => {
    const limiter = new RequestRateLimiter(100, 1);
    expect(await limiter.take(Date.now() + 1000)).toBe(0);
    const waited = await limiter.take(Date.now() + 1000);
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThanOrEqual(10);
  });
  it("refuses a qps or burst that cannot work", () => {
    expect(() => new RequestRateLimiter(0, 1)).toThrow(RangeError);
    expect(() => new RequestRateLimiter(1, 0)).toThrow(RangeError);
    expect(() => new RequestRateLimiter(1, 1.5)).toThrow(RangeError);
  });
});
