import { describe, expect, it } from "vitest";
import { DependencyGraph } from "../graph/dependency-graph.js";
import type { FluxObject } from "../graph/types.js";
import { acceptPeerEdges, addedEdges } from "./edge-guard.js";
import type { AdmissionRequest } from "./review.js";
import { UnconfirmedEdges } from "./unconfirmed-edges.js";

const hr = (name: string, ...deps: string[]): FluxObject => ({ kind: "HelmRelease", namespace: "default", name, dependsOn: deps.map((d) => ({ name: d })) });
const node = (name: string) => `HelmRelease/default/${name}`;

function graphOf(...objects: FluxObject[]): DependencyGraph {
  const graph = new DependencyGraph();
  for (const object of objects) graph.upsert(object);
  return graph;
}

function request(operation: "CREATE" | "UPDATE", object: FluxObject, oldObject?: FluxObject, dryRun = false): AdmissionRequest {
  return { uid: "u", kind: "HelmRelease", namespace: "default", name: object.name, operation, dryRun, object, ...(oldObject ? { oldObject } : {}) } as AdmissionRequest;
}

describe("addedEdges", () => {
  it("names the dependencies an UPDATE adds, none for a dry-run or a kept list", () => {
    expect(addedEdges(request("UPDATE", hr("a", "b", "c"), hr("a", "b")))).toEqual([node("c")]);
    expect(addedEdges(request("UPDATE", hr("a", "b"), hr("a", "b")))).toEqual([]);
    expect(addedEdges(request("CREATE", hr("a", "b"), undefined, true))).toEqual([]);
    expect(addedEdges(request("CREATE", hr("a", "b")))).toEqual([node("b")]);
  });
});

describe("acceptPeerEdges", () => {
  it("refuses a peer's edges that close a cycle with this replica's own allowed edges, keeps the others", () => {
    const cache = graphOf(hr("a"), hr("b"), hr("c"));
    const edges = new UnconfirmedEdges();
    edges.add(hr("a", "b"), [node("b")]);
    expect(acceptPeerEdges(cache, edges, hr("b", "a"), [node("a")], "p1", 60_000)).toEqual({ type: "conflict", cycle: [node("b"), node("a"), node("b")] });
    expect(acceptPeerEdges(cache, edges, hr("c", "a"), [node("a")], "p2", 60_000)).toEqual({ type: "accepted" });
    // Kept: now b → c closes b → c → a → b.
    expect(acceptPeerEdges(cache, edges, hr("b", "c"), [node("c")], "p3", 60_000).type).toBe("conflict");
  });
});

describe("acceptPeerEdges breaking a tie", () => {
  it("lets the peer's review through when its id sorts first, and marks this replica's waiting review lost", () => {
    const cache = graphOf(hr("a"), hr("b"));
    const edges = new UnconfirmedEdges();
    const mine = edges.add(hr("a", "b"), [node("b")], { id: "m-2" })!;
    expect(acceptPeerEdges(cache, edges, hr("b", "a"), [node("a")], "m-1", 60_000)).toEqual({ type: "accepted" });
    expect(edges.lostCycle(mine.id)).toEqual([node("a"), node("b"), node("a")]);
  });

  it("refuses the peer when this replica's waiting review sorts first, or has already been allowed", () => {
    const cache = graphOf(hr("a"), hr("b"));
    const edges = new UnconfirmedEdges();
    edges.add(hr("a", "b"), [node("b")], { id: "m-1" });
    expect(acceptPeerEdges(cache, edges, hr("b", "a"), [node("a")], "m-2", 60_000).type).toBe("conflict");
    const committed = new UnconfirmedEdges();
    committed.add(hr("a", "b"), [node("b")], { id: "m-2" });
    committed.commit("m-2");
    expect(acceptPeerEdges(cache, committed, hr("b", "a"), [node("a")], "m-1", 60_000).type).toBe("conflict");
  });
});
