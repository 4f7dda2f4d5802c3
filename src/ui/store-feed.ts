// The live feed of serve's graph page (docs/architecture.md, "Kinds"): the snapshot is read from the one
// graph every kind's store feeds, and the changes come from the stores' batches of gate changes, so
// /api/graph and /api/events never read the API server, nor a cache beside the graph. Every kind the
// graph holds is shown; a kind's store that joins later (or never) needs nothing here. The snapshot and
// the changes carry summaries (no words, no path: compact-snapshot.ts); the words of one node, its path
// walked and bounded, are built when the page's side panel asks for that node.

import type { FluxGraph } from "../cluster/flux-graph.js";
import type { GateBatch, GateBatchListener } from "../cluster/kind-store.js";
import { nodeKey, splitKey } from "../graph/refs.js";
import type { NodeKey } from "../graph/types.js";
import { encodeSnapshot } from "./compact-snapshot.js";
import { ghostOf, graphNodeOf, summaryOf, summaryOfNode } from "./graph-nodes.js";
import type { GraphFeed, GraphNode, GraphSnapshot, GraphUpdate, NodeId, NodeSummary } from "./graph-snapshot.js";

/** What the feed reads of a kind's store (a KindStore fits as it is). */
interface FeedStore {
  readonly kind: string;
  /** The one graph of every kind the store feeds. */
  readonly shared: Pick<FluxGraph, "graph" | "gates">;
  onGateChanges(listener: GateBatchListener): () => void;
}

type Shared = FeedStore["shared"];

/** The page's JSON is dropped after this long without being asked for: no page open, nothing kept. */
const KEEP_SERIALIZED_MS = 120_000;

/** The summary of a graph node as the graph holds it now, or undefined when it is not there. */
function summaryNow(shared: Shared, node: NodeKey): NodeSummary | undefined {
  const object = shared.graph.get(node);
  const gate = shared.gates.state(node);
  return object === undefined || gate === undefined ? undefined : summaryOf(object.kind, object, gate, { key: node, dependencies: shared.graph.dependencyKeys(node) });
}

/** A ghost's summary for every dependency of `node` the graph does not hold. */
function ghostsOf(shared: Shared, node: NodeKey, into: Map<NodeKey, NodeSummary>): void {
  for (const dep of shared.graph.dependencyKeys(node)) if (!shared.graph.has(dep) && !into.has(dep)) into.set(dep, summaryOfNode(ghostOf("", dep)));
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
    const nodes = new Map<NodeKey, NodeSummary>();
    const ghosts = new Map<NodeKey, NodeSummary>();
    for (const key of touchedBy(store, batch)) {
      const node = summaryNow(shared, key);
      if (node !== undefined) {
        nodes.set(key, node);
        ghostsOf(shared, key, ghosts);
        continue;
      }
      // Gone: off the page, or a ghost for whoever still names it.
      removed.push(key);
      if (shared.graph.dependentsOf(key).length > 0) ghosts.set(key, summaryOfNode(ghostOf("", key)));
    }
    for (const [key, ghost] of ghosts) if (!nodes.has(key)) nodes.set(key, ghost);
    if (nodes.size === 0 && removed.length === 0) return;
    const update: GraphUpdate = { nodes: [...nodes.values()], removed };
    for (const listener of listeners) listener(update);
  };

  for (const store of stores) store.onGateChanges({ onGateBatch: (batch) => onBatch(store, batch) });

  // The page's snapshot as JSON, kept while its revision holds: every page opened meanwhile gets the
  // same text. Summaries are cheap (no words, no path walked), so it is built whole each time.
  let whole: { revision: number; json: string } | undefined;
  let forget: NodeJS.Timeout | undefined;

  const pageJson = (): string => {
    clearTimeout(forget);
    forget = setTimeout(() => (whole = undefined), KEEP_SERIALIZED_MS);
    forget.unref();
    if (whole?.revision === revision) return whole.json;
    const nodes: NodeSummary[] = [];
    const ghosts = new Map<NodeKey, NodeSummary>();
    for (const shared of graphs) {
      for (const [key, gate] of shared.gates.states()) {
        const object = shared.graph.get(key);
        if (object === undefined) continue;
        const dependencies = shared.graph.dependencyKeys(key);
        nodes.push(summaryOf(object.kind, object, gate, { key, dependencies }));
        for (const dep of dependencies) if (!ghosts.has(dep) && !shared.graph.has(dep)) ghosts.set(dep, summaryOfNode(ghostOf("", dep)));
      }
    }
    nodes.push(...ghosts.values());
    const json = JSON.stringify(encodeSnapshot({ generatedAt: new Date().toISOString(), source: "cluster", revision }, nodes));
    whole = { revision, json };
    return json;
  };

  /** One node with its words, the path walked through the gates of its hops (bounded: gate-path.ts). */
  const node = (id: NodeId): GraphNode | undefined => {
    for (const shared of graphs) {
      const object = shared.graph.get(id);
      const gate = shared.gates.state(id);
      if (object !== undefined && gate !== undefined) return graphNodeOf(object.kind, object, gate, (key) => shared.gates.state(key));
    }
    // A ghost: named by some dependsOn, not there.
    for (const shared of graphs) if (!shared.graph.has(id) && shared.graph.dependentsOf(id).length > 0) return ghostOf("", id);
    return undefined;
  };

  return {
    pageJson,
    node,
    snapshot(): GraphSnapshot {
      const nodes: GraphNode[] = [];
      const ghosts = new Set<NodeKey>();
      for (const shared of graphs) {
        for (const [key, gate] of shared.gates.states()) {
          const object = shared.graph.get(key);
          if (object === undefined) continue;
          nodes.push(graphNodeOf(object.kind, object, gate, (hop) => shared.gates.state(hop)));
          for (const dep of shared.graph.dependencyKeys(key)) if (!shared.graph.has(dep)) ghosts.add(dep);
        }
      }
      for (const ghost of ghosts) nodes.push(ghostOf("", ghost));
      return { generatedAt: new Date().toISOString(), source: "cluster", revision, nodes };
    },
    revision: () => revision,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => void listeners.delete(onChange);
    },
  };
}
