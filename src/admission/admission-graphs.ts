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
  /**
   * Resolves true once every key is in the kind's graph, false after `timeoutMs`. The deny path uses
   * it to let the cache catch up with a write the API server has just stored (see review-handler.ts).
   */
  waitForKeys?(kind: FluxKind, keys: readonly ObjectKey[], timeoutMs: number): Promise<boolean>;
}

export class AdmissionGraphs implements AdmissionGraphSource {
  private readonly graphs: Record<FluxKind, DependencyGraph> = {
    HelmRelease: new DependencyGraph("HelmRelease"),
    Kustomization: new DependencyGraph("Kustomization"),
    ResourceSet: new DependencyGraph("ResourceSet"),
  };
  private readonly caches = new Map<FluxKind, ObjectCacheLike>();
  private readonly unsubscribes: (() => void)[] = [];
  private readonly waiters = new Set<{ kind: FluxKind; keys: Set<ObjectKey>; done: (found: boolean) => void }>();

  /** Follows each cache from now on; objects already cached are loaded at once. */
  constructor(caches: readonly ObjectCacheLike[]) {
    for (const cache of caches) {
      const graph = this.graphs[cache.kind];
      this.caches.set(cache.kind, cache);
      this.unsubscribes.push(
        cache.subscribe((change) => {
          if (change.type === "upsert") {
            graph.upsert(change.object);
            if (this.waiters.size > 0) this.wake(cache.kind, change.key);
          } else {
            graph.remove(change.key);
          }
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

  waitForKeys(kind: FluxKind, keys: readonly ObjectKey[], timeoutMs: number): Promise<boolean> {
    const graph = this.graphs[kind];
    const missing = new Set(keys.filter((key) => !graph.has(key)));
    if (missing.size === 0) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        kind,
        keys: missing,
        done: (found: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(found);
        },
      };
      const timer = setTimeout(() => waiter.done(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private wake(kind: FluxKind, key: ObjectKey): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.kind !== kind || !waiter.keys.delete(key)) continue;
      if (waiter.keys.size === 0) waiter.done(true);
    }
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    for (const waiter of [...this.waiters]) waiter.done(false);
  }
}
