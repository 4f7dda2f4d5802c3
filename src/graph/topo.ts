// Topological levels of a dependency graph: the order in which Flux can reconcile releases (level 0
// first), for `releasegate graph` and for tests. Edges to objects that do not exist are ignored;
// objects on a cycle and everything depending on them can never be ordered and go to `cyclic`.

import type { GraphView } from "./dependency-graph.js";
import type { NodeKey } from "./types.js";

export function topologicalLevels(graph: GraphView): { levels: NodeKey[][]; cyclic: NodeKey[] } {
  // Kahn's algorithm on "dependency before dependent": count each object's existing dependencies.
  const pending = new Map<NodeKey, number>();
  const dependents = new Map<NodeKey, NodeKey[]>();
  let current: NodeKey[] = [];
  for (const key of graph.keys()) {
    let count = 0;
    for (const dep of graph.dependencyKeys(key)) {
      if (!graph.has(dep)) continue;
      count++;
      let list = dependents.get(dep);
      if (list === undefined) dependents.set(dep, (list = []));
      list.push(key);
    }
    pending.set(key, count);
    if (count === 0) current.push(key);
  }
  const levels: NodeKey[][] = [];
  let placed = 0;
  while (current.length > 0) {
    current.sort();
    levels.push(current);
    placed += current.length;
    const next: NodeKey[] = [];
    for (const key of current) {
      for (const dependent of dependents.get(key) ?? []) {
        const left = pending.get(dependent)! - 1;
        pending.set(dependent, left);
        if (left === 0) next.push(dependent);
      }
    }
    current = next;
  }
  const cyclic: NodeKey[] = [];
  if (placed < pending.size) for (const [key, left] of pending) if (left > 0) cyclic.push(key);
  return { levels, cyclic: cyclic.sort() };
}
