// The page's nodes from Flux objects and their gate states: one GraphNode per object (its gate in the
// Events' words), a ghost per missing dependency, and a one-off snapshot of objects read from files
// (`graph --format html`, `why --from`). The live feed of serve (store-feed.ts) builds its nodes here
// too, so the page, the static file and `why` say the same words.

import { GateTracker, healthOf } from "../graph/gates.js";
import { boundedPath, shownNodes } from "../graph/gate-path.js";
import type { GateLookup } from "../graph/gate-path.js";
import { blockedMessage, dependencyNames, gateOpenedMessage, missingMessage } from "../graph/messages.js";
import { kindOfNode, resolveDependencies, splitKey, splitNodeKey } from "../graph/refs.js";
import type { FluxKind, FluxObject, GateState, NodeKey, ObjectKey } from "../graph/types.js";
import type { ExternalObjects } from "../graph/external-objects.js";
import { nodeId } from "./graph-snapshot.js";
import type { GraphNode, GraphSnapshot, NodeId, NodeSummary } from "./graph-snapshot.js";

/** The object's dependencies as the GateOpened note names them (another kind's with its kind). */
function uniqueDependencyKeys(object: FluxObject): string[] {
  return dependencyNames(object.kind, resolveDependencies(object).map((d) => d.node));
}

/** What the graph holds of a node: its key and its dependencies' keys (resolved once, when the object came). */
interface HeldNode {
  key: NodeKey;
  dependencies: readonly NodeKey[];
}

/**
 * What the page draws of one object and its gate, without words (no message, no path): the live page's
 * snapshot and updates, cheap to build for every object (compact-snapshot.ts). `held`: the node as the
 * graph holds it, when the caller has the graph.
 */
export function summaryOf(kind: FluxKind, object: FluxObject, gate: GateState, held?: HeldNode): NodeSummary {
  const dependencies = held?.dependencies;
  const node: NodeSummary = {
    // The graph's key is the page's id (`Kind/ns/name`): the same string, already hashed by the graph.
    id: held?.key ?? nodeId(kind, object.namespace, object.name),
    kind,
    namespace: object.namespace,
    name: object.name,
    state: gate.state,
    health: healthOf(object),
    // A ResourceSet's dependency may be of another kind: the graph's node names it.
    dependencies: dependencies !== undefined ? dependencies.slice() : [...new Set(resolveDependencies(object).map((d) => d.node))],
  };
  if (gate.state === "blocked") {
    node.reason = gate.reason;
    node.rootCause = idOf(kind, gate.rootCause);
    node.rootCauseMessage = gate.rootCauseMessage;
    if (gate.onCycle === true) node.cycle = true;
  }
  return node;
}

/** A node's summary alone (a ghost's, or a node built with its words), as the live page's updates carry it. */
export function summaryOfNode(node: GraphNode): NodeSummary {
  const { message: _message, conditions: _conditions, path: _path, pathOmitted: _omitted, pathOmittedAt: _at, problems: _problems, ...summary } = node;
  return summary;
}

/**
 * The page's node for one object and its gate, with its words. Its path is bounded (gate-path.ts):
 * walked through `gateOf` when given (the first and last six hops), else what the gate alone holds (its
 * first hop and last six).
 */
export function graphNodeOf(kind: FluxKind, object: FluxObject, gate: GateState, gateOf?: GateLookup): GraphNode {
  const path = gate.state === "blocked" ? boundedPath(gate, gateOf) : undefined;
  const node: GraphNode = {
    ...summaryOf(kind, object, gate),
    message: gate.state === "open" ? openMessage(object, uniqueDependencyKeys(object)) : blockedMessage(gate, kind, path),
    conditions: (object.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(c.message !== undefined ? { message: c.message } : {}),
    })),
  };
  if (path !== undefined) {
    node.path = shownNodes(path).map((k) => idOf(kind, k));
    if (path.omitted > 0) {
      node.pathOmitted = path.omitted;
      node.pathOmittedAt = path.head.length;
    }
  }
  return node;
}

/**
 * An open gate in words. A failed object's gate is open (its own dependencies are fine), but what a
 * person needs there is what failed, in Flux's words (its Ready condition), the root cause of whatever
 * waits on it.
 */
function openMessage(object: FluxObject, dependencies: readonly string[]): string {
  const opened = gateOpenedMessage(dependencies);
  if (healthOf(object) !== "failed") return opened;
  const ready = object.status?.conditions?.find((c) => c.type === "Ready" && c.status === "False");
  const failed = [ready?.reason, ready?.message].filter((w) => w !== undefined && w !== "").join(": ");
  return `failed: ${failed === "" ? "no reason given" : failed} (${opened})`;
}

/** A dependency that does not exist. */
export function ghostOf(kind: string, key: ObjectKey): GraphNode {
  const { namespace, name } = kindOfNode(key) === "" ? splitKey(key) : splitNodeKey(key);
  const own = kindOfNode(key) === "" ? kind : kindOfNode(key);
  return { id: nodeId(own, namespace, name), kind: own, namespace, name, state: "missing", message: missingMessage(own, `${namespace}/${name}`), conditions: [], dependencies: [], ghost: true };
}

/** The page's id of a key: a graph node (`Kind/ns/name`) already is one; `ns/name` is of `kind`. */
function idOf(kind: FluxKind, key: ObjectKey): NodeId {
  if (kindOfNode(key) !== "") return key;
  const { namespace, name } = splitKey(key);
  return nodeId(kind, namespace, name);
}

/**
 * Every object of every kind with its gate, plus a ghost for each missing dependency; `externals`: what is
 * known of the objects of other kinds ResourceSets depend on (`why` reads them from the cluster).
 */
export function snapshotOfObjects(objects: Iterable<FluxObject>, source: GraphSnapshot["source"], externals?: ExternalObjects): GraphSnapshot {
  const byKind = new Map<FluxKind, FluxObject[]>();
  for (const object of objects) {
    let list = byKind.get(object.kind);
    if (list === undefined) byKind.set(object.kind, (list = []));
    list.push(object);
  }
  const nodes: GraphNode[] = [];
  // One tracker for every kind: a ResourceSet's dependency may be of another kind.
  const tracker = new GateTracker([...byKind].sort(([a], [b]) => a.localeCompare(b)).flatMap(([, list]) => list), externals);
  const ghosts = new Set<string>();
  const shown = new Set<string>();
  for (const [kind, list] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    for (const object of list) {
      const key = nodeId(kind, object.namespace, object.name);
      const gate = tracker.state(key);
      if (gate === undefined || shown.has(key)) continue; // one node per object, however often listed
      shown.add(key);
      nodes.push(graphNodeOf(kind, tracker.graph.get(key)!, gate, (node) => tracker.state(node)));
      for (const dep of tracker.graph.dependencyKeys(key)) if (!tracker.graph.has(dep)) ghosts.add(dep);
    }
  }
  for (const ghost of ghosts) nodes.push(ghostOf("", ghost));
  return { generatedAt: new Date().toISOString(), source, nodes };
}
