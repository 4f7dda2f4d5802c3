// The webhook's view of the cluster: for each guarded kind, the read-only graph of that kind's store
// (src/cluster/kind-store.ts), the very graph the gate controller's tracker keeps, so a review reads
// memory only and no second graph of 100k objects is built (docs/architecture.md, "The pipe").
// Readiness and the 503 answer follow the stores: before the first full list is loaded the webhook does
// not guess.
import type { KindStore, ReadonlyGraph } from "../cluster/kind-store.js";
import type { FluxKind, ObjectKey } from "../graph/types.js";

/** What the admission handler reads: a graph per kind and whether it can be trusted yet. */
export interface AdmissionGraphSource {
  graph(kind: FluxKind): ReadonlyGraph;
  isSynced(kind: FluxKind): boolean;
  /** Kinds not synced yet (empty when ready). */
  unsyncedKinds(): FluxKind[];
  /**
   * Resolves true once every key is in the kind's graph, false after `timeoutMs`. The deny path uses
   * it to let the cache catch up with a write the API server has just stored (see review-handler.ts).
   */
  waitForKeys?(kind: FluxKind, keys: readonly ObjectKey[], timeoutMs: number): Promise<boolean>;
}

/** The graph of a kind nobody stores (its API is not served): empty. */
const EMPTY: ReadonlyGraph = {
  kind: "HelmRelease",
  size: 0,
  has: () => false,
  get: () => undefined,
  dependencyKeys: () => [],
  keys: () => [],
  dependentsOf: () => [],
};

export class AdmissionGraphs implements AdmissionGraphSource {
  private readonly stores = new Map<FluxKind, KindStore>();

  constructor(stores: readonly KindStore[]) {
    for (const store of stores) this.stores.set(store.kind, store);
  }

  graph(kind: FluxKind): ReadonlyGraph {
    return this.stores.get(kind)?.graph ?? { ...EMPTY, kind };
  }

  /** False for a kind without a store (its API is not served, so no review of it should arrive). */
  isSynced(kind: FluxKind): boolean {
    return this.stores.get(kind)?.isSynced() ?? false;
  }

  /** Every store has synced (part of /readyz). */
  allSynced(): boolean {
    return [...this.stores.values()].every((store) => store.isSynced());
  }

  /** Kinds whose stores have not synced yet, for the /readyz answer. */
  unsyncedKinds(): FluxKind[] {
    return [...this.stores.values()].filter((store) => !store.isSynced()).map((store) => store.kind);
  }

  waitForKeys(kind: FluxKind, keys: readonly ObjectKey[], timeoutMs: number): Promise<boolean> {
    return this.stores.get(kind)?.waitForKeys(keys, timeoutMs) ?? Promise.resolve(false);
  }

  /** The stores belong to whoever made them (serve stops them); nothing to release here. */
  stop(): void {}
}
