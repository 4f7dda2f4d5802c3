// The one dependency graph of every kind (docs/architecture.md, "Kinds"): objects by node key
// (`Kind/ns/name`), forward edges (resolved dependsOn, which for a ResourceSet may name another kind)
// and reverse edges (dependents). Reverse edges are kept also for nodes that do not exist, so "who waits
// for the missing HelmRelease default/redis" is one lookup. Every update costs O(degree of the object).
//
// Internally every key (of an object, or named by some dependsOn) gets a small integer id (node-index.ts)
// so the graph algorithms (SCCs, gate states) run over arrays instead of string maps: with 100k objects
// that is the difference between meeting the rebuild target and not. An id is recycled once its key
// neither exists nor is named by any dependsOn.
//
// The forward edges (each object's dependency ids) sit in one typed array, each id's run at an offset
// of its own (docs/architecture.md, "The graph in memory"): a search reads a run of integers instead of
// following a pointer to a small array per object. A changed run is written anew at the end; the
// space left behind is reclaimed by a compaction once it outweighs what is live.

import { NodeIndex } from "./node-index.js";
import { healthOf } from "./readiness.js";
import { entryKind, entryNamespace, GRAPH_KINDS, resolveDependencies, splitNodeKey } from "./refs.js";
import { MAX_DELETIONS } from "./deletion-index.js";
import { boundedEditDistance, closeness, SUGGESTIONS_SHOWN } from "./suggest.js";
import type { FluxObject, NodeKey, ResolvedDependency } from "./types.js";

/** Read-only view the checks use, keyed by node; the admission webhook overlays pending objects on one. */
export interface GraphView {
  has(key: NodeKey): boolean;
  get(key: NodeKey): FluxObject | undefined;
  /** Nodes of the object's dependencies, resolved, without duplicates, in dependsOn order. */
  dependencyKeys(key: NodeKey): readonly NodeKey[];
  keys(): Iterable<NodeKey>;
  /** Existing nodes of the missing one's kind worth a "did you mean": those in its namespace whose name
   *  is close enough in length (graph/suggest.ts, closeness) and those with its name. Lets the deny path
   *  look at a handful of keys instead of the whole cluster. */
  suggestionCandidates?(missing: NodeKey): Iterable<NodeKey>;
  /** A view of a DependencyGraph that only adds nodes and edges says so (see GraphLayers); read it through layersOf. */
  layered?(): GraphLayers | undefined;
}

/**
 * A view that is a DependencyGraph with nodes added or given more edges (the pending batch, unconfirmed
 * edges, objects a read has just found): every object `graph` holds exists in the view, with the same
 * edges unless `changesEdges` says otherwise. A search walks the graph's ids and asks the view, by key,
 * only about the nodes the graph does not hold and those whose edges it changes (cycles.ts).
 */
export interface GraphLayers {
  readonly graph: DependencyGraph;
  /** Whether the view gives an object the graph holds other edges; absent: it never does. */
  readonly changesEdges?: (key: NodeKey) => boolean;
}

/** The graph under a view and what the view changes, when the view is one of a DependencyGraph. */
export function layersOf(view: GraphView): GraphLayers | undefined {
  return view instanceof DependencyGraph ? { graph: view } : view.layered?.();
}

/** A view's layers: its base's, plus the objects whose edges it changes itself (none when `changesEdges` is absent). */
export function layersWith(base: GraphView, changesEdges?: (key: NodeKey) => boolean): GraphLayers | undefined {
  const below = layersOf(base);
  if (below === undefined || changesEdges === undefined) return below;
  const under = below.changesEdges;
  return { graph: below.graph, changesEdges: under === undefined ? changesEdges : (key) => changesEdges(key) || under(key) };
}

/** traitsOf: some dependsOn entry has a readyExpr. */
export const ENTRY_READY_EXPR = 1;
/** traitsOf: some dependsOn entry names its kind (a ResourceSet's entries do; the kind may be outside the graph). */
export const ENTRY_NAMES_KIND = 2;
/**
 * traitsOf: the object passes Flux's built-in readiness check (readiness.ts, isBuiltinReady), found
 * once when it is upserted, while the object is at hand, instead of on each visit from a dependent.
 */
export const BUILTIN_READY = 4;
/** traitsOf: not ready, and healthOf says failed (readiness.ts), found on upsert like BUILTIN_READY. */
export const HEALTH_FAILED = 8;
/** traitsOf: not ready, not failed, and suspended. */
export const HEALTH_SUSPENDED = 16;
/** traitsOf: the node is an object (not only named by some dependsOn). */
export const EXISTS = 32;

/** The health bits of an object's traits. */
function healthTraits(obj: FluxObject): number {
  const health = healthOf(obj);
  return health === "ready" ? BUILTIN_READY : health === "failed" ? HEALTH_FAILED : health === "suspended" ? HEALTH_SUSPENDED : 0;
}

const NO_KEYS: readonly NodeKey[] = Object.freeze([]);
const NO_IDS: readonly number[] = Object.freeze([]);

/** Dependents are a plain array while few (cheap to create), a Set once many (O(1) removal). */
type IdBag = number[] | Set<number>;
const BAG_ARRAY_LIMIT = 32;
/** In reverseAt: the id's dependents are the ones the last bulk load listed (see upsertAll). */
const BULK = 1;

/**
 * Objects are kept by reference and must not be changed after upsert: to change one, upsert a new
 * object (as a watch event delivers one).
 */
export class DependencyGraph implements GraphView {
  private readonly index = new NodeIndex();
  private count = 0;
  private readonly objectAt: (FluxObject | undefined)[] = [];
  /** The kind of each node (its object's, or the one its dependents name), read without the object. */
  private readonly kindAt: string[] = [];
  /** EXISTS and the entry and health traits of each id (0 for a node without object): most readers need no more. */
  private traitsAt = new Uint8Array(64);
  /**
   * Each id's dependency ids, without duplicates, in dependsOn order: edges[forwardRun[2 id] ..
   * forwardRun[2 id + 1]). Start and end side by side: one read of memory finds both.
   */
  private forwardRun = new Int32Array(128);
  private edges = new Int32Array(1024);
  private edgesTop = 0;
  /** Entries of `edges` no id's run covers any more (reclaimed by compactEdges). */
  private edgesGarbage = 0;
  /** The entry ids of an object that names one key twice (parallel to dependsOn); others' are their forward ids. */
  private readonly duplicateEntries = new Map<number, readonly number[]>();
  private lastUpserted = -1;
  /** Pairs of objects of different kinds with one `ns/name` (mayShareNames). */
  private sharedNamePairs = 0;
  /** Computed on first use: the hot paths read ids, not keys. */
  private readonly forwardKeysAt: (readonly NodeKey[] | undefined)[] = [];
  private readonly reverseAt: (IdBag | typeof BULK | undefined)[] = [];
  /**
   * The reverse edges a bulk load built in one pass: the dependents of an id whose reverseAt is BULK
   * are bulkDependents[bulkStart[id] .. bulkStart[id + 1]]. The first later change of an id's
   * dependents copies them into a bag of its own.
   */
  private bulkStart = new Int32Array(1);
  private bulkDependents = new Int32Array(0);
  /** During upsertAll: which ids were upserted so far; reverse edges are left alone and rebuilt from their forward ones at the end. */
  private bulk: { upserted: Uint8Array } | undefined;

  get size(): number {
    return this.count;
  }

  has(key: NodeKey): boolean {
    const id = this.idOf(key);
    return id !== undefined && this.objectAt[id] !== undefined;
  }

  get(key: NodeKey): FluxObject | undefined {
    const id = this.idOf(key);
    return id === undefined ? undefined : this.objectAt[id];
  }

  /** Keys of the existing objects. */
  *keys(): IterableIterator<NodeKey> {
    for (let id = 0; id < this.index.capacity; id++) if (this.objectAt[id] !== undefined) yield this.index.keyOf(id);
  }

  *values(): IterableIterator<FluxObject> {
    for (const obj of this.objectAt) if (obj !== undefined) yield obj;
  }

  /**
   * The keys suggestKeys must weigh for a missing node to find what weighing every key would: every name
   * of its namespace close enough in length, and the same name in other namespaces. When many lookups
   * come without a change (`check`), the names within two edits come from the index's deletion
   * neighbourhood instead (docs/architecture.md, "Did you mean"): all of them when closeness allows at
   * most two edits, or when there are enough of them that none three edits away can make the list
   * (suggestKeys keeps SUGGESTIONS_SHOWN; one more, as the dependent itself may be among them). Of those
   * only the SUGGESTIONS_SHOWN + 1 closest are given: no other can make the list.
   */
  suggestionCandidates(missing: NodeKey): NodeKey[] {
    const { kind, namespace, name } = splitNodeKey(missing);
    const close = closeness(name);
    const near = this.index.nearNames(kind, namespace, name, Math.min(close, MAX_DELETIONS));
    if (near !== undefined) {
      // Only the closest few can make the list (suggestKeys orders a namespace's names by edits, then
      // key), so only they are handed on, and a name is weighed only as far as the last of them.
      const kept = SUGGESTIONS_SHOWN + 1;
      const keys: NodeKey[] = [];
      const edits: number[] = [];
      const nameAt = kind.length + namespace.length + 2;
      for (const id of near) {
        if (this.objectAt[id] === undefined) continue;
        const key = this.index.keyOf(id);
        const full = keys.length === kept;
        const limit = full ? edits[kept - 1]! : MAX_DELETIONS;
        const distance = boundedEditDistance(name, key, limit, nameAt);
        if (distance > limit || (full && distance === limit && key > keys[kept - 1]!)) continue;
        if (full) {
          keys.pop();
          edits.pop();
        }
        let at = keys.length;
        while (at > 0 && (edits[at - 1]! > distance || (edits[at - 1] === distance && keys[at - 1]! > key))) at--;
        keys.splice(at, 0, key);
        edits.splice(at, 0, distance);
      }
      if (close <= MAX_DELETIONS || keys.length > SUGGESTIONS_SHOWN) {
        // The same name in another namespace (a forgotten `namespace:`): the lookup below holds those too.
        for (const id of this.index.sameName(kind, namespace, name)) if (this.objectAt[id] !== undefined) keys.push(this.index.keyOf(id));
        return keys;
      }
    }
    const keys: NodeKey[] = [];
    for (const id of this.index.sameNamespaceOrName(kind, namespace, name, close)) {
      if (this.objectAt[id] !== undefined) keys.push(this.index.keyOf(id));
    }
    return keys;
  }

  dependencyKeys(key: NodeKey): readonly NodeKey[] {
    const id = this.idOf(key);
    if (id === undefined) return NO_KEYS;
    let keys = this.forwardKeysAt[id];
    if (keys === undefined) {
      const found: NodeKey[] = [];
      const end = this.forwardEnd(id);
      for (let at = this.forwardStart(id); at < end; at++) found.push(this.index.keyOf(this.edges[at]!));
      keys = found.length === 0 ? NO_KEYS : found;
      this.forwardKeysAt[id] = keys;
    }
    return keys;
  }

  /** The object's dependsOn entries, resolved, in order (duplicates kept: each entry counts). */
  dependenciesOf(key: NodeKey): ResolvedDependency[] {
    const obj = this.get(key);
    return obj === undefined ? [] : resolveDependencies(obj);
  }

  /** Keys of the objects whose dependsOn names `key`, whether or not `key` exists. */
  dependentsOf(key: NodeKey): NodeKey[] {
    const id = this.idOf(key);
    if (id === undefined) return [];
    const keys: NodeKey[] = [];
    for (const dependent of this.dependentIdsOf(id)) keys.push(this.index.keyOf(dependent));
    return keys;
  }

  /** Inserts or replaces the object. Returns true when its dependency keys changed (or it is new). */
  upsert(obj: FluxObject): boolean {
    return this.put(obj, this.intern(obj.kind, obj.namespace, obj.name));
  }

  /** upsert, the object's id known. */
  private put(obj: FluxObject, id: number): boolean {
    this.lastUpserted = id;
    const existed = this.objectAt[id] !== undefined;
    if (!existed) {
      this.count++;
      this.index.hold(id);
      this.sharedNamePairs += this.namesakesOf(obj);
    }
    this.objectAt[id] = obj;
    // The entries' ids are written where the new run would go, at the end of `edges`; when the run
    // turns out unchanged, the room is given back.
    // Intern the new targets before unlinking the old ones so no id is recycled in between.
    // (Namespaces default as in resolveDependencies; not calling it spares 3 objects an edge.)
    const entries = obj.dependsOn;
    const at = this.reserveEdges(entries.length);
    let traits = healthTraits(obj) | EXISTS;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const namespace = entryNamespace(obj, entry);
      const kind = entryKind(obj, entry);
      if (entry.readyExpr !== undefined && entry.readyExpr !== "") traits |= ENTRY_READY_EXPR;
      // A HelmRelease's or Kustomization's `ready: false` (existence only) is read by the same rules as an entry naming a kind.
      if ((entry.kind !== undefined && entry.kind !== "") || entry.ready === false) traits |= ENTRY_NAMES_KIND;
      const dep = this.intern(kind, namespace, entry.name);
      this.edges[at + i] = dep;
    }
    this.traitsAt[id] = traits;
    const edges = this.edges;
    let count = entries.length;
    if (hasRepeat(edges, at, count)) {
      this.duplicateEntries.set(id, Array.from(edges.subarray(at, at + count)));
      count = dropRepeats(edges, at, count);
      this.edgesTop = at + count;
    } else if (this.duplicateEntries.size > 0) {
      this.duplicateEntries.delete(id);
    }
    if (this.bulk !== undefined) this.noteBulk(id);
    const oldAt = this.forwardRun[2 * id]!;
    const oldEnd = this.forwardRun[2 * id + 1]!;
    if (existed && sameRuns(edges, oldAt, oldEnd, at, at + count)) {
      this.edgesTop = at;
      return false;
    }
    this.forwardKeysAt[id] = undefined;
    this.forwardRun[2 * id] = at;
    this.forwardRun[2 * id + 1] = at + count;
    this.edgesGarbage += oldEnd - oldAt;
    if (this.bulk !== undefined) return true;
    for (let k = at; k < at + count; k++) this.addDependent(edges[k]!, id);
    // The old run lies before the new one (runs are only ever added at the end; compaction comes after).
    for (let k = oldAt; k < oldEnd; k++) {
      const dep = edges[k]!;
      if (!runIncludes(edges, at, at + count, dep)) this.removeDependent(dep, id);
    }
    this.compactEdgesIfWorth();
    return true;
  }

  /** The offset of `length` free entries at the end of `edges`, grown if need be. */
  private reserveEdges(length: number): number {
    const at = this.edgesTop;
    if (at + length > this.edges.length) {
      const bigger = new Int32Array(Math.max(2 * this.edges.length, at + length));
      bigger.set(this.edges.subarray(0, at));
      this.edges = bigger;
    }
    this.edgesTop = at + length;
    return at;
  }

  /**
   * Packs every id's run again once the space left behind outweighs the live runs and the ids: each
   * compaction then follows at least as many edge changes as it costs.
   */
  private compactEdgesIfWorth(): void {
    const live = this.edgesTop - this.edgesGarbage;
    if (this.edgesGarbage <= Math.max(live, this.index.capacity) + 64) return;
    const packed = new Int32Array(Math.max(1024, 2 * live));
    let top = 0;
    for (let id = 0; id < this.index.capacity; id++) {
      const at = this.forwardRun[2 * id]!;
      const count = this.forwardRun[2 * id + 1]! - at;
      packed.set(this.edges.subarray(at, at + count), top);
      this.forwardRun[2 * id] = top;
      this.forwardRun[2 * id + 1] = top + count;
      top += count;
    }
    this.edges = packed;
    this.edgesTop = top;
    this.edgesGarbage = 0;
  }

  /**
   * Upserts every object and returns their ids, in order. The reverse edges are not kept up to date
   * object by object but rebuilt at the end, for the whole graph, from the forward ones: two passes
   * over typed arrays instead of a small array per dependency grown one dependent at a time (a bulk
   * load of 100k objects spent a sixth of its time there).
   */
  upsertAll(objects: Iterable<FluxObject>): number[] {
    const ids: number[] = [];
    const bulk = { upserted: new Uint8Array(this.index.capacity + 1024) };
    this.bulk = bulk;
    try {
      // Every listed object's own id first: a load's objects then get ids in list order (those named by
      // no one yet), and the per-id arrays are written in that order rather than all over.
      const list = Array.isArray(objects) ? (objects as readonly FluxObject[]) : [...objects];
      this.index.reserve(list.length);
      for (const obj of list) ids.push(this.intern(obj.kind, obj.namespace, obj.name));
      for (let i = 0; i < list.length; i++) this.put(list[i]!, ids[i]!);
    } finally {
      this.bulk = undefined;
      this.rebuildReverse(bulk);
      this.compactEdgesIfWorth();
      // A load is followed by events that change few runs: room for a quarter more, not for as many again.
      if (this.edges.length > 1.5 * this.edgesTop + 1024) this.edges = this.edges.slice(0, Math.ceil(1.25 * this.edgesTop) + 1024);
      this.index.trim();
    }
    return ids;
  }

  /** upsertAll: the id was upserted. */
  private noteBulk(id: number): void {
    const bulk = this.bulk!;
    if (bulk.upserted.length <= id) bulk.upserted = grownBytes(bulk.upserted, id + 1);
    bulk.upserted[id] = 1;
  }

  /** upsert, returning the object's id rather than whether its edges changed (a bulk load needs the id). */
  upsertForId(obj: FluxObject): number {
    this.upsert(obj);
    return this.lastUpserted;
  }

  /** Removes every object (the instance stays the same for whoever holds it). */
  clear(): void {
    this.index.clear();
    this.count = 0;
    this.sharedNamePairs = 0;
    this.bulkStart = new Int32Array(1);
    this.bulkDependents = new Int32Array(0);
    this.traitsAt = new Uint8Array(64);
    this.forwardRun = new Int32Array(128);
    this.edges = new Int32Array(1024);
    this.edgesTop = 0;
    this.edgesGarbage = 0;
    this.duplicateEntries.clear();
    for (const array of [this.objectAt, this.kindAt, this.forwardKeysAt, this.reverseAt]) array.length = 0;
  }

  /** Removes the object; its dependents keep their (now dangling) edges. */
  remove(key: NodeKey): boolean {
    const id = this.idOf(key);
    if (id === undefined || this.objectAt[id] === undefined) return false;
    const oldIds = [...this.dependencyIdsOf(id)];
    this.count--;
    this.sharedNamePairs -= this.namesakesOf(this.objectAt[id]);
    this.objectAt[id] = undefined;
    this.index.drop(id);
    this.traitsAt[id] = 0;
    this.forwardKeysAt[id] = NO_KEYS;
    this.edgesGarbage += this.forwardRun[2 * id + 1]! - this.forwardRun[2 * id]!;
    this.forwardRun[2 * id + 1] = this.forwardRun[2 * id]!;
    this.duplicateEntries.delete(id);
    for (const dep of oldIds) if (dep !== id) this.removeDependent(dep, id);
    if (oldIds.includes(id)) this.removeDependent(id, id);
    else this.release(id);
    this.compactEdgesIfWorth();
    return true;
  }

  /**
   * Whether two objects of different kinds may share a `ns/name` (a Kustomization and a HelmRelease both
   * called system/cache): when not, no message needs kinds to tell members apart (messages.ts,
   * sharedNameIn), and a 5,000-object cycle's message is built without asking that of each member.
   */
  mayShareNames(): boolean {
    return this.sharedNamePairs > 0;
  }

  /** How many objects of the graph's other kinds have this object's `ns/name` (two lookups, no key built). */
  private namesakesOf(obj: FluxObject): number {
    let namesakes = 0;
    for (const kind of GRAPH_KINDS) {
      if (kind === obj.kind) continue;
      const other = this.index.find(kind, obj.namespace, obj.name);
      if (other >= 0 && this.objectAt[other] !== undefined) namesakes++;
    }
    return namesakes;
  }

  // --- id-level access for the graph algorithms (cycles, gates); ids are recycled, see above ---

  /** One more than the largest id in use: arrays indexed by id need this length. */
  get idCapacity(): number {
    return this.index.capacity;
  }

  /** The id of an object's node (whether or not that object is the one held), without building its key. */
  idOfObject(obj: { kind: string; namespace: string; name: string }): number | undefined {
    const id = this.index.find(obj.kind, obj.namespace, obj.name);
    return id < 0 ? undefined : id;
  }

  idOf(key: NodeKey): number | undefined {
    const id = this.index.findKey(key);
    return id < 0 ? undefined : id;
  }

  keyOf(id: number): NodeKey {
    return this.index.keyOf(id);
  }

  /** The node's kind, as in its key. */
  kindOf(id: number): string {
    return this.kindAt[id]!;
  }

  objectOf(id: number): FluxObject | undefined {
    return this.objectAt[id];
  }

  /** The id of each dependsOn entry's key, parallel to `objectOf(id).dependsOn`. */
  entryIdsOf(id: number): ArrayLike<number> {
    return this.duplicateEntries.get(id) ?? this.dependencyIdsOf(id);
  }

  /** EXISTS, ENTRY_READY_EXPR, ENTRY_NAMES_KIND and the health traits, as the object has them (0 for a node without object). */
  traitsOf(id: number): number {
    return this.traitsAt[id]!;
  }

  /** Whether the node is an object (objectOf(id) !== undefined, read from the traits). */
  exists(id: number): boolean {
    return (this.traitsAt[id]! & EXISTS) !== 0;
  }

  /**
   * Ids of the dependency keys, without duplicates, in dependsOn order (existing or not); a view of
   * the graph's edges, valid until the next update. The hot paths read the edges in place instead:
   * `forwardEdges[forwardStart(id) .. forwardEnd(id))`.
   */
  dependencyIdsOf(id: number): Int32Array {
    return this.edges.subarray(this.forwardRun[2 * id]!, this.forwardRun[2 * id + 1]!);
  }

  /** Every id's forward edges (see dependencyIdsOf); the array is replaced by updates, so read it after them. */
  get forwardEdges(): Int32Array {
    return this.edges;
  }

  forwardStart(id: number): number {
    return this.forwardRun[2 * id]!;
  }

  forwardEnd(id: number): number {
    return this.forwardRun[2 * id + 1]!;
  }

  /** Whether the object names itself in its dependsOn. */
  dependsOnItself(id: number): boolean {
    const end = this.forwardEnd(id);
    for (let at = this.forwardRun[2 * id]!; at < end; at++) if (this.edges[at] === id) return true;
    return false;
  }

  /** Ids of the objects that name this id in their dependsOn; valid until the next update. */
  dependentIdsOf(id: number): Iterable<number> {
    const bag = this.reverseAt[id];
    if (bag === BULK) return this.bulkDependents.subarray(this.bulkStart[id]!, this.bulkStart[id + 1]!);
    return bag ?? NO_IDS;
  }

  dependentCountOf(id: number): number {
    const bag = this.reverseAt[id];
    if (bag === BULK) return this.bulkStart[id + 1]! - this.bulkStart[id]!;
    return bag === undefined ? 0 : Array.isArray(bag) ? bag.length : bag.size;
  }

  /** The id of `kind/namespace/name`, new if need be. */
  private intern(kind: string, namespace: string, name: string): number {
    const found = this.index.findOrAdd(kind, namespace, name);
    if (found >= 0) return found;
    const id = -found - 1;
    if (id >= this.traitsAt.length) this.growIdArrays(id + 1);
    this.objectAt[id] = undefined;
    this.kindAt[id] = kind;
    this.traitsAt[id] = 0;
    this.forwardRun[2 * id] = 0;
    this.forwardRun[2 * id + 1] = 0;
    this.forwardKeysAt[id] = NO_KEYS;
    this.reverseAt[id] = undefined;
    return id;
  }

  private growIdArrays(length: number): void {
    const size = Math.max(length, 2 * this.traitsAt.length);
    const traits = new Uint8Array(size);
    traits.set(this.traitsAt);
    this.traitsAt = traits;
    const runs = new Int32Array(2 * size);
    runs.set(this.forwardRun);
    this.forwardRun = runs;
  }

  /**
   * Every reverse edge again, by a counting sort by dependency: the forward edges of the objects
   * upserted here (their runs, read in id order), and the reverse edges as they were before of the
   * others (left alone during the bulk upsert, so still exact).
   * Frees the ids nothing names any more.
   */
  private rebuildReverse(bulk: { upserted: Uint8Array }): void {
    const { upserted } = bulk;
    if (!upserted.includes(1)) return;
    const capacity = this.index.capacity;
    const edges = this.edges;
    const oldStart = this.bulkStart;
    const oldDependents = this.bulkDependents;
    const upsertedHow = (id: number): number => (id < upserted.length ? upserted[id]! : 0);
    const start = new Int32Array(capacity + 1);
    const next = new Int32Array(capacity);
    let dependents = new Int32Array(0);
    // Pass 0 counts the dependents of each id, pass 1 places them.
    const add = (pass: number, dependency: number, dependent: number): void => {
      if (pass === 0) start[dependency + 1]!++;
      else dependents[next[dependency]!++] = dependent;
    };
    for (let pass = 0; pass < 2; pass++) {
      for (let id = 0; id < capacity; id++) {
        const bag = this.reverseAt[id];
        if (bag === BULK) {
          for (let at = oldStart[id]!; at < oldStart[id + 1]!; at++) if (upsertedHow(oldDependents[at]!) === 0) add(pass, id, oldDependents[at]!);
        } else if (bag !== undefined) {
          for (const dependent of bag) if (upsertedHow(dependent) === 0) add(pass, id, dependent);
        }
        if (upsertedHow(id) !== 0) for (let at = this.forwardStart(id), end = this.forwardEnd(id); at < end; at++) add(pass, edges[at]!, id);
      }
      if (pass === 0) {
        for (let id = 0; id < capacity; id++) start[id + 1]! += start[id]!;
        next.set(start.subarray(0, capacity));
        dependents = new Int32Array(start[capacity]!);
      }
    }
    this.bulkStart = start;
    this.bulkDependents = dependents;
    for (let id = 0; id < capacity; id++) {
      this.reverseAt[id] = start[id + 1]! > start[id]! ? BULK : undefined;
      // A key an old dependsOn named, that no object is and nothing names any more (a free id has key "").
      if (this.reverseAt[id] === undefined && this.objectAt[id] === undefined && this.index.keyOf(id) !== "") this.release(id);
    }
  }

  /** The id's dependents as a bag of its own (copied out of the bulk arrays if need be). */
  private bagOf(target: number): IdBag | undefined {
    const bag = this.reverseAt[target];
    if (bag !== BULK) return bag;
    const own = [...this.bulkDependents.subarray(this.bulkStart[target]!, this.bulkStart[target + 1]!)];
    const copy = own.length <= BAG_ARRAY_LIMIT ? own : new Set(own);
    this.reverseAt[target] = copy;
    return copy;
  }

  private addDependent(target: number, dependent: number): void {
    const bag = this.bagOf(target);
    if (bag === undefined) {
      this.reverseAt[target] = [dependent];
    } else if (Array.isArray(bag)) {
      if (bag.includes(dependent)) return;
      if (bag.length < BAG_ARRAY_LIMIT) bag.push(dependent);
      else this.reverseAt[target] = new Set([...bag, dependent]);
    } else {
      bag.add(dependent);
    }
  }

  private removeDependent(target: number, dependent: number): void {
    const bag = this.bagOf(target);
    if (bag === undefined) return;
    if (Array.isArray(bag)) {
      const at = bag.indexOf(dependent);
      if (at >= 0) {
        bag[at] = bag[bag.length - 1]!;
        bag.pop();
      }
      if (bag.length === 0) this.reverseAt[target] = undefined;
    } else {
      bag.delete(dependent);
      if (bag.size === 0) this.reverseAt[target] = undefined;
    }
    this.release(target);
  }

  /** Recycles the id of a key that neither exists nor is named by any dependsOn. */
  private release(id: number): void {
    if (this.objectAt[id] !== undefined || this.reverseAt[id] !== undefined) return;
    this.index.remove(id);
  }
}

/** Whether edges[from .. from + count) holds an id twice. */
function hasRepeat(edges: Int32Array, from: number, count: number): boolean {
  if (count > 16) return new Set(edges.subarray(from, from + count)).size < count;
  for (let i = from + 1; i < from + count; i++) for (let k = from; k < i; k++) if (edges[k] === edges[i]) return true;
  return false;
}

/** Keeps the first of each id in edges[from .. from + count), in order; returns how many are left. */
function dropRepeats(edges: Int32Array, from: number, count: number): number {
  let kept = 0;
  for (let i = from; i < from + count; i++) {
    if (!runIncludes(edges, from, from + kept, edges[i]!)) edges[from + kept++] = edges[i]!;
  }
  return kept;
}

function runIncludes(edges: Int32Array, from: number, to: number, id: number): boolean {
  for (let k = from; k < to; k++) if (edges[k] === id) return true;
  return false;
}

function sameRuns(edges: Int32Array, aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let k = 0; k < aTo - aFrom; k++) if (edges[aFrom + k] !== edges[bFrom + k]) return false;
  return true;
}

function grownBytes(array: Uint8Array, length: number): Uint8Array {
  const bigger = new Uint8Array(Math.max(length, 2 * array.length));
  bigger.set(array);
  return bigger;
}
