import { describe, expect, it } from "vitest";
import { DependencyGraph } from "../graph/dependency-graph.js";
import { findCycleThrough } from "../graph/cycles.js";
import type { FluxObject } from "../graph/types.js";
import { PendingBatch } from "./pending-batch.js";

const hr = (name: string, dependsOn: string[] = [], namespace = "default"): FluxObject => ({
  kind: "HelmRelease",
  namespace,
  name,
  dependsOn: dependsOn.map((d) => ({ name: d })),
});

describe("PendingBatch", () => {
  it("keeps a dry-run pending for its TTL, then forgets it", () => {
    let now = 0;
    const batch = new PendingBatch({ ttlMs: 120_000, now: () => now });
    batch.record(hr("redis"));
    expect(batch.get("HelmRelease", "default/redis")?.origin).toBe("local");
    expect(batch.get("Kustomization", "default/redis")).toBeUndefined();
    now = 119_999;
    expect(batch.get("HelmRelease", "default/redis")).toBeDefined();
    now = 120_000;
    expect(batch.get("HelmRelease", "default/redis")).toBeUndefined();
  });

  it("shows pending objects in the graph view so a cycle through them is found", () => {
    const graph = new DependencyGraph();
    graph.upsert(hr("frontend", ["backend"]));
    const batch = new PendingBatch();
    batch.record(hr("backend", ["redis"]));
    const view = batch.view(graph);
    expect(view.has("HelmRelease/default/backend")).toBe(true);
    expect(view.get("HelmRelease/default/backend")?.dependsOn).toEqual([{ name: "redis" }]);
    expect(view.dependencyKeys("HelmRelease/default/backend")).toEqual(["HelmRelease/default/redis"]);
    expect([...view.keys()].sort()).toEqual(["HelmRelease/default/backend", "HelmRelease/default/frontend"]);
    // redis → frontend would close frontend → backend (pending) → redis → frontend.
    expect(findCycleThrough(view, "HelmRelease/default/redis", ["HelmRelease/default/frontend"])).toEqual([
      "HelmRelease/default/redis",
      "HelmRelease/default/frontend",
      "HelmRelease/default/backend",
      "HelmRelease/default/redis",
    ]);
  });

  it("lets the cache win over a pending copy of an existing object", () => {
    const graph = new DependencyGraph();
    graph.upsert(hr("backend", []));
    const batch = new PendingBatch();
    batch.record(hr("backend", ["redis"]));
    expect(batch.view(graph).dependencyKeys("HelmRelease/default/backend")).toEqual([]);
  });

  it("announces local records to listeners but not those learned from peers", () => {
    const batch = new PendingBatch();
    const seen: string[] = [];
    batch.onRecord((entry) => seen.push(entry.key));
    batch.record(hr("a"));
    batch.record(hr("b"), { origin: "peer", ttlMs: 5_000 });
    expect(seen).toEqual(["default/a"]);
    expect(batch.get("HelmRelease", "default/b")?.origin).toBe("peer");
  });

  it("never lets a peer's copy extend past the local TTL or override a fresher local record", () => {
    const now = 0;
    const batch = new PendingBatch({ ttlMs: 1_000, now: () => now });
    batch.record(hr("a", ["x"]), { origin: "peer", ttlMs: 1_000_000 });
    expect(batch.get("HelmRelease", "default/a")?.expiresAt).toBe(1_000);
    batch.record(hr("b", ["local"]));
    batch.record(hr("b", ["peer"]), { origin: "peer", ttlMs: 500 });
    expect(batch.get("HelmRelease", "default/b")?.dependsOn).toEqual([{ name: "local" }]);
  });

  it("bounds its size by dropping the oldest entries", () => {
    const batch = new PendingBatch({ maxPerKind: 3 });
    for (const name of ["a", "b", "c", "d"]) batch.record(hr(name));
    expect(batch.list("HelmRelease").map((e) => e.name)).toEqual(["b", "c", "d"]);
  });
});
