import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GraphNode, GraphSnapshot, NodeSummary } from "../graph-snapshot.js";
import { BLOCKED_ONLY_ABOVE, drawnSubset, GraphModel, MAX_DRAWN } from "./graph-model.js";

function node(name: string, extra: Partial<GraphNode> = {}): GraphNode {
  return { id: `HelmRelease/default/${name}`, kind: "HelmRelease", namespace: "default", name, state: "open", message: "", conditions: [], dependencies: [], ...extra };
}
const id = (name: string) => `HelmRelease/default/${name}`;
const snapshot = (nodes: GraphNode[]): GraphSnapshot => ({ generatedAt: "", source: "files", nodes });

describe("GraphModel", () => {
  const failure = () => {
    const model = new GraphModel();
    model.load(
      snapshot([
        node("redis", { health: "failed" }),
        node("backend", { state: "blocked", reason: "Failed", rootCause: id("redis"), path: [id("redis")], dependencies: [id("redis")] }),
        node("web", { state: "blocked", reason: "Failed", rootCause: id("redis"), path: [id("backend"), id("redis")], dependencies: [id("backend")] }),
        node("other"),
      ]),
    );
    return model;
  };

  it("finds root causes, the path, upstream and downstream", () => {
    const model = failure();
    expect([...model.rootCauses()]).toEqual([id("redis")]);
    expect(model.pathToRootCause(id("web"))).toEqual([id("web"), id("backend"), id("redis")]);
    expect([...model.upstream(id("web"))].sort()).toEqual([id("backend"), id("redis")]);
    expect([...model.downstream(id("redis"))].sort()).toEqual([id("backend"), id("web")]);
  });

  it("counts what a root cause blocks through others too, and follows updates", () => {
    const model = failure();
    expect(model.blocks(id("redis"))).toEqual([id("backend"), id("web")]);
    expect(model.blocks(id("other"))).toEqual([]);
    model.apply({ nodes: [node("web", { health: "progressing", dependencies: [id("backend")] })], removed: [] });
    expect(model.blocks(id("redis"))).toEqual([id("backend")]);
  });

  it("'blocked only' keeps the blocked nodes and their root causes, root causes first", () => {
    const model = failure();
    const shown = model.visible({ namespace: "", kind: "", state: "blocked", search: "" }).map((n) => n.name);
    expect(shown).toEqual(["redis", "backend", "web"]);
    expect(model.visible({ namespace: "", kind: "", state: "all", search: "ACK" }).map((n) => n.name)).toEqual(["backend"]);
  });

  it("opens on 'blocked only' above the threshold", () => {
    const model = new GraphModel();
    model.load(snapshot(Array.from({ length: BLOCKED_ONLY_ABOVE }, (_, i) => node(`n${i}`))));
    expect(model.defaultFilters().state).toBe("all");
    model.load(snapshot(Array.from({ length: BLOCKED_ONLY_ABOVE + 1 }, (_, i) => node(`n${i}`))));
    expect(model.defaultFilters().state).toBe("blocked");
  });

  it("applies updates: a removed object's ghost stays while named, and goes when nothing names it", () => {
    const model = failure();
    expect(model.apply({ nodes: [node("redis", { state: "missing", ghost: true })], removed: [id("redis")] })).toBe(true);
    expect(model.nodes.get(id("redis"))?.ghost).toBe(true);
    expect(model.apply({ nodes: [node("backend")], removed: [] })).toBe(true);
    expect(model.nodes.has(id("redis"))).toBe(false);
    // A state change alone needs no new layout.
    expect(model.apply({ nodes: [node("other", { state: "blocked", reason: "NotReady" })], removed: [] })).toBe(false);
  });

  it("live: holds a node's words as fetched until an update touches it, and refuses words asked for before that update", () => {
    const model = new GraphModel();
    const summary = (name: string, extra: Partial<NodeSummary> = {}): NodeSummary => ({ id: id(name), kind: "HelmRelease", namespace: "default", name, state: "open", dependencies: [], ...extra });
    model.load({ nodes: [summary("redis", { health: "failed" }), summary("backend", { state: "blocked", reason: "Failed", rootCause: id("redis"), dependencies: [id("redis")] })] });
    // A summary has no words: the path is just the node until they come.
    expect(model.words(id("backend"))).toBeUndefined();
    expect(model.pathToRootCause(id("backend"))).toEqual([id("backend")]);
    const asked = model.touchesOf(id("backend"));
    expect(model.setWords(node("backend", { state: "blocked", message: "blocked by default/redis", path: [id("redis")] }), asked)).toBe(true);
    expect(model.words(id("backend"))?.message).toBe("blocked by default/redis");
    expect(model.pathToRootCause(id("backend"))).toEqual([id("backend"), id("redis")]);
    // Another node's update leaves them; one of backend drops them, and words asked for before it are stale.
    model.apply({ nodes: [summary("redis", { health: "progressing" })], removed: [] });
    expect(model.words(id("backend"))).toBeDefined();
    const before = model.touchesOf(id("backend"));
    model.apply({ nodes: [summary("backend", { dependencies: [id("redis")] })], removed: [] });
    expect(model.words(id("backend"))).toBeUndefined();
    expect(model.setWords(node("backend", { state: "blocked", message: "stale" }), before)).toBe(false);
    expect(model.setWords(node("backend", { message: "gate open" }), model.touchesOf(id("backend")))).toBe(true);
    // Read from files, a node is whole: its words are its own.
    const files = failure();
    expect(files.words(id("web"))?.path).toEqual([id("backend"), id("redis")]);
  });

  it("draws at most MAX_DRAWN nodes, with exactly the edges between drawn nodes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 * MAX_DRAWN }), fc.integer({ min: 0, max: 1000 }), (count, seed) => {
        const nodes = Array.from({ length: count }, (_, i) => node(`n${i}`, { dependencies: i === 0 ? [] : [id(`n${(i * 7 + seed) % i}`)] }));
        const subset = drawnSubset(nodes);
        const drawn = new Set(subset.nodes.map((n) => n.id));
        expect(subset.nodes.length).toBe(Math.min(count, MAX_DRAWN));
        expect(subset.truncated).toBe(count - subset.nodes.length);
        const expected = nodes.filter((n) => drawn.has(n.id)).flatMap((n) => n.dependencies.filter((d) => drawn.has(d)).map((d) => `${d}>${n.id}`));
        expect(subset.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(expected.sort());
      }),
      { numRuns: 30 },
    );
  });
});
