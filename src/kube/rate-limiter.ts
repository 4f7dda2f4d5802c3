// The client-side token bucket every request to the API server waits on (client-go's flowcontrol
// token bucket behind --kube-api-qps / --kube-api-burst; docs/architecture.md, "The Kubernetes
// transport"): `burst` requests at once, then `qps` a second. A request takes its token when it asks
// (a reservation, as golang.org/x/time/rate's), so waiters leave in order; a wait that would end past
// the request's deadline fails at once instead, as client-go's Wait(ctx) does.

export class RequestRateLimiter {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(qps > 0) || !Number.isFinite(qps) || !(burst >= 1) || !Number.isInteger(burst)) {
      throw new RangeError(`the client rate limit needs qps > 0 and a whole burst >= 1, got ${qps} and ${burst}`);
    }
    this.tokens = burst;
    this.updatedAt = now();
  }

  /**
   * Takes a token, waiting for it when none is left; resolves with the milliseconds waited. Rejects
   * (taking nothing) when the token would come after `deadline` (ms since the epoch).
   */
  async take(deadline: number): Promise<number> {
    const t = this.now();
    if (t > this.updatedAt) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.updatedAt) / 1000) * this.qps);
      this.updatedAt = t;
    }
    const waitMs = this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.qps) * 1000);
    if (t + waitMs > deadline) {
      throw new Error(`client rate limiter: waiting ${waitMs} ms for a request (--kube-api-qps ${this.qps}, --kube-api-burst ${this.burst}) would pass the request's deadline`);
    }
    this.tokens -= 1;
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    return waitMs;
  }
}
