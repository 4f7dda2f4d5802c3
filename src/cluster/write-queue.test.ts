import { describe, expect, it } from "vitest";
import { TokenBucket } from "../controller/token-bucket.js";
import { WriteQueue } from "./write-queue.js";
import type { DropReason } from "./write-queue.js";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("WriteQueue", () => {
  it("keeps only the latest waiting write per key and counts the replaced one", async () => {
    const ran: string[] = [];
    const dropped: Array<[string, DropReason]> = [];
    const gate = deferred();
    const queue = new WriteQueue<string>({
      run: async (item) => {
        ran.push(item);
        if (item === "a1") await gate.promise;
      },
      dropped: (item, reason) => dropped.push([item, reason]),
      concurrency: 1,
      maxQueued: 10,
    });
    queue.push("a", "a1"); // runs at once
    queue.push("a", "a2"); // waits: a1 is running for the same key
    queue.push("a", "a3"); // replaces a2
    expect(dropped).toEqual([["a2", "replaced"]]);
    gate.resolve();
    await queue.whenIdle();
    expect(ran).toEqual(["a1", "a3"]);
  });

  it("drops the oldest waiting write beyond maxQueued and never runs more than `concurrency` at once", async () => {
    let running = 0;
    let peak = 0;
    const ran: number[] = [];
    const dropped: number[] = [];
    const queue = new WriteQueue<number>({
      run: async (item) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        ran.push(item);
        running--;
      },
      dropped: (item) => dropped.push(item),
      concurrency: 3,
      maxQueued: 100,
    });
    for (let i = 0; i < 1000; i++) queue.push(`k${i}`, i);
    expect(queue.size).toBeLessThanOrEqual(100);
    await queue.whenIdle();
    expect(peak).toBe(3);
    expect(ran.length + dropped.length).toBe(1000);
    expect(ran.slice(0, 3)).toEqual([0, 1, 2]);
    // The newest writes survive; the oldest waiting ones were dropped.
    expect(ran.at(-1)).toBe(999);
    expect(dropped[0]).toBe(3);
  });

  it("starts writes no faster than the limiter allows", async () => {
    const starts: number[] = [];
    const queue = new WriteQueue<number>({
      run: async () => void starts.push(performance.now()),
      concurrency: 10,
      maxQueued: 10,
      limiter: new TokenBucket({ perSecond: 100, burst: 2 }),
    });
    for (let i = 0; i < 5; i++) queue.push(`k${i}`, i);
    expect(starts).toHaveLength(2);
    expect(queue.size).toBe(3);
    await queue.whenIdle();
    expect(starts).toHaveLength(5);
    // Three more tokens at 100/s take at least 30 ms (a lower bound: a slow machine only adds to it).
    expect(starts[4]! - starts[0]!).toBeGreaterThanOrEqual(25);
  });

  it("clear() drops what waits and lets what runs finish", async () => {
    const gate = deferred();
    const dropped: DropReason[] = [];
    const queue = new WriteQueue<number>({ run: () => gate.promise, dropped: (_i, reason) => dropped.push(reason), concurrency: 1, maxQueued: 5 });
    queue.push("a", 1);
    queue.push("b", 2);
    queue.clear();
    expect(dropped).toEqual(["cleared"]);
    gate.resolve();
    await queue.whenIdle();
  });

  it("merges a newer write into the waiting one when merge() says how", async () => {
    const gate = deferred();
    const ran: number[] = [];
    const dropped: number[] = [];
    const queue = new WriteQueue<number>({
      run: async (item) => {
        ran.push(item);
        if (item === 1) await gate.promise;
      },
      merge: (older, newer) => older + newer,
      dropped: (item) => dropped.push(item),
      concurrency: 1,
      maxQueued: 5,
    });
    queue.push("a", 1);
    queue.push("a", 10);
    queue.push("a", 100);
    gate.resolve();
    await queue.whenIdle();
    expect(ran).toEqual([1, 110]);
    expect(dropped).toEqual([]);
  });
});
