import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket.js";

describe("TokenBucket", () => {
  it("allows a burst, then one token per refill period", () => {
    const bucket = new TokenBucket({ perSecond: 2, burst: 3 });
    expect([bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0)]).toEqual([true, true, true, false]);
    expect(bucket.waitMs(0)).toBe(500);
    expect(bucket.tryTake(499)).toBe(false);
    expect(bucket.tryTake(500)).toBe(true);
    expect(bucket.tryTake(500)).toBe(false);
  });

  it("never holds more than the burst however long it waits", () => {
    const bucket = new TokenBucket({ perSecond: 10, burst: 2 });
    bucket.tryTake(0);
    bucket.tryTake(0);
    expect(bucket.isFull(0)).toBe(false);
    expect(bucket.isFull(1_000_000)).toBe(true);
    expect([bucket.tryTake(1_000_000), bucket.tryTake(1_000_000), bucket.tryTake(1_000_000)]).toEqual([true, true, false]);
  });

  it("ignores a clock that goes backwards", () => {
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 });
    expect(bucket.tryTake(5000)).toBe(true);
    expect(bucket.tryTake(1000)).toBe(false);
    expect(bucket.waitMs(5500)).toBe(500);
  });

  it("rejects settings that could never give a token", () => {
    expect(() => new TokenBucket({ perSecond: 0, burst: 1 })).toThrow(/perSecond > 0/);
    expect(() => new TokenBucket({ perSecond: 1, burst: 0 })).toThrow(/burst >= 1/);
  });
});
