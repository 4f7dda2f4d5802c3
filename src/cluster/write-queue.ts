// A bounded queue for writes to the API server that only matter in their latest form (Events about an
// object, docs/behaviour.md: Bounded work): at most one write waits per key, and a newer one replaces it (the older is
// dropped); at most `maxQueued` keys wait, and past that the oldest waiting write is dropped; at most
// `concurrency` writes run at once, and each start takes a token from a shared rate limiter. Writes for
// one key never overlap, so a create and the series bump after it stay in order. client-go's event
// broadcaster makes the same trade: a queue of 1,000 that drops when full, never an unbounded backlog.
// Memory and connections therefore stay flat however many writes arrive at once.

/** What the queue needs of a rate limiter (controller/token-bucket.ts's TokenBucket fits). */
export interface RateLimiter {
  waitMs(nowMs: number): number;
  tryTake(nowMs: number): boolean;
}

export type DropReason = "replaced" | "overflow" | "cleared";

interface WriteQueueOptions<T> {
  /** Performs one write; a rejection is the caller's to report (the queue only moves on). */
  run(item: T): Promise<void>;
  /** Told about each write that will never run. */
  dropped?(item: T, reason: DropReason): void;
  /** When a newer write for a key replaces a waiting one: one write doing both, or undefined to drop
   *  the older (e.g. two occurrences of the same Event become one series bump of two). */
  merge?(older: T, newer: T): T | undefined;
  concurrency: number;
  maxQueued: number;
  limiter?: RateLimiter;
  now?: () => number;
}

export class WriteQueue<T> {
  /** Waiting writes by key, oldest first. */
  private readonly waiting = new Map<string, T>();
  private readonly running = new Set<string>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private idle: Array<() => void> = [];

  constructor(private readonly options: WriteQueueOptions<T>) {
    if (!(options.concurrency >= 1) || !(options.maxQueued >= 1)) {
      throw new RangeError(`a write queue needs concurrency >= 1 and maxQueued >= 1, got ${options.concurrency} and ${options.maxQueued}`);
    }
    this.now = options.now ?? Date.now;
  }

  /** Queues `item` as the latest write for `key`. */
  push(key: string, item: T): void {
    const previous = this.waiting.get(key);
    let next = item;
    if (previous !== undefined) {
      this.waiting.delete(key);
      const merged = this.options.merge?.(previous, item);
      if (merged !== undefined) next = merged;
      else this.options.dropped?.(previous, "replaced");
    }
    this.waiting.set(key, next);
    while (this.waiting.size > this.options.maxQueued) {
      const oldest = this.oldestNotRunning();
      if (oldest === undefined) break;
      const value = this.waiting.get(oldest)!;
      this.waiting.delete(oldest);
      this.options.dropped?.(value, "overflow");
    }
    this.pump();
  }

  /** Writes waiting (not running). */
  get size(): number {
    return this.waiting.size;
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Drops every waiting write (the lease was lost, or shutdown); running ones finish. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const item of all) this.options.dropped?.(item, "cleared");
    this.notifyIdle();
  }

  /** Resolves when nothing waits or runs. */
  whenIdle(): Promise<void> {
    if (this.waiting.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private oldestNotRunning(): string | undefined {
    for (const key of this.waiting.keys()) if (!this.running.has(key)) return key;
    return undefined;
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    while (this.running.size < this.options.concurrency) {
      const key = this.oldestNotRunning();
      if (key === undefined) break;
      const limiter = this.options.limiter;
      if (limiter !== undefined) {
        const now = this.now();
        const wait = limiter.waitMs(now);
        if (wait > 0) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, wait);
          this.timer.unref();
          return;
        }
        limiter.tryTake(now);
      }
      const item = this.waiting.get(key)!;
      this.waiting.delete(key);
      this.running.add(key);
      void this.options
        .run(item)
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(key);
          this.pump();
          this.notifyIdle();
        });
    }
  }

  private notifyIdle(): void {
    if (this.waiting.size > 0 || this.running.size > 0 || this.idle.length === 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }
}
