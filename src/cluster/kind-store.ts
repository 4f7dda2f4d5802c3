// The store of one Flux kind (docs/architecture.md, "The pipe"): the list+watch cache's objects fed,
// once, into the one graph and GateTracker every kind shares (flux-graph.ts), which the webhook reads
// (a read-only view); the controller receives the gate changes of the kind's objects with the object
// attached. Nothing else holds a second graph, and nothing downstream re-reads the cache to learn what
// changed.
//
// Until the cache's first list is complete nothing is fed one by one: the whole list is loaded at once
// (GateTracker.replaceKind), which at 100k objects is several times cheaper and announces no transient
// state (a dependent listed before its dependency would otherwise look Missing for a moment). The
// webhook answers 503 until then, so it never reads a half-loaded graph.

import type { GateChange } from "../graph/gates.js";
import { nodeKey, objectKeyOf } from "../graph/refs.js";
import type { FluxKind, FluxObject, GateState, NodeKey, ObjectKey, SourceRef } from "../graph/types.js";
import { FluxGraph } from "./flux-graph.js";
import type { GateCause, KindChangeSink, ReadonlyGraph } from "./flux-graph.js";
import type { ObjectCache } from "./object-cache.js";

export type { ReadonlyGraph } from "./flux-graph.js";

/** What a store reads from its cache (an ObjectCache fits as it is; tests pass a fake that is synced). */
export type StoreSource = Pick<ObjectCache, "kind" | "isSynced" | "list" | "subscribe"> &
  Partial<Pick<ObjectCache, "synced" | "get" | "onWatchRestart" | "lastDeliveryAt">>;

/** One gate change of the store's kind: `key` is `ns/name`, `node` the graph's key; the object as it is now. */
export interface StoreGateChange {
  key: ObjectKey;
  node: NodeKey;
  before: GateState | undefined;
  after: GateState | undefined;
  object: FluxObject | undefined;
}

/**
 * The gate changes one event caused: the first load (every object at once), one cache change, a
 * source's revision, or a change of another kind this kind's objects depend on. For a change of the
 * kind's own cache, `cause.object` is the object as the watch delivered it.
 */
export interface GateBatch {
  cause: GateCause;
  changes: StoreGateChange[];
}

export type GateBatchListener = (batch: GateBatch) => void;

export class KindStore implements KindChangeSink {
  readonly kind: FluxKind;
  /** The one graph of every kind this store feeds its kind's objects into. */
  readonly shared: FluxGraph;
  private readonly detach: () => void;
  private readonly listeners = new Set<GateBatchListener>();
  private readonly waiters = new Set<{ keys: Set<ObjectKey>; done: (found: boolean) => void }>();
  private readonly unsubscribe: () => void;
  private loaded = false;
  private stopped = false;

  /** `shared`: the graph the stores of the other kinds feed too (a store of its own graph without it). */
  constructor(
    private readonly source: StoreSource,
    shared: FluxGraph = new FluxGraph(),
  ) {
    this.kind = source.kind;
    this.shared = shared;
    this.detach = shared.attach(this);
    this.unsubscribe = source.subscribe((change) => this.onChange(change));
    if (source.isSynced()) this.load();
    else source.synced?.then(() => this.load(), () => undefined);
  }

  /** The one graph (every kind's nodes, `Kind/ns/name`), read-only: the webhook's view of the cluster. */
  get graph(): ReadonlyGraph {
    return this.shared.graph;
  }

  /** The node of an object of this kind. */
  nodeOf(key: ObjectKey): NodeKey {
    const slash = key.indexOf("/");
    return nodeKey(this.kind, key.slice(0, slash), key.slice(slash + 1));
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
    return this.shared.graph.get(this.nodeOf(key)) ?? this.source.get?.(key);
  }

  state(key: ObjectKey): GateState | undefined {
    return this.shared.gates.state(this.nodeOf(key));
  }

  /** The gate of every object of this kind, by `ns/name`. */
  states(): ReadonlyMap<ObjectKey, GateState> {
    const prefix = `${this.kind}/`;
    const states = new Map<ObjectKey, GateState>();
    for (const [node, state] of this.shared.gates.states()) if (node.startsWith(prefix)) states.set(node.slice(prefix.length), state);
    return states;
  }

  /** Cycles with a member of this kind. */
  cycleCount(): number {
    return this.shared.gates.cycleCountOf(this.kind);
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
    const graph = this.shared.graph;
    const missing = new Set(keys.filter((key) => !graph.has(this.nodeOf(key))));
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
    this.shared.setSourceRevision(ref, revision);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.detach();
    for (const waiter of [...this.waiters]) waiter.done(false);
  }

  private load(): void {
    if (this.stopped || this.loaded) return;
    this.loaded = true;
    this.shared.load(this.kind, this.source.list());
  }

  private onChange(change: Parameters<Parameters<StoreSource["subscribe"]>[0]>[0]): void {
    if (this.stopped || !this.loaded) return;
    this.shared.apply(this.kind, change, this.nodeOf(change.key));
    if (change.type === "upsert" && this.waiters.size > 0) this.wake(change.key);
  }

  /** The shared graph's changes of this kind's objects, from FluxGraph.route (only once this kind is loaded). */
  deliver(changes: GateChange[], cause: GateCause): void {
    if (this.stopped || !this.loaded) return;
    this.emit({
      cause,
      changes: changes.map(({ key, before, after, object }) => ({ key: objectKeyOf(key), node: key, before, after, object })),
    });
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
