// The one adapter between releasegate's gate tracking and the graph page: GraphNodes from Flux
// objects and their gate states, a live GraphFeed over serve's caches and gate controller, and a
// one-off snapshot of objects read from files (`graph --format html`, `why --from`). Every other
// file of src/ui reads only graph-snapshot.ts, so re-pointing the page at another store is this
// file alone.

import type { GateController } from "../controller/gate-controller.js";
import type { CacheChange, ObjectCache } from "../cluster/object-cache.js";
import { GateTracker, healthOf, sameGate } from "../graph/gates.js";
import { blockedMessage, gateOpenedMessage, missingMessage } from "../graph/messages.js";
import { kindOfNode, resolveDependencies, splitKey, splitNodeKey } from "../graph/refs.js";
import type { FluxKind, FluxObject, GateState, ObjectKey } from "../graph/types.js";
import { nodeId } from "./graph-snapshot.js";
import type { GraphFeed, GraphNode, GraphSnapshot, GraphUpdate, NodeId } from "./graph-snapshot.js";

function uniqueDependencyKeys(object: FluxObject): ObjectKey[] {
  return [...new Set(resolveDependencies(object).map((d) => d.key))];
}

/** The page's node for one object and its gate. */
export function nodeOf(kind: FluxKind, object: FluxObject, gate: GateState): GraphNode {
  const self = nodeId(kind, object.namespace, object.name);
  const dependencies = uniqueDependencyKeys(object);
  const node: GraphNode = {
    id: nodeId(kind, object.namespace, object.name),
    kind,
    namespace: object.namespace,
    name: object.name,
    state: gate.state,
    health: healthOf(object),
    message: gate.state === "open" ? gateOpenedMessage(dependencies) : blockedMessage(gate, kind),
    conditions: (object.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(c.message !== undefined ? { message: c.message } : {}),
    })),
    // A ResourceSet's dependency may be of another kind: the graph's node names it.
    dependencies: [...new Set(resolveDependencies(object).map((d) => d.node))],
  };
  if (gate.state === "blocked") {
    node.reason = gate.reason;
    node.rootCause = idOf(kind, gate.rootCause);
    node.path = gate.path.map((k) => idOf(kind, k));
    node.rootCauseMessage = gate.rootCauseMessage;
    if (gate.reason === "Cycle" && idOf(kind, gate.path[gate.path.length - 1]!) === self) node.cycle = true;
  }
  return node;
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

/** Every object of every kind with its gate, plus a ghost for each missing dependency. */
export function snapshotOfObjects(objects: Iterable<FluxObject>, source: GraphSnapshot["source"]): GraphSnapshot {
  const byKind = new Map<FluxKind, FluxObject[]>();
  for (const object of objects) {
    let list = byKind.get(object.kind);
    if (list === undefined) byKind.set(object.kind, (list = []));
    list.push(object);
  }
  const nodes: GraphNode[] = [];
  // One tracker for every kind: a ResourceSet's dependency may be of another kind.
  const tracker = new GateTracker([...byKind].sort(([a], [b]) => a.localeCompare(b)).flatMap(([, list]) => list));
  const ghosts = new Set<string>();
  const shown = new Set<string>();
  for (const [kind, list] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    for (const object of list) {
      const key = nodeId(kind, object.namespace, object.name);
      const gate = tracker.state(key);
      if (gate === undefined || shown.has(key)) continue; // one node per object, however often listed
      shown.add(key);
      nodes.push(nodeOf(kind, tracker.graph.get(key)!, gate));
      for (const dep of tracker.graph.dependencyKeys(key)) if (!tracker.graph.has(dep)) ghosts.add(dep);
    }
  }
  for (const ghost of ghosts) nodes.push(ghostOf("", ghost));
  return { generatedAt: new Date().toISOString(), source, nodes };
}

/**
 * The live feed of serve: objects from the caches, gates from the controller. A cache change can
 * change the gates of everything downstream of it, so the feed walks the object's dependents
 * (its own reverse index) and, once the controller has handled the change (on the next turn of
 * the event loop), sends every node whose object or gate differs from what it sent last. While
 * nobody listens (no page open) it keeps nothing and does nothing.
 */
/** What the feed reads of a kind's cache: its objects, their changes, and when it first synced. */
export type FeedCache = Pick<ObjectCache, "kind" | "isSynced" | "list" | "subscribe" | "synced" | "get">;

export function controllerFeed(caches: readonly FeedCache[], controller: Pick<GateController, "state">): GraphFeed {
  const listeners = new Set<(update: GraphUpdate) => void>();
  const dependents = new Map<FluxKind, Map<ObjectKey, Set<ObjectKey>>>();
  const sent = new Map<FluxKind, Map<ObjectKey, GateState>>();
  const dirty = new Map<FluxKind, Set<ObjectKey>>();
  const changedObjects = new Map<FluxKind, Set<ObjectKey>>();
  let flushing: NodeJS.Immediate | undefined;

  for (const cache of caches) {
    dependents.set(cache.kind, new Map());
    sent.set(cache.kind, new Map());
    dirty.set(cache.kind, new Set());
    changedObjects.set(cache.kind, new Set());
  }

  const link = (kind: FluxKind, object: FluxObject | undefined, delta: 1 | -1): void => {
    if (object === undefined || listeners.size === 0) return;
    const index = dependents.get(kind)!;
    const key = `${object.namespace}/${object.name}`;
    for (const dep of uniqueDependencyKeys(object)) {
      let set = index.get(dep);
      if (delta === 1) {
        if (set === undefined) index.set(dep, (set = new Set()));
        set.add(key);
      } else if (set !== undefined) {
        set.delete(key);
        if (set.size === 0) index.delete(dep);
      }
    }
  };

  const markDownstream = (kind: FluxKind, start: ObjectKey): void => {
    const marks = dirty.get(kind)!;
    const index = dependents.get(kind)!;
    const stack = [start];
    while (stack.length > 0) {
      const key = stack.pop()!;
      if (marks.has(key)) continue;
      marks.add(key);
      for (const dependent of index.get(key) ?? []) stack.push(dependent);
    }
  };

  const schedule = (): void => {
    flushing ??= setImmediate(flush);
  };

  const flush = (): void => {
    flushing = undefined;
    const update: GraphUpdate = { nodes: [], removed: [] };
    for (const cache of caches) {
      const kind = cache.kind;
      const last = sent.get(kind)!;
      const changed = changedObjects.get(kind)!;
      for (const key of dirty.get(kind)!) {
        const object = cache.get(key);
        if (object === undefined) {
          // Gone (the page may have it from its snapshot even if this feed never sent it).
          last.delete(key);
          if (changed.has(key)) update.removed.push(idOf(kind, key));
          continue;
        }
        const gate = controller.state(kind, key);
        // Not evaluated yet (the controller loads a cache's first list in one go): comes with markAll.
        if (gate === undefined) continue;
        const before = last.get(key);
        if (before !== undefined && sameGate(before, gate) && !changed.has(key)) continue;
        last.set(key, gate);
        update.nodes.push(nodeOf(kind, object, gate));
        for (const dep of uniqueDependencyKeys(object)) if (cache.get(dep) === undefined) update.nodes.push(ghostOf(kind, dep));
      }
      dirty.get(kind)!.clear();
      changed.clear();
    }
    if (update.nodes.length === 0 && update.removed.length === 0) return;
    for (const listener of listeners) listener(update);
  };

  const onChange = (kind: FluxKind, change: CacheChange): void => {
    if (listeners.size === 0) return;
    link(kind, change.previous, -1);
    link(kind, change.object, 1);
    changedObjects.get(kind)!.add(change.key);
    markDownstream(kind, change.key);
    schedule();
  };

  const markAll = (cache: FeedCache): void => {
    if (listeners.size === 0) return;
    for (const object of cache.list()) markDownstream(cache.kind, `${object.namespace}/${object.name}`);
    schedule();
  };

  /** From nothing to one listener: index what the caches hold now; from one to none: forget it all. */
  const listening = (on: boolean): void => {
    for (const cache of caches) {
      dependents.get(cache.kind)!.clear();
      sent.get(cache.kind)!.clear();
      dirty.get(cache.kind)!.clear();
      changedObjects.get(cache.kind)!.clear();
      if (on) for (const object of cache.list()) link(cache.kind, object, 1);
    }
  };

  for (const cache of caches) {
    cache.subscribe((change) => onChange(cache.kind, change));
    // The controller loads the first list in one go once the cache synced: every gate appears then.
    void cache.synced.then(
      () => markAll(cache),
      () => undefined,
    );
  }

  return {
    snapshot(): GraphSnapshot {
      const nodes: GraphNode[] = [];
      for (const cache of caches) {
        const ghosts = new Set<ObjectKey>();
        for (const object of cache.list()) {
          const key = `${object.namespace}/${object.name}`;
          const gate = controller.state(cache.kind, key);
          if (gate === undefined) continue;
          nodes.push(nodeOf(cache.kind, object, gate));
          for (const dep of uniqueDependencyKeys(object)) if (cache.get(dep) === undefined) ghosts.add(dep);
        }
        for (const ghost of ghosts) nodes.push(ghostOf(cache.kind, ghost));
      }
      return { generatedAt: new Date().toISOString(), source: "cluster", nodes };
    },
    subscribe(onChange) {
      listeners.add(onChange);
      if (listeners.size === 1) listening(true);
      return () => {
        if (listeners.delete(onChange) && listeners.size === 0) listening(false);
      };
    },
  };
}
