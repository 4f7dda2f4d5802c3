import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DependencyGraph } from "./dependency-graph.js";
import { withExtraEdges } from "./graph-overlay.js";
import { nodeOf } from "./refs.js";
import { suggestKeys } from "./suggest.js";
import type { FluxObject } from "./types.js";

describe("withExtraEdges (unconfirmed edges over the cache)", () => {
  it("gives suggestKeys the same 'did you mean' names as weighing every key of the view would", () => {
    const name = fc.constantFrom("redis", "redsi", "rdis", "backend", "backnd", "api", "apis", "web");
    const namespace = fc.constantFrom("default", "apps", "legacy");
    const kind = fc.constantFrom("HelmRelease" as const, "Kustomization" as const);
    const object = fc.tuple(kind, namespace, name).map(([k, ns, n]): FluxObject => ({ kind: k, namespace: ns, name: n, dependsOn: [{ name: "ghost" }] }));
    fc.assert(
      fc.property(fc.array(object, { maxLength: 15 }), fc.array(object, { maxLength: 15 }), kind, namespace, name, (cached, unconfirmed, k, ns, missingName) => {
        const graph = new DependencyGraph();
        for (const obj of cached) graph.upsert(obj);
        const extra = new Map(unconfirmed.map((obj) => [nodeOf(obj), { object: obj, dependencies: ["HelmRelease/default/ghost"] }]));
        const view = withExtraEdges(graph, extra);
        const missing = `${k}/${ns}/${missingName}`;
        expect(suggestKeys(missing, view.suggestionCandidates!(missing))).toEqual(suggestKeys(missing, view.keys()));
      }),
      { numRuns: 300 },
    );
  });
});
