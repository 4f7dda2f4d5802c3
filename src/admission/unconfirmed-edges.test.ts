import { describe, expect, it } from "vitest";
import { findCycleThrough } from "../graph/cycles.js";
import { DependencyGraph } from "../graph/dependency-graph.js";
import type { FluxObject } from "../graph/types.js";
import { UnconfirmedEdges } from "./unconfirmed-edges.js";

const hr = (name: string, ...deps: string[]): FluxObject => ({ kind: "HelmRelease", namespace: "default", name, dependsOn: deps.map((d) => ({ name: d })) });
const node = (name: string) => `HelmRelease/default/${name}`;

function graphOf(...objects: FluxObject[]): DependencyGraph {
  const graph = new DependencyGraph();
  for (const object of objects) graph.upsert(object);
  return graph;
}

describe("UnconfirmedEdges", () => {
  it("adds allowed edges to the cache's, so the opposite edge closes a cycle", () => {
    const cache = graphOf(hr("a"), hr("b"));
    const edges = new UnconfirmedEdges();
    edges.add(hr("a", "b"), [node("b")]);
    expect(findCycleThrough(cache, node("b"), [node("a")])).toBeUndefined();
    expect(findCycleThrough(edges.view(cache), node("b"), [node("a")])).toEqual([node("b"), node("a"), node("b")]);
  });

  it("keeps the stored edges too while a write is unconfirmed (a union)", () => {
    const cache = graphOf(hr("a", "c"), hr("b"), hr("c"));
    const edges = new UnconfirmedEdges();
    edges.add(hr("a", "b"), [node("b")]);
    expect([...edges.view(cache).dependencyKeys(node("a"))].sort()).toEqual([node("b"), node("c")]);
  });

  it("drops an entry once the cache shows the node with its edges, or when it expires", () => {
    let now = 0;
    const edges = new UnconfirmedEdges({ ttlMs: 1000, now: () => now });
    edges.add(hr("a", "b"), [node("b")]);
    edges.add(hr("x", "y"), [node("y")]);
    edges.settle(graphOf(hr("a"), hr("b")));
    expect(edges.count).toBe(2);
    now = 100;
    edges.settle(graphOf(hr("a", "b"), hr("b")));
    expect(edges.list().map((e) => e.node)).toEqual([node("x")]);
    now = 1000;
    edges.settle(graphOf());
    expect(edges.count).toBe(0);
  });

  it("is bounded: a full set refuses (the caller fails closed) instead of forgetting an edge", () => {
    const edges = new UnconfirmedEdges({ maxEntries: 2 });
    expect(edges.add(hr("a", "b"), [node("b")])).toBeDefined();
    expect(edges.add(hr("c", "d"), [node("d")])).toBeDefined();
    expect(edges.add(hr("e", "f"), [node("f")])).toBeUndefined();
    expect(edges.count).toBe(2);
  });

  it("shares one entry between reviews of the same change: a denial after another's allow keeps it", () => {
    const edges = new UnconfirmedEdges();
    const first = edges.add(hr("a", "b"), [node("b")])!;
    const second = edges.add(hr("a", "b"), [node("b")])!;
    expect(edges.count).toBe(1);
    edges.commit(first.id);
    edges.remove(second.id);
    expect(edges.get(node("a"))?.dependencies).toEqual([node("b")]);
  });

  it("takes an entry back by its id; two entries of one node add up", () => {
    const edges = new UnconfirmedEdges();
    const first = edges.add(hr("a", "b"), [node("b")])!;
    edges.add(hr("a", "c"), [node("c")], { origin: "peer", id: "peer-1" });
    expect([...edges.get(node("a"))!.dependencies].sort()).toEqual([node("b"), node("c")]);
    expect(edges.remove(first.id)).toBe(true);
    expect(edges.get(node("a"))!.dependencies).toEqual([node("c")]);
    expect(edges.remove("peer-1")).toBe(true);
    expect(edges.size).toBe(0);
  });
});
