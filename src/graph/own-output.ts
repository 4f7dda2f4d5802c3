// A Flux Operator ResourceSet that waits for its own output: it depends, directly or through other
// objects, on an object it generates itself. The operator applies what a ResourceSet generates only once
// every dependency is there (and Ready, with `ready: true`), so such a ResourceSet never reconciles
// (docs/behaviour.md, Admission rules). The question is a search from the ResourceSet's dependencies,
// over what exists, for one of the objects it generates.

import type { GraphView } from "./dependency-graph.js";
import type { NodeKey } from "./types.js";

/**
 * The shortest path [resourceSet, …, generated] from `resourceSet` through `targets` (its dependencies)
 * to one of the nodes in `generated`, or undefined. The ResourceSet's own node is never walked through
 * (its stored edges are being replaced; a path back to it is a cycle, found elsewhere).
 */
export function findOwnOutputPath(graph: GraphView, resourceSet: NodeKey, targets: readonly NodeKey[], generated: ReadonlySet<NodeKey>): NodeKey[] | undefined {
  if (generated.size === 0) return undefined;
  const parent = new Map<NodeKey, NodeKey>();
  const queue: NodeKey[] = [];
  for (const target of targets) {
    if (target === resourceSet || parent.has(target)) continue;
    parent.set(target, resourceSet);
    queue.push(target);
  }
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    if (generated.has(node)) {
      const path = [node];
      for (let at = parent.get(node)!; ; at = parent.get(at)!) {
        path.push(at);
        if (at === resourceSet) break;
      }
      return path.reverse();
    }
    if (!graph.has(node)) continue;
    for (const next of graph.dependencyKeys(node)) {
      if (next === resourceSet || parent.has(next)) continue;
      parent.set(next, node);
      queue.push(next);
    }
  }
  return undefined;
}
