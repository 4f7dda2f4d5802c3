// The one graph of every kind in the cluster (docs/architecture.md, "Kinds"): one GateTracker whose
// nodes are `Kind/ns/name`, fed by the store of each kind (kind-store.ts). An event of one kind can
// change the gates of another (a ResourceSet depending on a HelmRelease), so every batch of gate
// changes is handed to the store of each changed object's kind, which announces it to its listeners.

import type { GraphView } from "../graph/dependency-graph.js";
import type { ExternalObjects } from "../graph/external-objects.js";
import { GateTracker } from "../graph/gates.js";
import type { GateChange } from "../graph/gates.js";
import { FieldDemand } from "../graph/field-demand.js";
import { kindOfNode, nodeOf } from "../graph/refs.js";
import type { FluxObject, NodeKey, SourceRef } from "../graph/types.js";
import type { CacheChange } from "./object-cache.js";

/**
 * What caused a batch of gate changes: a kind's first load, a source's new revision, a change of the
 * kind's own cache, or an update of another kind (`kind`) whose objects this kind's depend on.
 */
export type GateCause =
  | { type: "load" }
  | { type: "source"; ref: SourceRef; revision: string | undefined }
  | CacheChange
  | { type: "other-kind"; kind: string }
  /** What the watch of a kind outside Flux says changed (external-watches.ts). */
  | { type: "external"; kind: string };

/** The graph as the webhook may read it: no way to change it. */
export interface ReadonlyGraph extends GraphView {
  readonly size: number;
  /** Nodes of the objects whose dependsOn names `key`, whether or not `key` exists. */
  dependentsOf(key: NodeKey): NodeKey[];
}

/** Who receives the gate changes of one kind (a KindStore). */
export interface KindChangeSink {
  readonly kind: string;
  /** The changes of objects of this kind that one update caused, in order. */
  deliver(changes: GateChange[], cause: GateCause): void;
}

/**
 * Who is told which kinds outside Flux the graph's entries name (by apiVersion), and in which namespaces,
 * whenever that changes (external-watches.ts).
 */
type ExternalDemandListener = (kinds: ReadonlyMap<string, ReadonlyMap<string, number>>, namespaces: ReadonlyMap<string, ReadonlyMap<string, number>>) => void;

export class FluxGraph {
  private readonly tracker: GateTracker;
  private readonly sinks = new Map<string, KindChangeSink>();
  private demandListener: ExternalDemandListener | undefined;
  private demandVersion = -1;
  private fieldsListener: ((nodes: NodeKey[]) => void) | undefined;

  /**
   * `externals`: what the gates know of objects of kinds outside Flux (none by default). `fields`: what
   * the objects' readyExprs read of each other (the caches' decoders keep that of each object).
   */
  constructor(
    externals?: ExternalObjects,
    readonly fields: FieldDemand = new FieldDemand(),
  ) {
    this.tracker = new GateTracker([], externals);
  }

  /**
   * Be told of the nodes whose objects a readyExpr now reads more of than they were decoded with (one
   * listener): their kind's cache must read them again (ObjectCache.requestRelist, external-watches.ts).
   */
  onFieldsGrown(listener: (nodes: NodeKey[]) => void): void {
    this.fieldsListener = listener;
  }

  private demandFields(objects: Iterable<{ node: NodeKey; object: FluxObject | undefined }>): void {
    let grown: NodeKey[] | undefined;
    for (const { node, object } of objects) {
      const more = this.fields.update(node, object);
      if (more.length > 0) (grown ??= []).push(...more);
    }
    if (grown !== undefined) this.fieldsListener?.(grown);
  }

  /** Be told of the kinds outside Flux the entries name, now and on every change (one listener). */
  onExternalDemand(listener: ExternalDemandListener): void {
    this.demandListener = listener;
    this.demandVersion = -1;
    this.announceDemand();
  }

  /** The view says something new of one node of a kind outside Flux: its dependents are judged again. */
  externalChanged(node: NodeKey): void {
    const changes = this.tracker.externalChanged(node);
    if (changes.length > 0) this.route(changes, undefined, { type: "external", kind: kindOfNode(node) });
  }

  /** The same for every node of the kind (its watch started, listed, failed or stopped). */
  externalKindChanged(kind: string): void {
    const changes = this.tracker.externalKindChanged(kind);
    if (changes.length > 0) this.route(changes, undefined, { type: "external", kind });
  }

  /** The one graph, read-only. */
  get graph(): ReadonlyGraph {
    return this.tracker.graph;
  }

  get gates(): Pick<GateTracker, "state" | "states" | "cycleCount" | "cycleCountOf"> {
    return this.tracker;
  }

  /** Registers the store of a kind; one per kind. */
  attach(sink: KindChangeSink): () => void {
    if (this.sinks.has(sink.kind)) throw new Error(`a store of ${sink.kind} is already attached to this graph`);
    this.sinks.set(sink.kind, sink);
    return () => {
      if (this.sinks.get(sink.kind) === sink) this.sinks.delete(sink.kind);
    };
  }

  /** A kind's first full list: its objects replace whatever of the kind the graph held. */
  load(kind: string, objects: Iterable<FluxObject>): void {
    const list = [...objects];
    this.demandFields(list.map((object) => ({ node: nodeOf(object), object })));
    this.route(this.tracker.replaceKind(kind, list), kind, { type: "load" });
    this.announceDemand();
  }

  /** A change of `kind`'s cache (its node is the change's kind and key). */
  apply(kind: string, change: CacheChange, node: NodeKey): void {
    this.demandFields([{ node, object: change.type === "upsert" ? change.object : undefined }]);
    const changes = change.type === "upsert" ? this.tracker.upsert(change.object) : this.tracker.remove(node);
    this.route(changes, kind, change);
    this.announceDemand();
  }

  private announceDemand(): void {
    if (this.demandListener === undefined || this.tracker.externalKindsVersion === this.demandVersion) return;
    this.demandVersion = this.tracker.externalKindsVersion;
    this.demandListener(this.tracker.externalKinds(), this.tracker.externalNamespaces());
  }

  /** Only the kinds with changes hear of a new source revision. */
  setSourceRevision(ref: SourceRef, revision: string | undefined): void {
    const changes = this.tracker.setSourceRevision(ref, revision);
    if (changes.length > 0) this.route(changes, undefined, { type: "source", ref, revision });
  }

  /**
   * Hands each kind its changes. The kind updated hears first, and even of no change (its listeners
   * learn of the event itself); the others hear only of changes, as caused by `other-kind`.
   */
  private route(changes: GateChange[], from: string | undefined, cause: GateCause): void {
    // The usual batch (a kind's load, most events): every change of the kind updated, handed on as it is.
    if (from !== undefined && changes.every((change) => change.kind === from)) {
      this.sinks.get(from)?.deliver(changes, cause);
      return;
    }
    const byKind = new Map<string, GateChange[]>();
    if (from !== undefined) byKind.set(from, []);
    let lastKind: string | undefined;
    let list: GateChange[] | undefined;
    for (const change of changes) {
      const kind = change.kind;
      if (kind !== lastKind) {
        lastKind = kind;
        list = byKind.get(kind);
        if (list === undefined) byKind.set(kind, (list = []));
      }
      list!.push(change);
    }
    for (const [kind, list] of byKind) {
      const own = from === undefined || kind === from;
      this.sinks.get(kind)?.deliver(list, own ? cause : { type: "other-kind", kind: from });
    }
  }
}
