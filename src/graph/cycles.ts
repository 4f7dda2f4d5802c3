// Cycles in a dependency graph: strongly connected components (iterative Tarjan, so 100k-node graphs
// never overflow the call stack), one readable closed path per cycle, and the admission question
// "would this new dependsOn close a cycle?" answered by a search over only the part of the graph
// reachable from the new edges (docs/behaviour.md, Admission rules: cycle check cost), as a whole path
// (findCycleThrough) or as the bounded CyclePath a message needs (cycleThrough).
//
// Edges to objects that do not exist are ignored here: a missing object cannot be on a cycle.

import { DependencyGraph, layersOf } from "./dependency-graph.js";
import type { GraphLayers, GraphView } from "./dependency-graph.js";
import { kindOfNode } from "./refs.js";
import type { NodeKey } from "./types.js";
import { cyclePathOf, shownPositions } from "./cycle-path.js";
import type { CyclePath } from "./cycle-path.js";

/** Restricts a search to a subset of the graph's objects. */
type KeyFilter = (key: NodeKey) => boolean;

/**
 * Strongly connected components of the existing objects reachable from `roots` (default: all), in
 * Tarjan's emission order: a component comes after every component it depends on.
 */
function stronglyConnectedComponents(
  graph: GraphView,
  roots: Iterable<NodeKey> = graph.keys(),
  within?: KeyFilter,
): NodeKey[][] {
  const index = new Map<NodeKey, number>();
  const low: number[] = [];
  const onStack: boolean[] = [];
  const stack: NodeKey[] = [];
  const components: NodeKey[][] = [];
  // Explicit call stack: node, its index, its dependencies and the next one to visit.
  const frameNode: NodeKey[] = [];
  const frameIndex: number[] = [];
  const frameDeps: (readonly NodeKey[])[] = [];
  const framePos: number[] = [];
  let counter = 0;

  const enter = (key: NodeKey): void => {
    const i = counter++;
    index.set(key, i);
    low[i] = i;
    onStack[i] = true;
    stack.push(key);
    frameNode.push(key);
    frameIndex.push(i);
    frameDeps.push(graph.dependencyKeys(key));
    framePos.push(0);
  };
  const inGraph = (key: NodeKey): boolean => graph.has(key) && (within === undefined || within(key));

  for (const root of roots) {
    if (index.has(root) || !inGraph(root)) continue;
    enter(root);
    while (frameNode.length > 0) {
      const top = frameNode.length - 1;
      const vi = frameIndex[top]!;
      const deps = frameDeps[top]!;
      let pos = framePos[top]!;
      let descended = false;
      while (pos < deps.length) {
        const w = deps[pos++]!;
        const wi = index.get(w);
        if (wi === undefined) {
          if (!inGraph(w)) continue;
          framePos[top] = pos;
          enter(w);
          descended = true;
          break;
        }
        if (onStack[wi] && wi < low[vi]!) low[vi] = wi;
      }
      if (descended) continue;
      const v = frameNode.pop()!;
      frameIndex.pop();
      frameDeps.pop();
      framePos.pop();
      if (low[vi] === vi) {
        const component: NodeKey[] = [];
        let w: NodeKey;
        do {
          w = stack.pop()!;
          onStack[index.get(w)!] = false;
          component.push(w);
        } while (w !== v);
        components.push(component);
      }
      if (frameIndex.length > 0) {
        const pi = frameIndex[frameIndex.length - 1]!;
        if (low[vi]! < low[pi]!) low[pi] = low[vi]!;
      }
    }
  }
  return components;
}

/** A component is a cycle when it has more than one member or its one member depends on itself. */
function isCyclicComponent(graph: GraphView, component: readonly NodeKey[]): boolean {
  if (component.length > 1) return true;
  const only = component[0];
  return only !== undefined && graph.dependencyKeys(only).includes(only);
}

/**
 * Every cycle: one per strongly connected component with more than one member or a self-loop. Each
 * is a closed path starting and ending at the component's smallest key, through every member when
 * such a simple cycle is found within a bounded search, else the shortest cycle through that key.
 * Sorted by first key.
 */
export function findCycles(graph: GraphView): NodeKey[][] {
  const cycles: NodeKey[][] = [];
  if (graph instanceof DependencyGraph) {
    const { ids, ends } = flatComponentsOfIds(graph, allIds(graph));
    let start = 0;
    for (const end of ends) {
      const first = ids[start]!;
      if (end - start > 1 || graph.dependsOnItself(first)) {
        cycles.push(closedPathThrough(graph, ids.slice(start, end).map((id) => graph.keyOf(id))));
      }
      start = end;
    }
  } else {
    for (const component of stronglyConnectedComponents(graph)) {
      if (isCyclicComponent(graph, component)) cycles.push(closedPathThrough(graph, component));
    }
  }
  return cycles.sort((a, b) => compareKeys(a[0]!, b[0]!));
}

/**
 * "If `from`'s dependsOn became `newDependencies`, would a cycle close?" The shortest closed path
 * `[from, ..., from]`, or undefined. Only the part of the graph reachable from `newDependencies` is
 * visited; `from`'s current edges (if it exists) are ignored.
 */
export function findCycleThrough(
  graph: GraphView,
  from: NodeKey,
  newDependencies: readonly NodeKey[],
): NodeKey[] | undefined {
  return shortestCycle(graph, from, newDependencies);
}

/**
 * findCycleThrough's answer as a message needs it (cycle-path.ts): its length, first and last hops and
 * whether it crosses kinds. On the graph itself (or a view that only adds to it: the pending batch,
 * unconfirmed edges; GraphLayers) the search's ids are all it reads: the key of a member no message shows is
 * never looked at, so denying an edge that closes a 10,000-object cycle costs one pass over integers.
 * `some` on the answer reads the graph: ask it before the graph changes.
 */
export function cycleThrough(graph: GraphView, from: NodeKey, newDependencies: readonly NodeKey[]): CyclePath | undefined {
  const layers = newDependencies.includes(from) ? undefined : layersOf(graph);
  if (layers !== undefined) {
    const found = cycleIdsThrough(layers, graph, from, newDependencies);
    return found === undefined ? undefined : memberCyclePath(found);
  }
  const nodes = shortestCycle(graph, from, newDependencies);
  return nodes === undefined ? undefined : cyclePathOf(nodes);
}

/** A cycle's members, `from` first, then in path order: ids of the graph, or (negative) extra nodes the view alone has. */
interface Members {
  readonly graph: DependencyGraph;
  readonly members: Int32Array;
  /** Member -k-1 is extra[k]. */
  readonly extra: readonly NodeKey[];
}

function memberKey({ graph, extra }: Members, member: number): NodeKey {
  return member >= 0 ? graph.keyOf(member) : extra[-member - 1]!;
}

function memberKind(found: Members, member: number): string {
  return member >= 0 ? found.graph.kindOf(member) : kindOfNode(memberKey(found, member));
}

/** The members of a cycle found on ids as a CyclePath. */
function memberCyclePath(found: Members): CyclePath {
  const { members } = found;
  const shown = shownPositions(members.length + 1).map((i) => memberKey(found, members[i === members.length ? 0 : i]!));
  const firstKind = memberKind(found, members[0]!);
  let crossesKinds = false;
  for (let i = 0; i < members.length && !crossesKinds; i++) {
    const kind = memberKind(found, members[i]!);
    crossesKinds = kind === RESOURCE_SET || kind !== firstKind;
  }
  return {
    objects: members.length,
    shown,
    crossesKinds,
    some: (test) => {
      for (const member of members) if (test(memberKey(found, member))) return true;
      return false;
    },
  };
}

const RESOURCE_SET = "ResourceSet";

/** shortestCycle on a DependencyGraph's ids: the same search, in the same order, with the same answer. */
function shortestCycleOfIds(layers: GraphLayers, view: GraphView, from: NodeKey, dependencies: readonly NodeKey[]): NodeKey[] | undefined {
  const found = cycleIdsThrough(layers, view, from, dependencies);
  if (found === undefined) return undefined;
  const path: NodeKey[] = [];
  for (const member of found.members) path.push(memberKey(found, member));
  path.push(from);
  return path;
}

/** In the parent array: the node was reached from `from` directly. */
const FROM = 0x7fffffff;

/**
 * The breadth-first search of shortestCycle over ids (`from` not among `dependencies`): the members of
 * the shortest cycle, `from` first, or undefined. Each object is queued once and each of its edges read
 * once (a lattice of 10,000 objects and 100,000 edges: 100,000 reads at most); the marks, parents and
 * queue are typed arrays reused from search to search, so a search over the graph itself allocates only
 * its answer. On a view (`view` is not the graph), a node the graph does not hold and an object whose
 * edges the view changes are asked of the view by key; a node only the view knows (a pending object
 * nothing in the graph names) is an extra node, numbered -1, -2, … in the same arrays.
 */
function cycleIdsThrough(layers: GraphLayers, view: GraphView, from: NodeKey, dependencies: readonly NodeKey[]): Members | undefined {
  const { graph, changesEdges } = layers;
  const onView = view !== graph;
  const fromId = graph.idOf(from) ?? -1;
  // On the graph itself, only a key some dependsOn names has an id, and the path back must end in an
  // edge to `from`: with no id or no dependent, there is none to search for.
  if (!onView && (fromId < 0 || graph.dependentCountOf(fromId) === 0)) return undefined;
  const scratch = (cycleScratch ??= new IdScratch());
  const epoch = scratch.begin(graph.idCapacity);
  // The second scratch array is the queue: an id is queued at most once, so idCapacity slots suffice.
  const { stamp, first: parent } = scratch;
  let queue = scratch.second;
  const extra: NodeKey[] = [];
  const extraAt = new Set<NodeKey>();
  const extraParent: number[] = [];
  let tail = 0;
  const push = (node: number): void => {
    // Extra nodes do not count against idCapacity: grow the queue if they would overflow it.
    if (tail === queue.length) {
      const grown = new Int32Array(2 * queue.length + 16);
      grown.set(queue);
      queue = grown;
    }
    queue[tail++] = node;
  };
  /** Visits the node of `key`, reached from `via`: true when it is `from` (the cycle closes), else queues it if new and existing. */
  const visitKey = (key: NodeKey, via: number): boolean => {
    if (key === from) return true;
    const id = graph.idOf(key);
    if (id !== undefined) {
      if (stamp[id] === epoch || !(graph.exists(id) || view.has(key))) return false;
      stamp[id] = epoch;
      parent[id] = via;
      push(id);
      return false;
    }
    if (extraAt.has(key) || !view.has(key)) return false;
    extraAt.add(key);
    extra.push(key);
    extraParent.push(via);
    push(-extra.length);
    return false;
  };
  const found = (last: number): Members => {
    const parentOf = (node: number): number => (node >= 0 ? parent[node]! : extraParent[-node - 1]!);
    let length = 1;
    for (let step = last; step !== FROM; step = parentOf(step)) length++;
    const members = new Int32Array(length);
    if (fromId >= 0) members[0] = fromId;
    else {
      extra.push(from);
      members[0] = -extra.length;
    }
    let i = length - 1;
    for (let step = last; step !== FROM; step = parentOf(step)) members[i--] = step;
    return { graph, members, extra };
  };

  for (const dep of dependencies) if (visitKey(dep, FROM)) return found(FROM);
  const edges = graph.forwardEdges;
  for (let head = 0; head < tail; head++) {
    const v = queue[head]!;
    if (v >= 0 && graph.exists(v) && (changesEdges === undefined || !changesEdges(graph.keyOf(v)))) {
      for (let at = graph.forwardStart(v), end = graph.forwardEnd(v); at < end; at++) {
        const w = edges[at]!;
        if (w === fromId) return found(v);
        if (stamp[w] === epoch || !(graph.exists(w) || (onView && view.has(graph.keyOf(w))))) continue;
        stamp[w] = epoch;
        parent[w] = v;
        push(w);
      }
      continue;
    }
    const key = v >= 0 ? graph.keyOf(v) : extra[-v - 1]!;
    for (const dep of view.dependencyKeys(key)) if (visitKey(dep, v)) return found(v);
  }
  return undefined;
}

/** shortestCycleOfIds's marks, reused: a search is synchronous, so one set serves every call. */
let cycleScratch: IdScratch | undefined;

/**
 * Breadth-first search from `dependencies` back to `from`, visiting dependencies in dependsOn order,
 * so the result is the shortest cycle and, among equally short ones, the first in dependsOn order.
 * `within` optionally restricts the search (e.g. to `from`'s component, which holds every cycle
 * through it).
 */
function shortestCycle(
  graph: GraphView,
  from: NodeKey,
  dependencies: readonly NodeKey[],
  within?: KeyFilter,
): NodeKey[] | undefined {
  if (dependencies.includes(from)) return [from, from];
  // The webhook asks this on every CREATE and every UPDATE that adds an edge: on the graph itself the
  // search walks ids, without resolving a key string at each step.
  const layers = within === undefined ? layersOf(graph) : undefined;
  if (layers !== undefined) return shortestCycleOfIds(layers, graph, from, dependencies);
  const parent = new Map<NodeKey, NodeKey>();
  const queue: NodeKey[] = [];
  for (const dep of dependencies) {
    if (parent.has(dep) || !graph.has(dep) || (within !== undefined && !within(dep))) continue;
    parent.set(dep, from);
    queue.push(dep);
  }
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of graph.dependencyKeys(v)) {
      if (w === from) {
        const interior: NodeKey[] = [];
        for (let at: NodeKey = v; at !== from; at = parent.get(at)!) interior.push(at);
        return [from, ...interior.reverse(), from];
      }
      if (parent.has(w) || !graph.has(w) || (within !== undefined && !within(w))) continue;
      parent.set(w, v);
      queue.push(w);
    }
  }
  return undefined;
}

/** Steps allowed when looking for a simple cycle through every member of a component. */
const FULL_CYCLE_SEARCH_BUDGET = 20_000;

/** A closed path from the component's smallest key: through every member if one is found. */
function closedPathThrough(graph: GraphView, component: readonly NodeKey[]): NodeKey[] {
  let start = component[0]!;
  for (const key of component) if (compareKeys(key, start) < 0) start = key;
  if (component.length === 1) return [start, start];
  const members = new Set(component);
  const within = (key: NodeKey): boolean => members.has(key);
  const full = component.length <= FULL_CYCLE_SEARCH_BUDGET ? fullCycle(graph, start, members) : undefined;
  return full ?? shortestCycle(graph, start, graph.dependencyKeys(start), within)!;
}

/** Depth-first search for a simple cycle through all members, bounded so it never runs away. */
function fullCycle(graph: GraphView, start: NodeKey, members: ReadonlySet<NodeKey>): NodeKey[] | undefined {
  const path: NodeKey[] = [start];
  const pos: number[] = [0];
  const onPath = new Set<NodeKey>([start]);
  let steps = 0;
  while (path.length > 0) {
    if (++steps > FULL_CYCLE_SEARCH_BUDGET) return undefined;
    const top = path.length - 1;
    const v = path[top]!;
    const deps = graph.dependencyKeys(v);
    if (path.length === members.size) {
      if (deps.includes(start)) return [...path, start];
    } else {
      let advanced = false;
      while (pos[top]! < deps.length) {
        const w = deps[pos[top]!++]!;
        if (members.has(w) && !onPath.has(w)) {
          path.push(w);
          pos.push(0);
          onPath.add(w);
          advanced = true;
          break;
        }
      }
      if (advanced) continue;
    }
    onPath.delete(v);
    path.pop();
    pos.pop();
  }
  return undefined;
}

/** Plain code-unit order, the same everywhere (never locale-dependent). */
export function compareKeys(a: NodeKey, b: NodeKey): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- the same algorithms over a DependencyGraph's integer ids (the gate states' hot path) ---

/**
 * Per-id scratch arrays reused across searches. A search starts a new epoch instead of clearing:
 * an entry counts only when its stamp equals the current epoch, so a search over ten objects in a
 * 100k graph costs ten, not 100k.
 */
export class IdScratch {
  stamp = new Uint32Array(0);
  first = new Int32Array(0);
  second = new Int32Array(0);
  /** Tarjan's stack and search frames (flatComponentsOfIds), sized on first use. */
  stack = new Int32Array(0);
  frames = new Int32Array(0);
  private epoch = 0;

  /** stack and frames for a search over ids below `capacity` (a search holds each id at most once). */
  searchStacks(capacity: number): void {
    if (this.stack.length >= capacity) return;
    const size = Math.max(capacity, this.stack.length * 2, 64);
    this.stack = new Int32Array(size);
    this.frames = new Int32Array(3 * size);
  }

  /** Starts a search over ids below `capacity`; returns the epoch that marks "seen in this search". */
  begin(capacity: number): number {
    if (this.stamp.length < capacity) {
      const size = Math.max(capacity, this.stamp.length * 2, 64);
      this.stamp = new Uint32Array(size);
      this.first = new Int32Array(size);
      this.second = new Int32Array(size);
    }
    if (this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 0;
    }
    return ++this.epoch;
  }
}

/** Ids of every existing object. */
export function allIds(graph: DependencyGraph): number[] {
  const ids: number[] = [];
  for (let id = 0; id < graph.idCapacity; id++) if (graph.exists(id)) ids.push(id);
  return ids;
}

/**
 * stronglyConnectedComponents over ids: components of the existing objects reachable from `roots`
 * (restricted to `allowed` ones), each after every component it depends on.
 */
export function componentsOfIds(
  graph: DependencyGraph,
  roots: Iterable<number>,
  allowed?: (id: number) => boolean,
  scratch: IdScratch = new IdScratch(),
): number[][] {
  const { ids, ends } = flatComponentsOfIds(graph, roots, allowed, scratch);
  const components: number[][] = [];
  let start = 0;
  for (const end of ends) {
    components.push(ids.slice(start, end));
    start = end;
  }
  return components;
}

/**
 * componentsOfIds without an array per component (100k of them in a rebuild): all members in
 * `ids`, component k being `ids[ends[k-1] ?? 0 .. ends[k])`. `onComponent` is called with each
 * component as it is emitted, `ids[start .. end)`.
 */
export function flatComponentsOfIds(
  graph: DependencyGraph,
  roots: Iterable<number>,
  allowed?: (id: number) => boolean,
  scratch: IdScratch = new IdScratch(),
  onComponent?: (ids: readonly number[], start: number, end: number) => void,
): { ids: number[]; ends: number[] } {
  const epoch = scratch.begin(graph.idCapacity);
  scratch.searchStacks(graph.idCapacity);
  const { stamp, first: index, second: low, stack, frames } = scratch;
  const ON_STACK_DONE = -1;
  const ids: number[] = [];
  const ends: number[] = [];
  // Tarjan's stack is stack[0 .. height); a frame is three ints in `frames`: its node, where in the
  // node's run of forward edges the search is, and where the run ends (typed arrays: no growth, no boxing).
  let height = 0;
  let depth = 0;
  // Read after every update: nothing changes the graph during the search.
  const edges = graph.forwardEdges;
  let counter = 0;
  const usable = (id: number): boolean => graph.exists(id) && (allowed === undefined || allowed(id));
  const enter = (id: number): void => {
    stamp[id] = epoch;
    index[id] = counter;
    low[id] = counter;
    counter++;
    stack[height++] = id;
    frames[3 * depth] = id;
    frames[3 * depth + 1] = graph.forwardStart(id);
    frames[3 * depth + 2] = graph.forwardEnd(id);
    depth++;
  };

  for (const root of roots) {
    if (stamp[root] === epoch || !usable(root)) continue;
    enter(root);
    while (depth > 0) {
      const top = 3 * (depth - 1);
      const v = frames[top]!;
      const end = frames[top + 2]!;
      let pos = frames[top + 1]!;
      let descended = false;
      while (pos < end) {
        const w = edges[pos++]!;
        if (stamp[w] !== epoch) {
          if (!usable(w)) continue;
          frames[top + 1] = pos;
          enter(w);
          descended = true;
          break;
        }
        // index is set to ON_STACK_DONE once w's component is emitted: then it is not on the stack.
        const wi = index[w]!;
        if (wi !== ON_STACK_DONE && wi < low[v]!) low[v] = wi;
      }
      if (descended) continue;
      depth--;
      if (low[v] === index[v]) {
        let w: number;
        const first = ids.length;
        do {
          w = stack[--height]!;
          index[w] = ON_STACK_DONE;
          ids.push(w);
        } while (w !== v);
        ends.push(ids.length);
        onComponent?.(ids, first, ids.length);
      }
      if (depth > 0) {
        const parent = frames[3 * (depth - 1)]!;
        if (low[v]! < low[parent]!) low[parent] = low[v]!;
      }
    }
  }
  return { ids, ends };
}
