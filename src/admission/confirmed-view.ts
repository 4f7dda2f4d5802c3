// The cache's graph plus objects a consistent read has just found (cluster/missing-read.ts) that the
// cache has not seen yet: the deny path decides again on this view, so a dependency stored a moment ago
// counts as existing. Read-only, built for one review.
import type { GraphView } from "../graph/dependency-graph.js";
import { objectKey, resolveDependencies } from "../graph/refs.js";
import type { FluxObject, ObjectKey } from "../graph/types.js";

export class ConfirmedObjectsView implements GraphView {
  readonly kind: GraphView["kind"];
  private readonly extra = new Map<ObjectKey, FluxObject>();

  constructor(
    private readonly base: GraphView,
    found: readonly FluxObject[],
  ) {
    this.kind = base.kind;
    for (const object of found) {
      const key = objectKey(object.namespace, object.name);
      if (!base.has(key)) this.extra.set(key, object);
    }
  }

  has(key: ObjectKey): boolean {
    return this.base.has(key) || this.extra.has(key);
  }

  get(key: ObjectKey): FluxObject | undefined {
    return this.base.get(key) ?? this.extra.get(key);
  }

  dependencyKeys(key: ObjectKey): readonly ObjectKey[] {
    const object = this.extra.get(key);
    if (object === undefined) return this.base.dependencyKeys(key);
    return [...new Set(resolveDependencies(object).map((d) => d.key))];
  }

  *keys(): Iterable<ObjectKey> {
    yield* this.base.keys();
    yield* this.extra.keys();
  }

  *suggestionCandidates(missing: ObjectKey): Iterable<ObjectKey> {
    yield* this.base.suggestionCandidates?.(missing) ?? this.base.keys();
    yield* this.extra.keys();
  }
}
