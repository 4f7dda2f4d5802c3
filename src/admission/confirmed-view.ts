// The cache's graph plus objects a consistent read has just found (cluster/missing-read.ts) that the
// cache has not seen yet: the deny path decides again on this view, so a dependency stored a moment ago
// counts as existing. Objects of kinds releasegate does not cache (a ResourceSet's Deployment) that the
// read found exist too, as nodes without an object or edges. Read-only, built for one review.
import { layersWith } from "../graph/dependency-graph.js";
import type { GraphLayers, GraphView } from "../graph/dependency-graph.js";
import { nodeOf, resolveDependencies } from "../graph/refs.js";
import type { FluxObject, NodeKey } from "../graph/types.js";

export class ConfirmedObjectsView implements GraphView {
  private readonly extra = new Map<NodeKey, FluxObject>();
  private readonly others: ReadonlySet<NodeKey>;

  constructor(
    private readonly base: GraphView,
    found: readonly FluxObject[],
    existing: Iterable<NodeKey> = [],
  ) {
    for (const object of found) {
      const key = nodeOf(object);
      if (!base.has(key)) this.extra.set(key, object);
    }
    this.others = new Set(existing);
  }

  has(key: NodeKey): boolean {
    return this.base.has(key) || this.extra.has(key) || this.others.has(key);
  }

  get(key: NodeKey): FluxObject | undefined {
    return this.base.get(key) ?? this.extra.get(key);
  }

  dependencyKeys(key: NodeKey): readonly NodeKey[] {
    const object = this.extra.get(key);
    if (object === undefined) return this.base.dependencyKeys(key);
    return [...new Set(resolveDependencies(object).map((d) => d.node))];
  }

  *keys(): Iterable<NodeKey> {
    yield* this.base.keys();
    yield* this.extra.keys();
  }

  *suggestionCandidates(missing: NodeKey): Iterable<NodeKey> {
    yield* this.base.suggestionCandidates?.(missing) ?? this.base.keys();
    yield* this.extra.keys();
  }

  /** Only adds to its base: objects and other nodes the read found that the base does not hold. */
  layered(): GraphLayers | undefined {
    return layersWith(this.base);
  }
}
