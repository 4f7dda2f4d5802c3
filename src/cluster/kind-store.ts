// The store of one Flux kind (docs/architecture.md, "The pipe"): the list+watch cache's objects fed,
// once, into the kind's one GateTracker, whose graph the webhook reads (a read-only view) and whose
// gate changes the controller receives with the object attached. Nothing else holds a second graph of
// the kind, and nothing downstream re-reads the cache to learn what changed.
//
// Until the cache's first list is complete nothing is fed one by one: the whole list is loaded at once
// (GateTracker.replaceAll), which at 100k objects is several times cheaper and announces no transient
// state (a dependent listed before its dependency would otherwise look Missing for a moment). The
// webhook answers 503 until then, so it never reads a half-loaded graph.

import type { GraphView } from "../graph/dependency-graph.js";
import { GateTracker } from "../graph/gates.js";
import type { GateChange } from "../graph/gates.js";
import type { FluxKind, FluxObject, GateState, ObjectKey, SourceRef } from "../graph/types.js";
import type { CacheChange, ObjectCache } from "./object-cache.js";

/** What a store reads from its cache (an ObjectCache fits as it is; tests pass a fake that is synced). */
export type StoreSource = Pick<ObjectCache, "kind" | "isSynced" | "list" | "subscribe"> &
  Partial<Pick<ObjectCache, "synced" | "get" | "onWatchRestart" | "lastDeliveryAt">>;

/** The graph as the webhook may read it: no way to change it. */
export interface ReadonlyGraph extends GraphView {
  readonly size: number;
  /** Keys of the objects whose dependsOn names `key`, whether or not `key` exists. */
  dependentsOf(key: ObjectKey): ObjectKey[];
}

/** One gate change, with the object as it is now (undefined once deleted). */
export interface StoreGateChange extends GateChange {
  object: FluxObject | undefined;
}

/**
 * The gate changes one event caused: the first load (every object at once), or one cache change. For
 * a change, `cause.object` is the object as the watch delivered it.
 */
export interface GateBatch {
  cause: { type: "load" } | { type: "source"; ref: SourceRef; revision: string | undefined } | CacheChange;
  changes: StoreGateChange[];
}

export type GateBatchListener = (batch: GateBatch) => void;

export class KindStore {
  readonly kind: FluxKind;
  private readonly tracker: GateTracker;
  private readonly listeners = new Set<GateBatchListener>();
  private readonly waiters = new Set<{ keys: Set<ObjectKey>; done: (found: boolean) => void }>();
  private readonly unsubscribe: () => void;
  private loaded = false;
  private stopped = false;

  constructor(private readonly source: StoreSource) {
    this.kind = source.kind;
    this.tracker = new GateTracker(source.kind);
    this.unsubscribe = source.subscribe((change) => this.onChange(change));
    if (source.isSynced()) this.load();
    else source.synced?.then(() => this.load(), () => undefined);
  }

  /** The kind's graph, read-only: the webhook's view of the cluster. */
  get graph(): ReadonlyGraph {
    return this.tracker.graph;
  }

  /** The cache has listed everything and the graph holds it: the webhook may answer. */
  isSynced(): boolean {
    return this.loaded && this.source.isSynced();
  }

  /** Resolves once isSynced() (rejects if the cache stops first). */
  get synced(): Promise<void> {
    return this.source.synced ?? (this.loaded ? Promise.resolve() : Promise.reject(new Error(`the ${this.kind} cache cannot say when it syncs`)));
  }

  /** The object as the store holds it now. */
  get(key: ObjectKey): FluxObject | undefined {
    return this.tracker.graph.get(key) ?? this.source.get?.(key);
  }

  state(key: ObjectKey): GateState | undefined {
    return this.tracker.state(key);
  }

  states(): ReadonlyMap<ObjectKey, GateState> {
    return this.tracker.states();
  }

  cycleCount(): number {
    return this.tracker.cycleCount();
  }

  /** When the kind's watch last delivered anything (an event, a bookmark, a list page); ms. */
  lastDeliveryAt(): number | undefined {
    return this.source.lastDeliveryAt?.();
  }

  onWatchRestart(listener: Parameters<ObjectCache["onWatchRestart"]>[0]): () => void {
    return this.source.onWatchRestart?.(listener) ?? (() => undefined);
  }

  /** Be told of every batch of gate changes from now on (the load included, if it is still to come). */
  onGateChanges(listener: GateBatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves true once every key is in the graph, false after `timeoutMs`. The deny path uses it to let
   * the cache catch up with a write the API server has just stored.
   */
  waitForKeys(keys: readonly ObjectKey[], timeoutMs: number): Promise<boolean> {
    const graph = this.tracker.graph;
    const missing = new Set(keys.filter((key) => !graph.has(key)));
    if (missing.size === 0) return Promise.resolve(true);
    if (timeoutMs <= 0 || this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
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

  /**
   * A source's artifact revision changed (from a watch on the Flux sources): Kustomizations of that
   * source re-judge their same-source dependencies (docs/architecture.md, "Readiness").
   */
  setSourceRevision(ref: SourceRef, revision: string | undefined): void {
    const changes = this.tracker.setSourceRevision(ref, revision);
    if (this.loaded && changes.length > 0) this.emit({ cause: { type: "source", ref, revision }, changes: this.attach(changes) });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const waiter of [...this.waiters]) waiter.done(false);
  }

  private load(): void {
    if (this.stopped || this.loaded) return;
    this.loaded = true;
    const changes = this.tracker.replaceAll(this.source.list());
    this.emit({ cause: { type: "load" }, changes: this.attach(changes) });
  }

  private onChange(change: CacheChange): void {
    if (this.stopped || !this.loaded) return;
    const changes = change.type === "upsert" ? this.tracker.upsert(change.object) : this.tracker.remove(change.key);
    this.emit({ cause: change, changes: this.attach(changes) });
    if (change.type === "upsert" && this.waiters.size > 0) this.wake(change.key);
  }

  private attach(changes: GateChange[]): StoreGateChange[] {
    const graph = this.tracker.graph;
    return changes.map((change) => ({ ...change, object: graph.get(change.key) }));
  }

  private emit(batch: GateBatch): void {
    for (const listener of this.listeners) listener(batch);
  }

  private wake(key: ObjectKey): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.keys.delete(key)) continue;
      if (waiter.keys.size === 0) waiter.done(true);
    }
  }
}
