import { describe, expect, it } from "vitest";
import type { FluxKind } from "../graph/types.js";
import { CacheStaleness } from "./cache-staleness.js";

class FakeCache {
  contact: number | undefined = 1;
  watching = true;
  synced = true;
  constructor(readonly kind: FluxKind) {}
  isSynced = (): boolean => this.synced;
  lastContactAt = (): number | undefined => this.contact;
  isWatching = (): boolean => this.watching;
}

function setup() {
  let now = 0;
  const cache = new FakeCache("HelmRelease");
  const probes: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const lines: string[] = [];
  const reported: number[] = [];
  const logger = { debug() {}, info: (_f: object, m: string) => void lines.push(m), warn: (_f: object, m: string) => void lines.push(m), error() {} };
  const staleness = new CacheStaleness({
    caches: [cache],
    maxStalenessMs: 10_000,
    probe: () => new Promise<void>((resolve, reject) => probes.push({ resolve, reject })),
    report: (_kind, seconds) => reported.push(seconds),
    logger,
    now: () => now,
  });
  return { staleness, cache, probes, lines, reported, at: (t: number) => (now = t) };
}

describe("CacheStaleness", () => {
  it("turns stale past the limit, says so once, and healthy again once the watch delivers", () => {
    const s = setup();
    s.at(9_000);
    s.staleness.tick();
    expect(s.staleness.isStale("HelmRelease")).toBe(false);
    s.at(10_500);
    s.staleness.tick();
    s.staleness.tick();
    expect(s.staleness.staleKinds()).toEqual(["HelmRelease"]);
    expect(s.staleness.describe("HelmRelease")).toContain("heard nothing from the API server for 10.5 s (limit 10 s)");
    s.cache.contact = 10_600;
    s.at(10_700);
    s.staleness.tick();
    expect(s.staleness.isStale("HelmRelease")).toBe(false);
    expect(s.lines.filter((l) => l.includes("is stale"))).toHaveLength(1);
    expect(s.lines.filter((l) => l.includes("healthy again"))).toHaveLength(1);
    expect(s.reported.at(-1)).toBeCloseTo(0.1);
  });

  it("probes a quiet watch, and a probe's answer counts only while the watch is open", async () => {
    const s = setup();
    s.at(3_000);
    s.staleness.tick();
    expect(s.probes).toHaveLength(1);
    s.staleness.tick();
    expect(s.probes).toHaveLength(1); // one probe at a time
    s.probes[0]!.resolve();
    await Promise.resolve();
    await Promise.resolve();
    s.at(12_000);
    expect(s.staleness.isStale("HelmRelease")).toBe(false); // the probe at 3 s vouches until 13 s
    s.cache.watching = false;
    expect(s.staleness.isStale("HelmRelease")).toBe(true); // the watch ended: only a fresh list counts
  });

  it("is never stale before the first sync (that is a 503 of its own)", () => {
    const s = setup();
    s.cache.synced = false;
    s.at(60_000);
    expect(s.staleness.isStale("HelmRelease")).toBe(false);
  });
});
