import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbitraryGraph, buildGraph } from "./arbitraries.test-support.js";
import type { GraphView } from "./dependency-graph.js";
import { findOwnOutputPath } from "./own-output.js";
import { release } from "./test-helpers.test-support.js";
import type { NodeKey } from "./types.js";

const hr = (name: string, deps: string[] = []) => release(`apps/${name}`, { dependsOn: deps });

describe("findOwnOutputPath", () => {
  const graph = buildGraph([hr("api", ["cache"]), hr("web", ["api"]), hr("db")]);
  const rs = "ResourceSet/apps/platform";

  it("finds a dependency the ResourceSet generates itself", () => {
    expect(findOwnOutputPath(graph, rs, ["HelmRelease/apps/cache"], new Set(["HelmRelease/apps/cache"]))).toEqual([rs, "HelmRelease/apps/cache"]);
  });

  it("finds the shortest path through what exists", () => {
    const path = findOwnOutputPath(graph, rs, ["HelmRelease/apps/web", "HelmRelease/apps/api"], new Set(["HelmRelease/apps/cache"]));
    expect(path).toEqual([rs, "HelmRelease/apps/api", "HelmRelease/apps/cache"]);
  });

  it("finds nothing when no generated object is reachable, or nothing is generated", () => {
    expect(findOwnOutputPath(graph, rs, ["HelmRelease/apps/db"], new Set(["HelmRelease/apps/cache"]))).toBeUndefined();
    expect(findOwnOutputPath(graph, rs, ["HelmRelease/apps/web"], new Set())).toBeUndefined();
  });

  it("never walks through the ResourceSet itself (its stored edges are being replaced)", () => {
    const stored = buildGraph([hr("api", []), release("apps/platform", { kind: "ResourceSet", dependsOn: [{ kind: "HelmRelease", name: "cache" }] })]);
    expect(findOwnOutputPath(stored, rs, [rs], new Set(["HelmRelease/apps/cache"]))).toBeUndefined();
  });

  /** Brute force: every simple path from the ResourceSet, the shortest one ending at a generated node. */
  function oracle(view: GraphView, from: NodeKey, targets: readonly NodeKey[], generated: ReadonlySet<NodeKey>): number | undefined {
    let best: number | undefined;
    const walk = (node: NodeKey, seen: Set<NodeKey>, length: number): void => {
      if (generated.has(node)) {
        best = best === undefined ? length : Math.min(best, length);
        return;
      }
      if (!view.has(node)) return;
      for (const next of view.dependencyKeys(node)) if (next !== from && !seen.has(next)) walk(next, new Set([...seen, next]), length + 1);
    };
    for (const target of targets) if (target !== from) walk(target, new Set([target]), 1);
    return best;
  }

  it("agrees with a brute-force search on random graphs: found exactly when some path exists, and as short as the shortest", () => {
    fc.assert(
      fc.property(arbitraryGraph(12), fc.array(fc.constantFrom("HelmRelease/default/a", "Kustomization/default/b", "ResourceSet/default/c", "HelmRelease/cache/d"), { maxLength: 3 }), fc.array(fc.constantFrom("HelmRelease/default/e", "ResourceSet/default/f", "Kustomization/apps/g", "HelmRelease/default/a"), { maxLength: 3 }), (objects, targets, generated) => {
        const view = buildGraph(objects);
        const from = "ResourceSet/default/self";
        const set = new Set<NodeKey>(generated);
        const path = findOwnOutputPath(view, from, targets, set);
        const shortest = oracle(view, from, targets, set);
        expect(path === undefined ? undefined : path.length - 1).toBe(shortest);
        if (path !== undefined) {
          expect(path[0]).toBe(from);
          expect(set.has(path[path.length - 1]!)).toBe(true);
          expect(targets).toContain(path[1]);
          for (let i = 1; i + 1 < path.length; i++) expect(view.dependencyKeys(path[i]!)).toContain(path[i + 1]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
