import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReconcileRequestResult } from "../cluster/reconcile-request.js";
import { InFlightLimit, ReconcileQueue } from "./reconcile-queue.js";
import type { ReconcileOutcome, ReconcileQueueOptions } from "./reconcile-queue.js";
import { TokenBucket } from "./token-bucket.js";

interface Harness {
  queue: ReconcileQueue;
  sent: Array<{ key: string; at: number }>;
  done: Array<{ key: string; outcome: ReconcileOutcome; attempts: number }>;
  wanted: Set<string>;
}

function harness(answers: (key: string, attempt: number) => ReconcileRequestResult, overrides: Partial<ReconcileQueueOptions> = {}): Harness {
  const sent: Harness["sent"] = [];
  const done: Harness["done"] = [];
  const wanted = new Set<string>();
  const attempts = new Map<string, number>();
  const queue = new ReconcileQueue({
    send: (key, now) => {
      sent.push({ key, at: now.getTime() });
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      return Promise.resolve(answers(key, n));
    },
    stillWanted: (key) => wanted.has(key),
    done: (key, outcome, detail) => done.push({ key, outcome, attempts: detail.attempts }),
    global: new TokenBucket({ perSecond: 1000, burst: 1000 }),
    perObject: { perSecond: 1, burst: 1 },
    retry: { initialMs: 100, maxMs: 1000, attempts: 3 },
    ...overrides,
  });
  return { queue, sent, done, wanted };
}

const ok = (): ReconcileRequestResult => ({ ok: true, requestedAt: "2024-01-01T00:00:00.000Z" });
const failure = (): ReconcileRequestResult => ({ ok: false, reason: "Error", status: 500, message: "boom" });

describe("ReconcileQueue", () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it("sends one request per add while one is pending, and reports success", async () => {
    const h = harness(ok);
    h.wanted.add("default/backend");
    h.queue.add("default/backend");
    h.queue.add("default/backend");
    await vi.runAllTimersAsync();
    expect(h.sent.map((s) => s.key)).toEqual(["default/backend"]);
    expect(h.done).toEqual([{ key: "default/backend", outcome: "success", attempts: 1 }]);
  });

  it("drops a request that is no longer wanted when its turn comes", async () => {
    const h = harness(ok);
    h.queue.add("default/backend");
    await vi.runAllTimersAsync();
    expect(h.sent).toEqual([]);
    expect(h.done).toEqual([]);
    expect(h.queue.size).toBe(0);
  });

  it("retries errors with growing delays and gives up after the last attempt", async () => {
    const h = harness(failure);
    h.wanted.add("default/backend");
    h.queue.add("default/backend");
    await vi.runAllTimersAsync();
    expect(h.sent).toHaveLength(3);
    const gaps = [h.sent[1]!.at - h.sent[0]!.at, h.sent[2]!.at - h.sent[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(50);
    expect(gaps[1]).toBeGreaterThanOrEqual(100);
    expect(h.done).toEqual([{ key: "default/backend", outcome: "error", attempts: 3 }]);
  });

  it("succeeds on a retry after a conflict", async () => {
    const h = harness((_, attempt) => (attempt === 1 ? { ok: false, reason: "Error", status: 409, message: "conflict" } : ok()));
    h.wanted.add("default/backend");
    h.queue.add("default/backend");
    await vi.runAllTimersAsync();
    expect(h.done).toEqual([{ key: "default/backend", outcome: "success", attempts: 2 }]);
  });

  it("does not retry an object that is gone", async () => {
    const h = harness(() => ({ ok: false, reason: "NotFound", status: 404, message: "not found" }));
    h.wanted.add("default/backend");
    h.queue.add("default/backend");
    await vi.runAllTimersAsync();
    expect(h.sent).toHaveLength(1);
    expect(h.done[0]?.outcome).toBe("not_found");
  });

  it("spaces two requests for one object by the per-object rate", async () => {
    const h = harness(ok);
    h.wanted.add("default/backend");
    h.queue.add("default/backend");
    await vi.runAllTimersAsync();
    h.queue.add("default/backend");
    await vi.runAllTimersAsync();
    expect(h.sent).toHaveLength(2);
    expect(h.sent[1]!.at - h.sent[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it("holds every object to the global rate", async () => {
    const h = harness(ok, { global: new TokenBucket({ perSecond: 10, burst: 2 }) });
    for (let i = 0; i < 6; i++) {
      h.wanted.add(`default/r${i}`);
      h.queue.add(`default/r${i}`);
    }
    await vi.runAllTimersAsync();
    expect(h.sent).toHaveLength(6);
    const span = h.sent[5]!.at - h.sent[0]!.at;
    expect(span).toBeGreaterThanOrEqual(400);
  });

  it("cancelAll drops waiting requests", async () => {
    const h = harness(ok, { global: new TokenBucket({ perSecond: 1, burst: 1 }) });
    h.wanted.add("default/a");
    h.wanted.add("default/b");
    h.queue.add("default/a");
    h.queue.add("default/b");
    await vi.advanceTimersByTimeAsync(10);
    h.queue.cancelAll();
    await vi.runAllTimersAsync();
    expect(h.sent.map((s) => s.key)).toEqual(["default/a"]);
    await expect(h.queue.whenIdle()).resolves.toBeUndefined();
  });

  it("keeps at most `inFlight` requests on the wire, however many gates open at once", async () => {
    let onWire = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const h = harness(ok, {
      inFlight: new InFlightLimit(4),
      send: () => {
        onWire++;
        peak = Math.max(peak, onWire);
        return new Promise((resolve) =>
          release.push(() => {
            onWire--;
            resolve(ok());
          }),
        );
      },
    });
    for (let i = 0; i < 500; i++) {
      h.wanted.add(`default/app-${i}`);
      h.queue.add(`default/app-${i}`);
    }
    // One gate closed again before its turn: its slot goes to the next, not lost.
    h.wanted.delete("default/app-4");
    for (let round = 0; round < 200 && h.queue.size > 0; round++) {
      await vi.advanceTimersByTimeAsync(1);
      for (const r of release.splice(0)) r();
    }
    await vi.runAllTimersAsync();
    expect(peak).toBe(4);
    expect(h.done.filter((d) => d.outcome === "success")).toHaveLength(499);
  });
});
