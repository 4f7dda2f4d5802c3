// A token bucket (the shape of client-go's flowcontrol rate limiter and of workqueue's
// BucketRateLimiter): `burst` tokens at most, refilled at `perSecond`. The controller uses one per
// object and one for all objects, so a flapping dependency cannot flood Flux with reconcile requests.
// Time is passed in, so the bucket is a pure value under test.

export interface TokenBucketOptions {
  /** Tokens added per second. */
  perSecond: number;
  /** Most tokens held at once (and the number available at the start). */
  burst: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number | undefined;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError(`token bucket needs perSecond > 0 and burst >= 1, got ${options.perSecond} and ${options.burst}`);
    }
    this.tokens = options.burst;
  }

  /** Milliseconds until a token is available at `nowMs` (0: one is available now). Takes nothing. */
  waitMs(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.options.perSecond) * 1000);
  }

  /** Takes a token if one is available at `nowMs`; returns whether it did. */
  tryTake(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket is full at `nowMs`: it remembers nothing and can be dropped. */
  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.options.burst;
  }

  private refill(nowMs: number): void {
    if (this.updatedAt !== undefined && nowMs > this.updatedAt) {
      const added = ((nowMs - this.updatedAt) / 1000) * this.options.perSecond;
      this.tokens = Math.min(this.options.burst, this.tokens + added);
    }
    if (this.updatedAt === undefined || nowMs > this.updatedAt) this.updatedAt = nowMs;
  }
}
