// The queue of reconcile requests of one kind: at most one request in flight or waiting per object,
// rate-limited per object and globally (token buckets), retried with exponential backoff when the API
// server fails or refuses for a reason that may pass (conflict, throttling, 5xx, network). Before every
// attempt the controller is asked whether the request is still wanted (still the leader, gate still
// open, nobody else requested it meanwhile), so a request is never sent for a transition that has
// gone, and a lost lease stops writes at the next attempt; cancelAll() drops every waiting request.
// At most `maxInFlight` requests are on the wire at once (shared by every kind, like the global bucket),
// so a burst of gate openings holds a few connections, not one per object; the rest wait their turn in
// memory, one small entry per object.

import type { ReconcileRequestResult } from "../cluster/reconcile-request.js";
import type { ObjectKey } from "../graph/types.js";
import { TokenBucket } from "./token-bucket.js";
import type { TokenBucketOptions } from "./token-bucket.js";

/** Final outcome of one request, the `result` label of releasegate_reconcile_requests_total. */
export type ReconcileOutcome = "success" | "error" | "not_found";

export interface RetryOptions {
  /** Delay before the first retry; doubled each time. */
  initialMs: number;
  /** Longest delay between attempts. */
  maxMs: number;
  /** Attempts in all, the first included. */
  attempts: number;
}

export interface ReconcileQueueOptions {
  /** Sends the request (requestReconcile bound to a KubeConfig and kind). */
  send(key: ObjectKey, now: Date): Promise<ReconcileRequestResult>;
  /** Asked right before each attempt: false drops the request silently. */
  stillWanted(key: ObjectKey): boolean;
  /** Told once per request that was attempted, with its final outcome. */
  done(key: ObjectKey, outcome: ReconcileOutcome, detail: { requestedAt?: string; message?: string; attempts: number }): void;
  /** Told once per request that had to wait for a rate limit. */
  delayed?(key: ObjectKey): void;
  /** Shared by every kind: the limit on requests per second across the whole program. */
  global: TokenBucket;
  /** Per object: how often one object may be asked to reconcile. */
  perObject: TokenBucketOptions;
  retry: RetryOptions;
  /** Shared by every kind: requests on the wire at once (default: 4 per queue). */
  inFlight?: InFlightLimit;
  /** Milliseconds clock; Date.now by default. */
  now?: () => number;
}

interface Entry {
  attempts: number;
  delayed: boolean;
  timer: NodeJS.Timeout | undefined;
  inFlight: boolean;
}

export const DEFAULT_RETRY: RetryOptions = { initialMs: 200, maxMs: 10_000, attempts: 6 };

/** A count of requests on the wire, shared by queues; waiters are woken in order as slots free up. */
export class InFlightLimit {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`an in-flight limit needs max >= 1, got ${max}`);
  }

  tryAcquire(): boolean {
    if (this.active >= this.max) return false;
    this.active++;
    return true;
  }

  /** Frees a slot and wakes waiters until one takes it (a woken waiter that no longer wants a slot, or
   *  must wait for a rate limit, takes none, and the next is woken). A waiter decides synchronously. */
  release(): void {
    this.active = Math.max(0, this.active - 1);
    while (this.active < this.max && this.waiters.length > 0) this.waiters.shift()!();
  }

  /** Calls `wake` once, when a slot may be free. */
  whenFree(wake: () => void): void {
    this.waiters.push(wake);
  }

  get inUse(): number {
    return this.active;
  }
}

export class ReconcileQueue {
  private readonly entries = new Map<ObjectKey, Entry>();
  private readonly buckets = new Map<ObjectKey, TokenBucket>();
  private readonly now: () => number;
  private idle: Array<() => void> = [];

  private readonly inFlight: InFlightLimit;

  constructor(private readonly options: ReconcileQueueOptions) {
    this.now = options.now ?? Date.now;
    this.inFlight = options.inFlight ?? new InFlightLimit(4);
  }

  /** Queue a request for `key`; does nothing when one is already waiting or in flight. */
  add(key: ObjectKey): void {
    if (this.entries.has(key)) return;
    const entry: Entry = { attempts: 0, delayed: false, timer: undefined, inFlight: false };
    this.entries.set(key, entry);
    this.schedule(key, entry, 0);
  }

  has(key: ObjectKey): boolean {
    return this.entries.has(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drop every waiting request (the lease was lost). Requests already on the wire finish. */
  cancelAll(): void {
    for (const [key, entry] of this.entries) {
      if (entry.inFlight) continue;
      clearTimeout(entry.timer);
      this.entries.delete(key);
    }
    this.notifyIdle();
  }

  /** Resolves when nothing is waiting or in flight (tests and graceful shutdown). */
  whenIdle(): Promise<void> {
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(key: ObjectKey, entry: Entry, delayMs: number): void {
    const timer = setTimeout(() => void this.run(key, entry), delayMs);
    timer.unref();
    entry.timer = timer;
  }

  private bucketFor(key: ObjectKey): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      // Forget buckets that are full again: they hold no information, and objects come and go.
      if (this.buckets.size >= 1024) this.sweepBuckets();
      bucket = new TokenBucket(this.options.perObject);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private sweepBuckets(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
  }

  private async run(key: ObjectKey, entry: Entry): Promise<void> {
    if (this.entries.get(key) !== entry) return;
    entry.timer = undefined;
    if (!this.options.stillWanted(key)) {
      this.finish(key);
      return;
    }
    const now = this.now();
    // The per-object token is taken once per request, by its first attempt; every attempt, retries
    // included, takes a global one.
    const perObject = entry.attempts === 0 ? this.bucketFor(key) : undefined;
    const wait = Math.max(perObject?.waitMs(now) ?? 0, this.options.global.waitMs(now));
    if (wait > 0) {
      if (!entry.delayed) {
        entry.delayed = true;
        this.options.delayed?.(key);
      }
      this.schedule(key, entry, wait);
      return;
    }
    if (!this.inFlight.tryAcquire()) {
      // Wait for a slot without a timer per object; the slot's release wakes the next in line.
      this.inFlight.whenFree(() => void this.run(key, entry));
      return;
    }
    perObject?.tryTake(now);
    this.options.global.tryTake(now);
    entry.attempts++;
    entry.inFlight = true;
    let result: ReconcileRequestResult;
    try {
      result = await this.options.send(key, new Date(this.now()));
    } catch (error) {
      result = { ok: false, reason: "Error", message: error instanceof Error ? error.message : String(error) };
    } finally {
      this.inFlight.release();
    }
    entry.inFlight = false;
    if (result.ok) {
      this.options.done(key, "success", { requestedAt: result.requestedAt, attempts: entry.attempts });
      this.finish(key);
    } else if (result.reason !== "Error") {
      this.options.done(key, "not_found", { message: result.message, attempts: entry.attempts });
      this.finish(key);
    } else if (entry.attempts >= this.options.retry.attempts || !this.entries.has(key)) {
      this.options.done(key, "error", { message: result.message, attempts: entry.attempts });
      this.finish(key);
    } else {
      const { initialMs, maxMs } = this.options.retry;
      const delay = Math.min(maxMs, initialMs * 2 ** (entry.attempts - 1));
      // Jitter spreads the retries of many objects that failed together (e.g. an API server restart).
      this.schedule(key, entry, delay / 2 + Math.random() * (delay / 2));
    }
  }

  private finish(key: ObjectKey): void {
    this.entries.delete(key);
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.entries.size > 0 || this.idle.length === 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }
}
