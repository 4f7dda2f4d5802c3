// A GraphView with some objects added, replaced or removed on top of another, without copying it:
// the admission webhook checks a request against the cache plus the pending batch (docs/behaviour.md, The
// pending batch) this way.

import { layersWith } from "./dependency-graph.js";
import type { GraphView } from "./dependency-graph.js";
import { nodeOf, resolveDependencies, splitNodeKey } from "./refs.js";
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
    // Removing an object is not adding to the graph: a search on such a view asks it key by key.
    layered: () => (gone.size === 0 ? layersWith(base, (key) => overlay.has(key)) : undefined),
  };
}

/** Objects whose edges are added to a node's edges in the base (not instead of them). */
export interface ExtraEdges {
  readonly size: number;
  get(key: NodeKey): { readonly object: FluxObject; readonly dependencies: readonly NodeKey[] } | undefined;
  keys(): Iterable<NodeKey>;
}

/**
 * The base with more edges: a node in `extra` depends on the union of its edges in the base and its
 * extra ones, and exists if either holds it. The webhook checks against edges it has allowed and not yet
 * seen stored (docs/architecture.md, "Unconfirmed edges"): a write may still fail, so until the watch says
 * which version won, both the stored edges and the allowed ones count. A union can only find more cycles.
 */
const SLASH = 47;

export function withExtraEdges(base: GraphView, extra: ExtraEdges): GraphView {
  if (extra.size === 0) return base;
  return {
    has: (key) => base.has(key) || extra.get(key) !== undefined,
    get: (key) => base.get(key) ?? extra.get(key)?.object,
    dependencyKeys: (key) => {
      const added = extra.get(key);
      if (added === undefined) return base.dependencyKeys(key);
      const own = base.has(key) ? base.dependencyKeys(key) : [];
      if (own.length === 0) return added.dependencies;
      return [...new Set([...own, ...added.dependencies])];
    },
    *keys() {
      yield* base.keys();
      for (const key of extra.keys()) if (!base.has(key)) yield key;
    },
    *suggestionCandidates(missing) {
      yield* base.suggestionCandidates?.(missing) ?? base.keys();
      // Of the extra nodes only those of the missing node's kind, in its namespace or of its name, can be
      // suggested (DependencyGraph.suggestionCandidates): told by the key's text before the base is asked.
      const { kind, namespace, name } = splitNodeKey(missing);
      const inNamespace = `${kind}/${namespace}/`;
      const sameName = `/${name}`;
      for (const key of extra.keys()) {
        if (!key.startsWith(kind) || key.charCodeAt(kind.length) !== SLASH || !(key.startsWith(inNamespace) || key.endsWith(sameName))) continue;
        if (!base.has(key)) yield key;
      }
    },
    layered: () => layersWith(base, (key) => extra.get(key) !== undefined),
  };
}
