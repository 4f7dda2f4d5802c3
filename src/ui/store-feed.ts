// The live feed of serve's graph page (docs/architecture.md, "Kinds"): the snapshot is read from the one
// graph every kind's store feeds, and the changes come from the stores' batches of gate changes, so
// /api/graph and /api/events never read the API server, nor a cache beside the graph. Every kind the
// graph holds is shown; a kind's store that joins later (or never) needs nothing here.

import type { FluxGraph } from "../cluster/flux-graph.js";
import type { GateBatch, GateBatchListener } from "../cluster/kind-store.js";
import { nodeKey, splitKey } from "../graph/refs.js";
import type { FluxObject, GateState, NodeKey } from "../graph/types.js";
import { ghostOf, graphNodeOf } from "./graph-nodes.js";
import type { GraphFeed, GraphNode, GraphSnapshot, GraphUpdate } from "./graph-snapshot.js";

/** What the feed reads of a kind's store (a KindStore fits as it is). */
interface FeedStore {
  readonly kind: string;
  /** The one graph of every kind the store feeds. */
  readonly shared: Pick<FluxGraph, "graph" | "gates">;
  onGateChanges(listener: GateBatchListener): () => void;
}

type Shared = FeedStore["shared"];

/** Dropped after this long without a snapshot asked for: no page open, nothing kept. */
const KEEP_SERIALIZED_MS = 120_000;

/** One object's node as JSON, valid while the graph holds the same object and gate (by reference). */
interface SerializedNode {
  object: FluxObject;
  gate: GateState;
  json: string;
  /** Its dependencies the graph did not hold. */
  ghosts: readonly NodeKey[];
  /** The snapshot that last used it (the others are forgotten). */
  pass: number;
}

/** The page's node of a graph node as the graph holds it now, or undefined when it is not there. */
function nodeNow(shared: Shared, node: NodeKey): GraphNode | undefined {
  const object = shared.graph.get(node);
  const gate = shared.gates.state(node);
  return object === undefined || gate === undefined ? undefined : graphNodeOf(object.kind, object, gate);
}

/** A ghost for every dependency of `node` the graph does not hold. */
function ghostsOf(shared: Shared, node: NodeKey, into: Map<NodeKey, GraphNode>): void {
  for (const dep of shared.graph.dependencyKeys(node)) if (!shared.graph.has(dep) && !into.has(dep)) into.set(dep, ghostOf("", dep));
}

/** The nodes a batch changed: the object the event was about (when of this kind) and every changed gate. */
function touchedBy(store: FeedStore, batch: GateBatch): Set<NodeKey> {
  const touched = new Set<NodeKey>();
  const cause = batch.cause;
  if (cause.type === "upsert" || cause.type === "delete") {
    const { namespace, name } = splitKey(cause.key);
    touched.add(nodeKey(store.kind, namespace, name));
  }
  for (const change of batch.changes) touched.add(change.node);
  return touched;
}

export function storeFeed(stores: readonly FeedStore[]): GraphFeed {
  const listeners = new Set<(update: GraphUpdate) => void>();
  // The stores of serve share one graph; stores of graphs of their own are each shown too.
  const graphs = [...new Set(stores.map((store) => store.shared))];
  let revision = 0;

  const onBatch = (store: FeedStore, batch: GateBatch): void => {
    revision++;
    // While no page listens the feed builds nothing.
    if (listeners.size === 0) return;
    const shared = store.shared;
    const removed: NodeKey[] = [];
    const nodes = new Map<NodeKey, GraphNode>();
    const ghosts = new Map<NodeKey, GraphNode>();
    for (const key of touchedBy(store, batch)) {
      const node = nodeNow(shared, key);
      if (node !== undefined) {
        nodes.set(key, node);
        ghostsOf(shared, key, ghosts);
        continue;
      }
      // Gone: off the page, or a ghost for whoever still names it.
      removed.push(key);
      if (shared.graph.dependentsOf(key).length > 0) ghosts.set(key, ghostOf("", key));
    }
    for (const [key, ghost] of ghosts) if (!nodes.has(key)) nodes.set(key, ghost);
    if (nodes.size === 0 && removed.length === 0) return;
    const update: GraphUpdate = { nodes: [...nodes.values()], removed };
    for (const listener of listeners) listener(update);
  };

  for (const store of stores) store.onGateChanges({ onGateBatch: (batch) => onBatch(store, batch) });

  // The snapshot's JSON, node by node: 10,000 nodes take ~150 ms to build and serialize, and a
  // change touches a few, so only those are built again.
  const serialized = new Map<NodeKey, SerializedNode>();
  let whole: { revision: number; json: string } | undefined;
  let pass = 0;
  let forget: NodeJS.Timeout | undefined;

  const snapshotJson = (): string => {
    clearTimeout(forget);
    forget = setTimeout(() => {
      serialized.clear();
      whole = undefined;
    }, KEEP_SERIALIZED_MS);
    forget.unref();
    if (whole?.revision === revision) return whole.json;
    pass++;
    const parts: string[] = [];
    const ghosts = new Map<NodeKey, Shared>();
    for (const shared of graphs) {
      for (const [key, gate] of shared.gates.states()) {
        const object = shared.graph.get(key);
        if (object === undefined) continue;
        let entry = serialized.get(key);
        if (entry === undefined || entry.object !== object || entry.gate !== gate) {
          const missing = shared.graph.dependencyKeys(key).filter((dep) => !shared.graph.has(dep));
          entry = { object, gate, json: JSON.stringify(graphNodeOf(object.kind, object, gate)), ghosts: missing, pass };
          serialized.set(key, entry);
        }
        entry.pass = pass;
        parts.push(entry.json);
        for (const ghost of entry.ghosts) ghosts.set(ghost, shared);
      }
    }
    for (const [key, entry] of serialized) if (entry.pass !== pass) serialized.delete(key);
    for (const [key, shared] of ghosts) if (!shared.graph.has(key)) parts.push(JSON.stringify(ghostOf("", key)));
    const head: Omit<GraphSnapshot, "nodes"> = { generatedAt: new Date().toISOString(), source: "cluster", revision };
    const json = `${JSON.stringify(head).slice(0, -1)},"nodes":[${parts.join(",")}]}`;
    whole = { revision, json };
    return json;
  };

  return {
    snapshotJson,
    snapshot(): GraphSnapshot {
      const nodes: GraphNode[] = [];
      const ghosts = new Map<NodeKey, GraphNode>();
      for (const shared of graphs) {
        for (const [key, gate] of shared.gates.states()) {
          const object = shared.graph.get(key);
          if (object === undefined) continue;
          nodes.push(graphNodeOf(object.kind, object, gate));
          ghostsOf(shared, key, ghosts);
        }
      }
      nodes.push(...ghosts.values());
      return { generatedAt: new Date().toISOString(), source: "cluster", revision, nodes };
    },
    revision: () => revision,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => void listeners.delete(onChange);
    },
  };
}
