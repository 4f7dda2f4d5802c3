// A GraphView with some objects added, replaced or removed on top of another, without copying it:
// the admission webhook checks a request against the cache plus the pending batch (docs/behaviour.md, The
// pending batch) this way.

import type { GraphView } from "./dependency-graph.js";
import { nodeOf, resolveDependencies } from "./refs.js";
import type { FluxObject, NodeKey } from "./types.js";

export function overlayGraph(base: GraphView, objects: Iterable<FluxObject>, removed: Iterable<NodeKey> = []): GraphView {
  const overlay = new Map<NodeKey, { obj: FluxObject; deps: readonly NodeKey[] }>();
  for (const obj of objects) {
    overlay.set(nodeOf(obj), { obj, deps: [...new Set(resolveDependencies(obj).map((d) => d.node))] });
  }
  const gone = new Set(removed);
  for (const key of overlay.keys()) gone.delete(key);
  return {
    has: (key) => overlay.has(key) || (!gone.has(key) && base.has(key)),
    get: (key) => overlay.get(key)?.obj ?? (gone.has(key) ? undefined : base.get(key)),
    dependencyKeys: (key) => overlay.get(key)?.deps ?? (gone.has(key) ? [] : base.dependencyKeys(key)),
    *keys() {
      for (const key of base.keys()) if (!overlay.has(key) && !gone.has(key)) yield key;
      yield* overlay.keys();
    },
    *suggestionCandidates(missing) {
      const candidates = base.suggestionCandidates?.(missing) ?? base.keys();
      // suggestKeys keeps only the missing node's kind.
      for (const key of candidates) if (!overlay.has(key) && !gone.has(key)) yield key;
      yield* overlay.keys();
    },
  };
}
