// The memory all request bodies being received may hold together (docs/behaviour.md, Bounded work): each review reserves
// its Content-Length (or, sent chunked, each chunk as it comes) before it is buffered, and gives it back
// when answered or abandoned. A reservation that does not fit is refused, and the webhook answers 429, so
// a burst of large reviews costs at most the budget instead of growing until the process is killed.

/** 64 MiB: ten of the largest reviews kube-apiserver can send (6 MiB each) at once. */
const DEFAULT_BODY_BUDGET_BYTES = 64 * 1024 * 1024;

export class BodyBudget {
  private used = 0;

  constructor(readonly totalBytes: number = DEFAULT_BODY_BUDGET_BYTES) {
    if (!(totalBytes > 0)) throw new RangeError(`a body budget must be more than 0 bytes, got ${totalBytes}`);
  }

  /** Reserves `bytes`; false (nothing reserved) when that would exceed the total. */
  tryReserve(bytes: number): boolean {
    if (bytes < 0 || this.used + bytes > this.totalBytes) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** Bytes reserved right now. */
  get inUse(): number {
    return this.used;
  }
}
