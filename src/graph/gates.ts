// Gate states (docs/behaviour.md, Gate states): computed for a whole graph at once, and kept up to date
// one watch event at a time by GateTracker, the controller's hot path. The rules themselves are
// in gate-rules.ts; both ways here apply them and must always agree.
//
// Incremental strategy. Every object has a rank, higher than the rank of each of its dependencies
// outside its own cycle (all members of a cycle share one rank); a full computation sets each to a
// multiple of the length of its longest dependency chain, events only ever raise them.
// Re-evaluating a set of objects in rank order therefore evaluates each once, after everything it
// reads.
// - A status-only change of X (dependency keys unchanged) re-evaluates X and, when something its
//   dependents read changed (readiness, health, or any field a readyExpr may read), its direct
//   dependents; a dependent's dependents follow only when its gate changed.
// - A dependsOn change (or a new or removed object) also recomputes cycle membership, but only of X's
//   old component and X's new one. The new one can only hold objects ranked between X's
//   lowest-ranked dependent and highest-ranked dependency, which for an edit that keeps the graph
//   acyclic is nothing: an O(degree) check. Otherwise a two-sided search within those ranks finds
//   it (componentThrough). Ranks are then raised upwards from the touched objects, only as far as
//   the order is violated.
// Nothing is ever recomputed for the whole graph on one event, and every search is iterative.

import { allIds, compareKeys, componentsOfIds, flatComponentsOfIds, IdScratch } from "./cycles.js";
import { BUILTIN_READY, DependencyGraph, ENTRY_NAMES_KIND, ENTRY_READY_EXPR } from "./dependency-graph.js";
const ENTRY_TRAITS = ENTRY_READY_EXPR | ENTRY_NAMES_KIND;
import { evaluateAcyclicGate, sameGate } from "./gate-rules.js";
import { PATH_TAIL, tailThrough } from "./gate-path.js";
import { cycleMessage } from "./messages.js";
import { isGraphKind, NO_EXTERNAL_OBJECTS } from "./external-objects.js";
import type { ExternalObjects } from "./external-objects.js";
import { findCondition, healthOf, kstatusSignature, NO_SOURCE_REVISIONS, READY_CONDITION, sourceKey, STALLED_CONDITION } from "./readiness.js";
import type { SourceRevisions } from "./readiness.js";
import { entryNamespace, kindOfNode, nodeOf } from "./refs.js";
import type { BlockedGate, FluxObject, GateState, NodeKey, SourceRef } from "./types.js";

export { isReady, healthOf } from "./readiness.js";
export { sameGate } from "./gate-rules.js";

export interface GateChange {
  key: NodeKey;
  /** The node's kind (as in `key`), so a receiver sorting changes by kind reads neither key nor object. */
  kind: string;
  before: GateState | undefined;
  after: GateState | undefined;
  /** The object as the graph holds it now; undefined once removed. Saves the receiver a lookup per change. */
  object: FluxObject | undefined;
}

/** Every object's gate state, computed from scratch; keys in dependencies-first order. */
export function computeGateStates(
  graph: DependencyGraph,
  revisions: SourceRevisions = NO_SOURCE_REVISIONS,
  externals: ExternalObjects = NO_EXTERNAL_OBJECTS,
): Map<NodeKey, GateState> {
  const { gates, order } = computeAll(graph, revisions, externals);
  const states = new Map<NodeKey, GateState>();
  for (const id of order) states.set(graph.keyOf(id), gates[id]!);
  return states;
}

interface FullComputation {
  gates: (GateState | undefined)[];
  ranks: number[];
  components: (number[] | undefined)[];
  /** Existing ids, dependencies first. */
  order: number[];
}

function computeAll(graph: DependencyGraph, revisions: SourceRevisions, externals: ExternalObjects): FullComputation {
  const gates: (GateState | undefined)[] = new Array<GateState | undefined>(graph.idCapacity);
  const ranks: number[] = new Array<number>(graph.idCapacity).fill(0);
  const components: (number[] | undefined)[] = new Array<number[] | undefined>(graph.idCapacity);
  const bfs = new IdScratch();
  const gateOf = (id: number): GateState => gates[id]!;
  // Flux's built-in check, as the graph found it on upsert (read per edge, without the object).
  const builtinReady = (id: number): boolean => (graph.traitsOf(id) & BUILTIN_READY) !== 0;
  // Sized up front: written at scattered ids, a growing array would turn into a dictionary.
  const ownMessages: (string | undefined)[] = new Array<string | undefined>(graph.idCapacity);
  // Each component is judged the moment Tarjan's search emits it (every component it depends on is
  // out already), while its members' edges are still in the processor's cache.
  const { ids } = flatComponentsOfIds(graph, allIds(graph), undefined, undefined, (ids, start, end) => {
    const first = ids[start]!;
    if (end - start === 1 && !graph.dependsOnItself(first)) {
      // The usual case: an object on no cycle, all its dependencies already evaluated.
      let rank = 0;
      const edges = graph.forwardEdges;
      for (let at = graph.forwardStart(first), last = graph.forwardEnd(first); at < last; at++) {
        const dep = edges[at]!;
        if (graph.exists(dep) && ranks[dep]! + RANK_SPACING > rank) rank = ranks[dep]! + RANK_SPACING;
      }
      ranks[first] = rank;
      gates[first] = evaluateAcyclicGate(graph, first, gateOf, builtinReady, revisions, externals, ownMessages);
    } else {
      const component = ids.slice(start, end);
      for (const id of component) components[id] = component;
      const rank = rankOf(graph, component, component, ranks, components, RANK_SPACING);
      for (const id of component) ranks[id] = rank;
      componentCycleGates(graph, component, components, bfs, (id, gate) => (gates[id] = gate));
    }
  });
  return { gates, ranks, components, order: ids };
}

function isCyclic(graph: DependencyGraph, component: readonly number[]): boolean {
  return component.length > 1 || graph.dependsOnItself(component[0]!);
}

/**
 * Ranks left between consecutive levels by a full computation. An event that adds an edge pointing
 * up a level then raises its object into the gap instead of pushing every object above it up.
 */
const RANK_SPACING = 16;

/** `step` more than the highest rank among dependencies outside the component (0 without any). */
function rankOf(
  graph: DependencyGraph,
  members: readonly number[],
  cycle: readonly number[] | undefined,
  ranks: readonly number[],
  components: readonly (number[] | undefined)[],
  step: number,
): number {
  let rank = 0;
  const edges = graph.forwardEdges;
  for (const id of members) {
    for (let at = graph.forwardStart(id), end = graph.forwardEnd(id); at < end; at++) {
      const dep = edges[at]!;
      if (!graph.exists(dep)) continue;
      if (cycle !== undefined ? components[dep] === cycle : dep === id) continue;
      const r = ranks[dep]! + step;
      if (r > rank) rank = r;
    }
  }
  return rank;
}

/**
 * Rule 1 of gate-rules.ts for every member of a cycle component at once, in time linear in the
 * component's edges (a per-member search would be quadratic: 25 million steps for a 5,000-object
 * cycle). One breadth-first search backwards from the root cause R (the smallest key) gives each
 * member's distance to R; a member's first hop is its first dependency in dependsOn order one step
 * closer, R's the first dependency on a shortest way back to R. Members are judged closest first, so
 * each one's tail is its first hop's, shared (gate-path.ts).
 */
function componentCycleGates(
  graph: DependencyGraph,
  component: readonly number[],
  components: readonly (number[] | undefined)[],
  scratch: IdScratch,
  judged: (id: number, gate: BlockedGate) => void,
): void {
  let root = component[0]!;
  for (const id of component) if (compareKeys(graph.keyOf(id), graph.keyOf(root)) < 0) root = id;
  const epoch = scratch.begin(graph.idCapacity);
  const { stamp, first: distance } = scratch;
  const order: number[] = [root];
  stamp[root] = epoch;
  distance[root] = 0;
  for (let head = 0; head < order.length; head++) {
    const v = order[head]!;
    for (const u of graph.dependentIdsOf(v)) {
      if (stamp[u] === epoch || components[u] !== component) continue;
      stamp[u] = epoch;
      distance[u] = distance[v]! + 1;
      order.push(u);
    }
  }
  const inComponent = (id: number): boolean => stamp[id] === epoch && components[id] === component;
  // R's way round: its first dependency among those closest to it (R itself for a self-dependency).
  let rootVia = -1;
  for (const dep of graph.dependencyIdsOf(root)) {
    if (inComponent(dep) && (rootVia === -1 || distance[dep]! < distance[rootVia]!)) rootVia = dep;
  }
  const next = (id: number): number => {
    for (const dep of graph.dependencyIdsOf(id)) if (inComponent(dep) && distance[dep] === distance[id]! - 1) return dep;
    return root; // unreachable: a member's way to R starts with such a dependency
  };
  const cycle: number[] = [root];
  for (let at = rootVia; at !== root; at = next(at)) cycle.push(at);
  cycle.push(root);
  const keys = cycle.map((id) => graph.keyOf(id));
  const rootCause = keys[0]!;
  const rootCauseMessage = cycleMessage(keys);
  const length = cycle.length - 1;
  const rootGate: BlockedGate = {
    state: "blocked",
    reason: "Cycle",
    rootCause,
    rootCauseMessage,
    via: keys[1]!,
    depth: length,
    tail: keys.slice(Math.max(1, keys.length - PATH_TAIL)),
    onCycle: true,
  };
  const gateById = new Map<number, BlockedGate>([[root, rootGate]]);
  judged(root, rootGate);
  for (let i = 1; i < order.length; i++) {
    const id = order[i]!;
    const hop = next(id);
    const through = gateById.get(hop)!;
    const via = graph.keyOf(hop);
    const gate: BlockedGate = { state: "blocked", reason: "Cycle", rootCause, rootCauseMessage, via, depth: through.depth + 1, tail: tailThrough(via, through), onCycle: true };
    gateById.set(id, gate);
    judged(id, gate);
  }
}

/**
 * Gate states kept current one event at a time; equal to computeGateStates(graph) after every
 * call. Read `graph` freely, but change it only through upsert/remove here.
 */
export class GateTracker {
  private readonly current: DependencyGraph;
  private gates: (GateState | undefined)[] = [];
  private ranks: number[] = [];
  /** The cycle component of an id (one shared array per component); undefined when on no cycle. */
  private components: (number[] | undefined)[] = [];
  /** Every cycle component (the same arrays as in `components`). */
  private cycleComponents = new Set<number[]>();
  /** How many dependsOn entries with a readyExpr name each id: such dependents read the whole object. */
  private readyExprRefs: number[] = [];
  /** How many dependsOn entries name each kind outside the graph (external-objects.ts), by apiVersion. */
  private readonly externalRefs = new Map<string, Map<string, number>>();
  /** The same entries by kind and the namespace each names ("" for none): where a namespaced read must look. */
  private readonly externalNamespaceRefs = new Map<string, Map<string, number>>();
  private externalKindsChanges = 0;
  /** What is known of the objects of kinds outside the graph (the cluster's external watches). */
  private externals: ExternalObjects = NO_EXTERNAL_OBJECTS;
  /** states(): a live view of `gates` by node key (no second map of every object). */
  private readonly view = new GateStatesView(this);
  private readonly searchScratch = new IdScratch();
  private readonly forwardScratch = new IdScratch();
  private readonly backwardScratch = new IdScratch();
  private readonly bfsScratch = new IdScratch();
  private readonly queueScratch = new IdScratch();
  /** The sources' current artifact revisions, by sourceKey (kustomize-controller's revision rule). */
  private readonly revisionByKey = new Map<string, string>();
  private readonly revisions: SourceRevisions = { revisionOf: (ref) => this.revisionByKey.get(sourceKey(ref)) };

  /** One tracker for every kind: the nodes are `Kind/ns/name` (docs/architecture.md, "Kinds"). */
  constructor(objects: Iterable<FluxObject> = [], externals: ExternalObjects = NO_EXTERNAL_OBJECTS) {
    this.current = new DependencyGraph();
    this.externals = externals;
    this.current.upsertAll(objects);
    this.rebuild();
  }

  /** The kinds outside the graph that dependsOn entries name: by kind, how many entries name each apiVersion. */
  externalKinds(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.externalRefs;
  }

  /**
   * The namespaces the entries naming each kind outside the graph name ("" for none), with how many entries
   * name each: a kind releasegate may read only in some namespaces is watched in exactly these
   * (docs/behaviour.md, "Kinds outside Flux").
   */
  externalNamespaces(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.externalNamespaceRefs;
  }

  /** Counts the changes of the sets of kinds (and apiVersions, namespaces) externalKinds() and externalNamespaces() hold: equal counts, equal sets. */
  get externalKindsVersion(): number {
    return this.externalKindsChanges;
  }

  /**
   * What `externals` says of one node changed (its object appeared, changed or went, or the view can
   * now tell or no longer tell): its dependents are re-evaluated.
   */
  externalChanged(node: NodeKey): GateChange[] {
    const graph = this.current;
    const id = graph.idOf(node);
    if (id === undefined || graph.objectOf(id) !== undefined || isGraphKind(kindOfNode(node))) return [];
    const seeds = [...graph.dependentIdsOf(id)];
    return seeds.length === 0 ? [] : this.propagate(seeds, undefined);
  }

  /** Every node of an outside kind changed at once (its watch started, listed, failed or stopped). */
  externalKindChanged(kind: string): GateChange[] {
    if (isGraphKind(kind)) return [];
    const graph = this.current;
    const prefix = `${kind}/`;
    const seeds: number[] = [];
    for (let id = 0; id < graph.idCapacity; id++) {
      if (graph.objectOf(id) !== undefined || !graph.keyOf(id).startsWith(prefix)) continue;
      for (const dependent of graph.dependentIdsOf(id)) seeds.push(dependent);
    }
    return seeds.length === 0 ? [] : this.propagate(seeds, undefined);
  }

  get graph(): DependencyGraph {
    return this.current;
  }

  state(key: NodeKey): GateState | undefined {
    const id = this.current.idOf(key);
    return id === undefined ? undefined : this.gateAt(id);
  }

  /** Every object's gate by node key: a live view, current after every call here. */
  states(): ReadonlyMap<NodeKey, GateState> {
    return this.view;
  }

  /** The gate of an id (undefined for a node that does not exist). */
  gateAt(id: number): GateState | undefined {
    return this.current.objectOf(id) === undefined ? undefined : this.gates[id];
  }

  /** How many cycles the graph has (as many as findCycles(graph) returns), kept current per event. */
  cycleCount(): number {
    return this.cycleComponents.size;
  }

  /** How many cycles have a member of `kind` (a cycle across kinds counts for each of its kinds). */
  cycleCountOf(kind: string): number {
    let count = 0;
    const graph = this.current;
    for (const component of this.cycleComponents) {
      if (component.some((id) => graph.objectOf(id)?.kind === kind)) count++;
    }
    return count;
  }

  /**
   * A source's artifact revision changed (undefined: the source is gone or has no artifact). Kustomizations
   * that depend on a Kustomization of the same source are re-evaluated. Sources change per commit, not
   * per watch event of a Flux object, so finding the Kustomizations of the source scans the graph once.
   */
  setSourceRevision(ref: SourceRef, revision: string | undefined): GateChange[] {
    const key = sourceKey(ref);
    if (this.revisionByKey.get(key) === revision) return [];
    if (revision === undefined || revision === "") this.revisionByKey.delete(key);
    else this.revisionByKey.set(key, revision);
    const graph = this.current;
    const seeds: number[] = [];
    for (let id = 0; id < graph.idCapacity; id++) {
      const ref2 = graph.objectOf(id)?.sourceRef;
      if (ref2 === undefined || sourceKey(ref2) !== key) continue;
      for (const dependent of graph.dependentIdsOf(id)) seeds.push(dependent);
    }
    return seeds.length === 0 ? [] : this.propagate(seeds, undefined);
  }

  /** Replaces every object at once (e.g. after a relist) with a full computation; returns the changes. */
  replaceAll(objects: Iterable<FluxObject>): GateChange[] {
    return this.replaceWhere(objects, () => true);
  }

  /**
   * Replaces every object of one kind at once (its store's first list), keeping the other kinds', with
   * a full computation; returns the changes (of every kind: a dependent of another kind may change).
   */
  replaceKind(kind: string, objects: Iterable<FluxObject>): GateChange[] {
    // The node's kind is its object's, read without visiting the object.
    return this.replaceWhere(objects, (id) => this.current.kindOf(id) === kind);
  }

  /**
   * The bulk load: `objects` upserted into the graph as it is (the objects of other kinds keep their
   * ids and edges), then every object `replaced` picks and the list lacks removed, then one full
   * computation; or, when every listed object is new and none was removed (a kind's first list beside
   * the other kinds'), one of what is downstream of them (loadDownstream). No gate is evaluated on the way, so a dependent listed before its dependency costs
   * nothing extra. The changes are found by id: an id that had a gate keeps its key throughout (its
   * object is upserted or removed, never replaced by another key: removals come last and intern nothing).
   */
  private replaceWhere(objects: Iterable<FluxObject>, replaced: (id: number) => boolean): GateChange[] {
    const graph = this.current;
    const before = this.gates;
    const hadGates = graph.size > 0;
    const listed = graph.upsertAll(objects);
    const changes: GateChange[] = [];
    const keep = new Uint8Array(graph.idCapacity);
    for (const id of listed) keep[id] = 1;
    for (let id = 0; id < keep.length; id++) {
      if (keep[id] === 1 || !graph.exists(id) || !replaced(id)) continue;
      const key = graph.keyOf(id);
      changes.push({ key, kind: graph.kindOf(id), before: before[id], after: undefined, object: undefined });
      graph.remove(key);
    }
    // A kind listed empty that had no objects (the other guarded kind, in many clusters): nothing changed.
    if (listed.length === 0 && changes.length === 0) return [];
    // Only new objects beside the ones there (a second kind's first list): what is downstream of them, alone.
    if (hadGates && changes.length === 0 && listed.every((id) => before[id] === undefined)) {
      const downstream = this.loadDownstream(listed);
      if (downstream !== undefined) return downstream;
    }
    this.rebuild();
    const gates = this.gates;
    const added: GateChange[] = [];
    // In id order (a load's list order, mostly): the per-id arrays and the keys are read front to back.
    for (let id = 0; id < graph.idCapacity; id++) {
      if (!graph.exists(id)) continue;
      const after = gates[id]!;
      const old = hadGates ? before[id] : undefined;
      if (old === undefined || !sameGate(old, after)) added.push({ key: graph.keyOf(id), kind: graph.kindOf(id), before: old, after, object: graph.objectOf(id) });
    }
    return changes.length === 0 ? added : [...added, ...changes];
  }

  upsert(obj: FluxObject): GateChange[] {
    const graph = this.current;
    const key = nodeOf(obj);
    const oldId = graph.idOf(key);
    const previous = oldId === undefined ? undefined : graph.objectOf(oldId);
    if (previous !== undefined) this.countEntryRefs(oldId!, -1);
    const structural = graph.upsert(obj);
    const id = graph.idOf(key)!;
    this.countEntryRefs(id, 1);
    if (structural || previous === undefined) return this.restructure(id, previous !== undefined);
    const seeds = [id];
    if (
      (this.readyExprRefs[id] ?? 0) > 0 ||
      readinessSignature(previous) !== readinessSignature(obj) ||
      (this.hasResourceSetDependent(id) && kstatusSignature(previous) !== kstatusSignature(obj))
    ) {
      for (const dependent of graph.dependentIdsOf(id)) seeds.push(dependent);
    }
    return this.propagate(seeds, undefined);
  }

  remove(key: NodeKey): GateChange[] {
    const graph = this.current;
    const id = graph.idOf(key);
    if (id === undefined || graph.objectOf(id) === undefined) return [];
    this.countEntryRefs(id, -1);
    const dependents = [...graph.dependentIdsOf(id)].filter((d) => d !== id);
    const oldComponent = this.components[id];
    const change: GateChange = { key, kind: graph.kindOf(id), before: this.gates[id], after: undefined, object: undefined };
    this.gates[id] = undefined;
    this.components[id] = undefined;
    if (oldComponent !== undefined) this.cycleComponents.delete(oldComponent);
    graph.remove(key);
    // The id may now be recycled; nothing below reads it as an object.
    const touched = new Set<number>(dependents);
    if (oldComponent !== undefined) {
      const rest = oldComponent.filter((member) => member !== id);
      for (const member of rest) touched.add(member);
      this.recomponent(rest);
    }
    this.raiseRanks(touched);
    const changes = this.propagate([...touched], oldComponent === undefined ? undefined : new Set(oldComponent));
    return [change, ...changes];
  }

  // --- internals ---

  /**
   * After new objects were upserted (none removed, none replaced): the gates of the new objects and of
   * everything downstream of them (their dependents, transitively: nothing else reads them), judged
   * as a full computation would, dependencies first; the rest keep theirs. A cycle through a new
   * object lies within that region, as does every old cycle it joins. Returns the changes, or
   * undefined when the region is over half the graph (a full computation is then as cheap).
   */
  private loadDownstream(listed: readonly number[]): GateChange[] | undefined {
    const graph = this.current;
    const epoch = this.queueScratch.begin(graph.idCapacity);
    const inRegion = this.queueScratch.stamp;
    const region: number[] = [];
    for (const id of listed) {
      if (inRegion[id] === epoch) continue;
      inRegion[id] = epoch;
      region.push(id);
    }
    const fresh = region.length;
    for (let head = 0; head < region.length; head++) {
      for (const dependent of graph.dependentIdsOf(region[head]!)) {
        if (inRegion[dependent] === epoch || graph.objectOf(dependent) === undefined) continue;
        inRegion[dependent] = epoch;
        region.push(dependent);
      }
      if (2 * region.length > graph.size) return undefined;
    }
    for (let i = 0; i < fresh; i++) this.countEntryRefs(region[i]!, 1);
    for (const id of region) {
      const old = this.components[id];
      if (old !== undefined) this.cycleComponents.delete(old);
      this.components[id] = undefined;
    }
    const changes: GateChange[] = [];
    const gateOf = (id: number): GateState => this.gates[id]!;
    const judged = (id: number, after: GateState): void => {
      const before = this.gates[id];
      this.gates[id] = after;
      if (before === undefined || !sameGate(before, after)) changes.push({ key: graph.keyOf(id), kind: graph.kindOf(id), before, after, object: graph.objectOf(id) });
    };
    flatComponentsOfIds(graph, region, (id) => inRegion[id] === epoch, this.searchScratch, (ids, start, end) => {
      const first = ids[start]!;
      if (end - start === 1 && !graph.dependsOnItself(first)) {
        this.ranks[first] = rankOf(graph, [first], undefined, this.ranks, this.components, RANK_SPACING);
        judged(first, evaluateAcyclicGate(graph, first, gateOf, undefined, this.revisions, this.externals));
        return;
      }
      const component = ids.slice(start, end);
      for (const id of component) this.components[id] = component;
      this.cycleComponents.add(component);
      const rank = rankOf(graph, component, component, this.ranks, this.components, RANK_SPACING);
      for (const id of component) this.ranks[id] = rank;
      componentCycleGates(graph, component, this.components, this.bfsScratch, judged);
    });
    return changes;
  }

  /** A full computation; returns the existing ids, dependencies first. */
  private rebuild(): number[] {
    const graph = this.current;
    const { gates, ranks, components, order } = computeAll(graph, this.revisions, this.externals);
    this.gates = gates;
    this.ranks = ranks;
    this.components = components;
    this.cycleComponents = new Set(components.filter((component) => component !== undefined));
    this.readyExprRefs = new Array<number>(graph.idCapacity).fill(0);
    this.externalRefs.clear();
    this.externalNamespaceRefs.clear();
    this.externalKindsChanges++;
    for (let id = 0; id < graph.idCapacity; id++) if ((graph.traitsOf(id) & ENTRY_TRAITS) !== 0) this.countEntryRefs(id, 1);
    return order;
  }

  /** Counts (delta 1) or uncounts (-1) the object's entries with a readyExpr or naming an outside kind. */
  private countEntryRefs(id: number, delta: number): void {
    const traits = this.current.traitsOf(id);
    if ((traits & ENTRY_READY_EXPR) !== 0) this.countReadyExprRefs(id, delta);
    if ((traits & ENTRY_NAMES_KIND) !== 0) this.countExternalRefs(this.current.objectOf(id)!, delta);
  }

  /** Entries naming a kind outside the graph carry it in `kind` (refs.ts, entryKind). */
  private countExternalRefs(obj: FluxObject, delta: number): void {
    for (const entry of obj.dependsOn) {
      const kind = entry.kind;
      if (kind === undefined || kind === "" || isGraphKind(kind)) continue;
      this.countRef(this.externalRefs, kind, entry.apiVersion ?? "", delta);
      this.countRef(this.externalNamespaceRefs, kind, entryNamespace(obj, entry), delta);
    }
  }

  /** Adds `delta` to refs[kind][value]; a value appearing or going counts as a change of the demand. */
  private countRef(refs: Map<string, Map<string, number>>, kind: string, value: string, delta: number): void {
    let counts = refs.get(kind);
    if (counts === undefined) refs.set(kind, (counts = new Map()));
    const count = (counts.get(value) ?? 0) + delta;
    if (count > 0) {
      if (!counts.has(value)) this.externalKindsChanges++;
      counts.set(value, count);
      return;
    }
    counts.delete(value);
    this.externalKindsChanges++;
    if (counts.size === 0) refs.delete(kind);
  }

  /**
   * A ResourceSet reads kstatus of its `ready: true` dependencies, and so does a HelmRelease's or
   * Kustomization's entry naming another kind (the Flux RFC): more than readinessSignature holds.
   */
  private hasResourceSetDependent(id: number): boolean {
    const graph = this.current;
    const kind = graph.kindOf(id);
    for (const dependent of graph.dependentIdsOf(id)) {
      const other = graph.objectOf(dependent)?.kind;
      if (other === "ResourceSet" || (other !== undefined && other !== kind)) return true;
    }
    return false;
  }

  private countReadyExprRefs(id: number, delta: number): void {
    const entries = this.current.objectOf(id)?.dependsOn ?? [];
    const entryIds = this.current.entryIdsOf(id);
    for (let i = 0; i < entries.length; i++) {
      const readyExpr = entries[i]!.readyExpr;
      if (readyExpr === undefined || readyExpr === "") continue;
      const target = entryIds[i]!;
      this.readyExprRefs[target] = (this.readyExprRefs[target] ?? 0) + delta;
    }
  }

  /** X (id) is new or its dependency keys changed. */
  private restructure(id: number, existed: boolean): GateChange[] {
    const graph = this.current;
    const oldComponent = this.components[id];
    const newComponent = this.componentThrough(id);
    const touched = new Set<number>(newComponent);
    if (oldComponent !== undefined) {
      const inNew = new Set(newComponent);
      const rest = oldComponent.filter((member) => !inNew.has(member));
      for (const member of oldComponent) touched.add(member);
      this.recomponent(rest);
    }
    this.assignComponent(newComponent);
    if (!existed) this.ranks[id] = -1; // the id may be recycled: forget its old rank
    this.raiseRanks(existed ? touched : [...touched, ...graph.dependentIdsOf(id)]);
    for (const dependent of graph.dependentIdsOf(id)) touched.add(dependent);
    const cycleMembers = new Set<number>(newComponent);
    if (oldComponent !== undefined) for (const member of oldComponent) cycleMembers.add(member);
    return this.propagate([...touched], cycleMembers);
  }

  /**
   * X's component after its edges changed. Ranks are still valid for everything but X, and rank
   * never increases along a path, so a member v ≠ X (reaching X through one of X's dependents, and
   * reached from X through one of its dependencies) ranks between the lowest-ranked dependent
   * (floor) and the highest-ranked dependency (ceiling). In a DAG edit the floor is above the
   * ceiling and that is all. Otherwise the objects reachable from X and the objects reaching X are
   * searched together, a step each, within those bounds; once one side is complete, X's component
   * is that side's objects the other direction reaches, so the cost is about twice the smaller side.
   */
  private componentThrough(id: number): number[] {
    const graph = this.current;
    const ranks = this.ranks;
    let floor = Infinity;
    let ceiling = -Infinity;
    for (const dependent of graph.dependentIdsOf(id)) {
      if (dependent !== id && ranks[dependent]! < floor) floor = ranks[dependent]!;
    }
    for (const dep of graph.dependencyIdsOf(id)) {
      if (dep !== id && graph.objectOf(dep) !== undefined && ranks[dep]! > ceiling) ceiling = ranks[dep]!;
    }
    if (floor > ceiling) return [id];
    const inBand = (v: number): boolean =>
      v !== id && graph.objectOf(v) !== undefined && ranks[v]! >= floor && ranks[v]! <= ceiling;
    const forward = new BandSearch(graph.idCapacity, this.forwardScratch, inBand, (v) => graph.dependencyIdsOf(v));
    const backward = new BandSearch(graph.idCapacity, this.backwardScratch, inBand, (v) => graph.dependentIdsOf(v));
    forward.start(graph.dependencyIdsOf(id));
    backward.start(graph.dependentIdsOf(id));
    while (!forward.done && !backward.done) {
      forward.step();
      backward.step();
    }
    const [complete, other] = forward.done ? [forward, backward] : [backward, forward];
    const within = new BandSearch(graph.idCapacity, this.searchScratch, (v) => complete.has(v), other.next);
    within.start(other === forward ? graph.dependencyIdsOf(id) : graph.dependentIdsOf(id));
    while (!within.done) within.step();
    return [id, ...within.visited];
  }

  /** Splits what is left of an old cycle component into its new components. */
  private recomponent(members: readonly number[]): void {
    const graph = this.current;
    const live = members.filter((member) => graph.objectOf(member) !== undefined);
    for (const member of members) {
      const old = this.components[member];
      if (old !== undefined) this.cycleComponents.delete(old);
      this.components[member] = undefined;
    }
    if (live.length === 0) return;
    const set = new Set(live);
    for (const component of componentsOfIds(graph, live, (v) => set.has(v), this.searchScratch)) this.assignComponent(component);
  }

  private assignComponent(component: number[]): void {
    for (const member of component) {
      const old = this.components[member];
      if (old !== undefined) this.cycleComponents.delete(old);
    }
    const cyclic = isCyclic(this.current, component) ? component : undefined;
    for (const member of component) this.components[member] = cyclic;
    if (cyclic !== undefined) this.cycleComponents.add(cyclic);
  }

  /**
   * Restores "a dependency ranks below its dependents" upwards from the touched objects by raising
   * ranks where it is violated, never lowering them: a removed edge leaves slack, which costs
   * nothing, and an added edge raises only the dependents that would otherwise rank too low.
   */
  private raiseRanks(start: Iterable<number>): void {
    const graph = this.current;
    const ranks = this.ranks;
    const queue: number[] = [];
    const epoch = this.queueScratch.begin(graph.idCapacity);
    const queued = this.queueScratch.stamp;
    const enqueue = (v: number): void => {
      if (queued[v] === epoch || graph.objectOf(v) === undefined) return;
      queued[v] = epoch;
      queue.push(v);
    };
    for (const v of start) enqueue(v);
    for (let head = 0; head < queue.length; head++) {
      const v = queue[head]!;
      queued[v] = 0;
      const cycle = this.components[v];
      const members = cycle ?? [v];
      let target = rankOf(graph, members, cycle, ranks, this.components, 1);
      for (const member of members) if (ranks[member]! > target) target = ranks[member]!;
      if (members.every((member) => ranks[member] === target)) continue;
      for (const member of members) ranks[member] = target;
      for (const member of members) {
        for (const dependent of graph.dependentIdsOf(member)) {
          if (cycle === undefined ? dependent !== v : this.components[dependent] !== cycle) enqueue(dependent);
        }
      }
      // Compact the queue now and then so a long cascade does not hold every entry.
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head + 1);
        head = -1;
      }
    }
  }

  /**
   * Re-evaluates `seeds` and, transitively, the dependents of every object whose gate changed, in
   * rank order. Cycle members are re-evaluated only when in `cycleMembers` (their gate depends on
   * the cycle alone).
   */
  private propagate(seeds: readonly number[], cycleMembers: ReadonlySet<number> | undefined): GateChange[] {
    const graph = this.current;
    const before = new Map<number, GateState | undefined>();
    const heap = new RankHeap(this.ranks);
    const epoch = this.queueScratch.begin(graph.idCapacity);
    const queued = this.queueScratch.stamp;
    const push = (v: number): void => {
      if (queued[v] === epoch || graph.objectOf(v) === undefined) return;
      queued[v] = epoch;
      heap.push(v);
    };
    for (const seed of seeds) push(seed);
    const gateOf = (d: number): GateState => this.gates[d]!;
    const cycleGates = new Map<readonly number[], Map<number, BlockedGate>>();
    while (heap.size > 0) {
      const v = heap.pop();
      queued[v] = 0;
      const cycle = this.components[v];
      const old = this.gates[v];
      let next: GateState;
      if (cycle !== undefined) {
        if (old !== undefined && !(cycleMembers?.has(v) ?? false)) continue;
        // One computation per component and propagation, however many of its members are re-evaluated.
        let judged = cycleGates.get(cycle);
        if (judged === undefined) {
          const gates = new Map<number, BlockedGate>();
          componentCycleGates(graph, cycle, this.components, this.bfsScratch, (id, gate) => gates.set(id, gate));
          cycleGates.set(cycle, (judged = gates));
        }
        next = judged.get(v)!;
      } else {
        next = evaluateAcyclicGate(graph, v, gateOf, undefined, this.revisions, this.externals);
      }
      if (old !== undefined && sameGate(old, next)) continue;
      if (!before.has(v)) before.set(v, old);
      this.gates[v] = next;
      for (const dependent of graph.dependentIdsOf(v)) push(dependent);
    }
    const changes: GateChange[] = [];
    for (const [v, old] of before) {
      const after = this.gates[v];
      if (old !== undefined && after !== undefined && sameGate(old, after)) continue;
      changes.push({ key: graph.keyOf(v), kind: graph.kindOf(v), before: old, after, object: after === undefined ? undefined : graph.objectOf(v) });
    }
    return changes;
  }
}

/**
 * What a dependent reads from a dependency besides its gate (when it has no readyExpr): health and
 * the condition messages that become a root cause message.
 */
function readinessSignature(obj: FluxObject): string {
  const health = healthOf(obj);
  // The applied revision is read by same-source dependents (readiness.ts, unappliedRevision).
  if (health === "ready") return obj.sourceRef === undefined ? health : `${health}\u0000${obj.status?.lastAppliedRevision}\u0000${obj.suspend}`;
  const ready = findCondition(obj, READY_CONDITION);
  const stalled = findCondition(obj, STALLED_CONDITION);
  return `${health}\u0000${ready?.status}\u0000${ready?.message}\u0000${stalled?.status}\u0000${stalled?.message}`;
}

/** A breadth-first search over the ids `allowed`, one step at a time. */
class BandSearch {
  readonly visited: number[] = [];
  private head = 0;
  private readonly epoch: number;
  private readonly stamp: Uint32Array;

  constructor(
    capacity: number,
    scratch: IdScratch,
    private readonly allowed: (id: number) => boolean,
    readonly next: (id: number) => Iterable<number>,
  ) {
    this.epoch = scratch.begin(capacity);
    this.stamp = scratch.stamp;
  }

  get done(): boolean {
    return this.head >= this.visited.length;
  }

  has(id: number): boolean {
    return this.stamp[id] === this.epoch;
  }

  start(ids: Iterable<number>): void {
    for (const id of ids) this.visit(id);
  }

  step(): void {
    if (this.done) return;
    for (const id of this.next(this.visited[this.head++]!)) this.visit(id);
  }

  private visit(id: number): void {
    if (this.stamp[id] === this.epoch || !this.allowed(id)) return;
    this.stamp[id] = this.epoch;
    this.visited.push(id);
  }
}

/** Binary min-heap of ids by rank. */
class RankHeap {
  private readonly ids: number[] = [];
  constructor(private readonly ranks: readonly number[]) {}

  get size(): number {
    return this.ids.length;
  }

  push(id: number): void {
    const ids = this.ids;
    const rank = this.ranks[id]!;
    let at = ids.length;
    ids.push(id);
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.ranks[ids[parent]!]! <= rank) break;
      ids[at] = ids[parent]!;
      at = parent;
    }
    ids[at] = id;
  }

  pop(): number {
    const ids = this.ids;
    const top = ids[0]!;
    const last = ids.pop()!;
    if (ids.length > 0) {
      const rank = this.ranks[last]!;
      let at = 0;
      for (;;) {
        let child = 2 * at + 1;
        if (child >= ids.length) break;
        if (child + 1 < ids.length && this.ranks[ids[child + 1]!]! < this.ranks[ids[child]!]!) child++;
        if (this.ranks[ids[child]!]! >= rank) break;
        ids[at] = ids[child]!;
        at = child;
      }
      ids[at] = last;
    }
    return top;
  }
}

/** GateTracker.states(): the tracker's gates by node key, read through the graph's ids. */
class GateStatesView implements ReadonlyMap<NodeKey, GateState> {
  constructor(private readonly tracker: GateTracker) {}

  get size(): number {
    return this.tracker.graph.size;
  }

  get(key: NodeKey): GateState | undefined {
    return this.tracker.state(key);
  }

  has(key: NodeKey): boolean {
    return this.tracker.state(key) !== undefined;
  }

  *entries(): MapIterator<[NodeKey, GateState]> {
    const graph = this.tracker.graph;
    for (let id = 0; id < graph.idCapacity; id++) {
      const gate = this.tracker.gateAt(id);
      if (gate !== undefined) yield [graph.keyOf(id), gate];
    }
  }

  *keys(): MapIterator<NodeKey> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<GateState> {
    for (const [, gate] of this.entries()) yield gate;
  }

  forEach(callback: (value: GateState, key: NodeKey, map: ReadonlyMap<NodeKey, GateState>) => void, thisArg?: unknown): void {
    for (const [key, gate] of this.entries()) callback.call(thisArg, gate, key, this);
  }

  [Symbol.iterator](): MapIterator<[NodeKey, GateState]> {
    return this.entries();
  }
}
