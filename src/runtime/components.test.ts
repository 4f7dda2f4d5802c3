import { describe, expect, it } from "vitest";
import { startComponents, whenCondition } from "./components.js";
import type { Component, StopMode } from "./components.js";
import { silentLogger } from "./logger.js";

/** A part that records what the runner asks of it into `journal`. */
function part(name: string, journal: string[], behaviour: { failStart?: boolean; ready?: Promise<void>; drains?: boolean } = {}): Component {
  return {
    name,
    ...(behaviour.ready !== undefined ? { ready: behaviour.ready } : {}),
    start: () => {
      journal.push(`start ${name}`);
      return behaviour.failStart ? Promise.reject(new Error(`${name} cannot start`)) : Promise.resolve();
    },
    ...(behaviour.drains
      ? {
          drain: (mode: StopMode) => {
            journal.push(`drain ${name} ${mode}`);
            return Promise.resolve();
          },
        }
      : {}),
    stop: (mode) => {
      journal.push(`stop ${name} ${mode}`);
      return Promise.resolve();
    },
  };
}

describe("startComponents", () => {
  it("starts in order, is ready when every part is, and stops newest first after every drain", async () => {
    const journal: string[] = [];
    let syncCache!: () => void;
    const synced = new Promise<void>((resolve) => (syncCache = resolve));
    const running = await startComponents([part("cache", journal, { ready: synced }), part("webhook", journal, { drains: true }), part("lease", journal)], silentLogger);
    expect(journal).toEqual(["start cache", "start webhook", "start lease"]);
    let ready = false;
    void running.ready.then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false);
    syncCache();
    await running.ready;
    const first = running.stop("graceful");
    expect(running.stop("abort")).toBe(first);
    await first;
    expect(journal.slice(3)).toEqual(["drain webhook graceful", "stop lease graceful", "stop webhook graceful", "stop cache graceful"]);
  });

  it("a part that fails to start stops the ones started before it, newest first, and the error comes out", async () => {
    const journal: string[] = [];
    const start = startComponents([part("cache", journal), part("tls", journal, { drains: true }), part("webhook", journal, { failStart: true }), part("lease", journal)], silentLogger);
    await expect(start).rejects.toThrow("webhook cannot start");
    expect(journal).toEqual(["start cache", "start tls", "start webhook", "drain tls abort", "stop tls abort", "stop cache abort"]);
  });

  it("a part whose stop fails does not keep the others running", async () => {
    const journal: string[] = [];
    const broken: Component = { name: "broken", start: () => Promise.resolve(), stop: () => Promise.reject(new Error("no")) };
    const running = await startComponents([part("cache", journal), broken], silentLogger);
    await running.stop("graceful");
    expect(journal).toEqual(["start cache", "stop cache graceful"]);
  });
});

describe("whenCondition", () => {
  it("checks again at each announced change, not on a timer, and rejects once gone", async () => {
    const listeners = new Set<() => void>();
    const announce = (): void => {
      for (const listener of [...listeners]) listener();
    };
    const subscribe = (listener: () => void): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    let holds = false;
    let checks = 0;
    const waiting = whenCondition(Promise.resolve(), () => (checks++, holds), () => undefined, [subscribe]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(checks).toBe(1);
    announce();
    expect(checks).toBe(2);
    holds = true;
    announce();
    await waiting;
    expect(listeners.size).toBe(0);

    let gone = false;
    const abandoned = whenCondition(Promise.resolve(), () => false, () => (gone ? new Error("shut down before becoming ready") : undefined), [subscribe]);
    await new Promise((resolve) => setImmediate(resolve));
    gone = true;
    announce();
    await expect(abandoned).rejects.toThrow("shut down before becoming ready");
    expect(listeners.size).toBe(0);
  });
});
