// The webhook's view of the cluster: one DependencyGraph per Flux kind, kept equal to the kind's
// ObjectCache (src/cluster) by applying each cache change as it happens, so a review reads memory only
// (STYLE.md: never read the API server on a request). Readiness and the 503 answer follow the caches'
// sync state: before the first full list the webhook does not guess (DESIGN.md, Admission rules).
import { DependencyGraph } from "../graph/dependency-graph.js";
import type { FluxKind, FluxObject, ObjectKey } from "../graph/types.js";

/** The part of src/cluster's ObjectCache the webhook needs (an ObjectCache fits as it is). */
export interface ObjectCacheLike {
  readonly kind: FluxKind;
  isSynced(): boolean;
  list(): FluxObject[];
  subscribe(
    listener: (change: { type: "upsert"; key: ObjectKey; object: FluxObject } | { type: "delete"; key: ObjectKey }) => void,
  ): () => void;
}

/** What the admission handler reads: a graph per kind and whether it can be trusted yet. */
export interface AdmissionGraphSource {
  graph(kind: FluxKind): DependencyGraph;
  isSynced(kind: FluxKind): boolean;
  /** Kinds not synced yet (empty when ready). */
  unsyncedKinds(): FluxKind[];
}

export class AdmissionGraphs implements AdmissionGraphSource {
  private readonly graphs: Record<FluxKind, DependencyGraph> = {
    HelmRelease: new DependencyGraph("HelmRelease"),
    Kustomization: new DependencyGraph("Kustomization"),
  };
  private readonly caches = new Map<FluxKind, ObjectCacheLike>();
  private readonly unsubscribes: (() => void)[] = [];

  /** Follows each cache from now on; objects already cached are loaded at once. */
  constructor(caches: readonly ObjectCacheLike[]) {
    for (const cache of caches) {
      const graph = this.graphs[cache.kind];
      this.caches.set(cache.kind, cache);
      this.unsubscribes.push(
        cache.subscribe((change) => {
          if (change.type === "upsert") graph.upsert(change.object);
          else graph.remove(change.key);
        }),
      );
      for (const object of cache.list()) graph.upsert(object);
    }
  }

  graph(kind: FluxKind): DependencyGraph {
    return this.graphs[kind];
  }

  /** False for a kind without a cache (its API is not served, so no review of it should arrive). */
  isSynced(kind: FluxKind): boolean {
    return this.caches.get(kind)?.isSynced() ?? false;
  }

  /** Every followed cache has synced (part of /readyz). */
  allSynced(): boolean {
    return [...this.caches.values()].every((cache) => cache.isSynced());
  }

  /** Kinds whose caches have not synced yet, for the /readyz answer. */
  unsyncedKinds(): FluxKind[] {
    return [...this.caches.values()].filter((cache) => !cache.isSynced()).map((cache) => cache.kind);
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }
}
