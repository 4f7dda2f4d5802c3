import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbitraryGraph, buildGraph } from "./arbitraries.test-support.js";
import { findCycles } from "./cycles.js";
import { release } from "./test-helpers.test-support.js";
import { topologicalLevels } from "./topo.js";

describe("topologicalLevels", () => {
  it("orders the chain bottom-up and sets aside a cycle with its dependents", () => {
    const graph = buildGraph([
      release("default/frontend", { dependsOn: ["backend"] }),
      release("default/backend", { dependsOn: ["redis", "ghost"] }),
      release("default/redis"),
      release("default/a", { dependsOn: ["b"] }),
      release("default/b", { dependsOn: ["a"] }),
      release("default/c", { dependsOn: ["a"] }),
    ]);
    expect(topologicalLevels(graph)).toEqual({
      levels: [["default/redis"], ["default/backend"], ["default/frontend"]],
      cyclic: ["default/a", "default/b", "default/c"],
    });
  });

  it("puts every dependency on a lower level than its dependent; cycle members are all in cyclic", () => {
    fc.assert(
      fc.property(arbitraryGraph(), (objects) => {
        const graph = buildGraph(objects);
        const { levels, cyclic } = topologicalLevels(graph);
        const level = new Map<string, number>();
        levels.forEach((keys, i) => keys.forEach((k) => level.set(k, i)));
        expect(level.size + cyclic.length).toBe(graph.size);
        for (const [key, l] of level) {
          for (const dep of graph.dependencyKeys(key)) {
            if (!graph.has(dep)) continue;
            expect(level.get(dep)).toBeLessThan(l);
          }
        }
        for (const cycle of findCycles(graph)) for (const k of cycle) expect(cyclic).toContain(k);
      }),
      { numRuns: 300 },
    );
  });
});
