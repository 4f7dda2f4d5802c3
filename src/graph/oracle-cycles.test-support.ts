// The brute-force cycle questions the gate oracles ask (gates.test.ts, resourceset-gates.test.ts):
// written the naive way on purpose, so the property tests compare the graph code against something
// obviously right.
import { resolveDependencies } from "./refs.js";
import type { FluxObject, NodeKey } from "./types.js";

interface OracleCycles {
  /** The object's dependencies (deduplicated, in dependsOn order), existing or not. */
  depsOf(key: NodeKey): NodeKey[];
  /** Whether following existing dependencies from `key` comes back to it. */
  reachesItself(key: NodeKey): boolean;
  /** The shortest cycle through `key` (BFS level by level, dependencies in dependsOn order, first hit wins), ending at `key`. */
  shortestCycle(key: NodeKey): NodeKey[];
}

export function oracleCycles(byKey: ReadonlyMap<NodeKey, FluxObject>): OracleCycles {
  const depsOf = (k: NodeKey): NodeKey[] => [...new Set(resolveDependencies(byKey.get(k)!).map((d) => d.node))];
  const reachesItself = (k: NodeKey): boolean => {
    const seen = new Set<NodeKey>();
    const stack = depsOf(k).filter((d) => byKey.has(d));
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (v === k) return true;
      if (seen.has(v)) continue;
      seen.add(v);
      for (const w of depsOf(v)) if (byKey.has(w)) stack.push(w);
    }
    return false;
  };
  const shortestCycle = (k: NodeKey): NodeKey[] => {
    let frontier: NodeKey[][] = [[k]];
    const seen = new Set<NodeKey>();
    for (;;) {
      const next: NodeKey[][] = [];
      for (const path of frontier) {
        for (const w of depsOf(path[path.length - 1]!)) {
          if (w === k) return [...path.slice(1), k];
          if (!byKey.has(w) || seen.has(w)) continue;
          seen.add(w);
          next.push([...path, w]);
        }
      }
      frontier = next;
    }
  };
  return { depsOf, reachesItself, shortestCycle };
}
