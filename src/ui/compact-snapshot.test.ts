import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbitraryGraph } from "../graph/arbitraries.test-support.js";
import { decodeSnapshot, encodeSnapshot } from "./compact-snapshot.js";
import type { CompactSnapshot } from "./compact-snapshot.js";
import { snapshotOfObjects, summaryOfNode } from "./graph-nodes.js";
import type { NodeSummary } from "./graph-snapshot.js";

const head = { generatedAt: "2026-12-08T00:00:00.000Z", source: "cluster" as const, revision: 3 };
const throughJson = (nodes: NodeSummary[]) => decodeSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(head, nodes))) as CompactSnapshot);

describe("the compact snapshot", () => {
  it("gives back every summary of a random graph, across kinds, ghosts and cycles included", () => {
    fc.assert(
      fc.property(arbitraryGraph(), (objects) => {
        // The offline fields (depth, duplicate) are not part of it: the live feed never sets them.
        const nodes = snapshotOfObjects(objects, "cluster").nodes.map(summaryOfNode);
        expect(throughJson(nodes)).toEqual(nodes);
      }),
      { numRuns: 200 },
    );
  });

  it("names each kind, namespace and root-cause message once, and keeps an id no node has", () => {
    const node = (name: string, extra: Partial<NodeSummary> = {}): NodeSummary => ({ id: `HelmRelease/apps/${name}`, kind: "HelmRelease", namespace: "apps", name, state: "open", dependencies: [], ...extra });
    const blocked = (name: string, dep: string): NodeSummary =>
      node(name, { state: "blocked", reason: "Failed", rootCause: "HelmRelease/apps/base", rootCauseMessage: "install retries exhausted", health: "progressing", dependencies: [`HelmRelease/apps/${dep}`] });
    const nodes = [node("base", { health: "failed" }), blocked("a", "base"), blocked("b", "a"), node("c", { dependencies: ["ConfigMap/apps/settings"] })];
    const compact = encodeSnapshot(head, nodes);
    expect(compact.strings.filter((s) => s === "install retries exhausted" || s === "apps" || s === "HelmRelease")).toHaveLength(3);
    expect(compact.dependencies).toEqual([0, 1, 4]);
    expect(compact.others).toEqual(["ConfigMap/apps/settings"]);
    expect(throughJson(nodes)).toEqual(nodes);
  });

  it("refuses a body that is not one, in one line", () => {
    expect(() => decodeSnapshot({ nodes: [] } as unknown as CompactSnapshot)).toThrow("the graph's snapshot is malformed: no nodes");
    const short = { ...encodeSnapshot(head, []), name: ["x"] };
    expect(() => decodeSnapshot(short)).toThrow("its columns differ in length");
  });
});
