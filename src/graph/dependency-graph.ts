// The dependency graph of one kind: objects by key, forward edges (resolved dependsOn) and reverse
// edges (dependents). Reverse edges are kept also for keys that do not exist, so "who waits for the
// missing default/redis" is one lookup. Every update costs O(degree of the object).
//
// Internally every key (of an object, or named by some dependsOn) gets a small integer id so the
// graph algorithms (SCCs, gate states) run over arrays instead of string maps: with 100k objects
// that is the difference between meeting the rebuild target and not. An id is recycled once its key
// neither exists nor is named by any dependsOn.

import { resolveDependencies, splitKey } from "./refs.js";
import type { FluxKind, FluxObject, ObjectKey, ResolvedDependency } from "./types.js";

/** Read-only view the checks use; the admission webhook overlays pending objects on one. */
export interface GraphView {
  readonly kind: FluxKind;
  has(key: ObjectKey): boolean;
  get(key: ObjectKey): FluxObject | undefined;
  /** Keys of the object's dependencies, resolved, without duplicates, in dependsOn order. */
  dependencyKeys(key: ObjectKey): readonly ObjectKey[];
  keys(): Iterable<ObjectKey>;
  /** Existing keys worth a "did you mean" for `missing`: those in its namespace and those with its
   *  name. Lets the deny path look at a handful of keys instead of the whole cluster. */
  suggestionCandidates?(missing: ObjectKey): Iterable<ObjectKey>;
}

const NO_KEYS: readonly ObjectKey[] = Object.freeze([]);
const NO_IDS: readonly number[] = Object.freeze([]);

/** Dependents are a plain array while few (cheap to create), a Set once many (O(1) removal). */
type IdBag = number[] | Set<number>;
const BAG_ARRAY_LIMIT = 32;

/**
 * Objects are kept by reference and must not be changed after upsert: to change one, upsert a new
 * object (as a watch event delivers one).
 */
export class DependencyGraph implements GraphView {
  readonly kind: FluxKind;
  /** Ids by namespace, then name: resolving a dependsOn entry this way hashes the strings the
   *  object already holds instead of a freshly built "ns/name" (half the cost of a rebuild). */
  private readonly idsByNamespace = new Map<string, Map<string, number>>();
  /** The last namespace looked up: an object's dependencies are mostly in its own namespace. */
  private lastNamespace = "";
  private lastNames: Map<string, number> | undefined;
  private count = 0;
  private readonly freeIds: number[] = [];
  private readonly keyAt: ObjectKey[] = [];
  private readonly objectAt: (FluxObject | undefined)[] = [];
  private readonly entryIdsAt: (readonly number[])[] = [];
  /** Computed on first use: the hot paths read ids, not keys. */
  private readonly forwardKeysAt: (readonly ObjectKey[] | undefined)[] = [];
  private readonly forwardIdsAt: (readonly number[])[] = [];
  private readonly reverseAt: (IdBag | undefined)[] = [];

  constructor(kind: FluxKind) {
    this.kind = kind;
  }

  get size(): number {
    return this.count;
  }

  has(key: ObjectKey): boolean {
    const id = this.idOf(key);
    return id !== undefined && this.objectAt[id] !== undefined;
  }

  get(key: ObjectKey): FluxObject | undefined {
    const id = this.idOf(key);
    return id === undefined ? undefined : this.objectAt[id];
  }

  /** Keys of the existing objects. */
  *keys(): IterableIterator<ObjectKey> {
    for (let id = 0; id < this.keyAt.length; id++) if (this.objectAt[id] !== undefined) yield this.keyAt[id]!;
  }

  *values(): IterableIterator<FluxObject> {
    for (const obj of this.objectAt) if (obj !== undefined) yield obj;
  }

  *suggestionCandidates(missing: ObjectKey): IterableIterator<ObjectKey> {
    const { namespace, name } = splitKey(missing);
    for (const id of this.idsByNamespace.get(namespace)?.values() ?? []) {
      if (this.objectAt[id] !== undefined) yield this.keyAt[id]!;
    }
    for (const [other, names] of this.idsByNamespace) {
      if (other === namespace) continue;
      const id = names.get(name);
      if (id !== undefined && this.objectAt[id] !== undefined) yield this.keyAt[id]!;
    }
  }

  dependencyKeys(key: ObjectKey): readonly ObjectKey[] {
    const id = this.idOf(key);
    if (id === undefined) return NO_KEYS;
    let keys = this.forwardKeysAt[id];
    if (keys === undefined) {
      keys = this.forwardIdsAt[id]!.map((dep) => this.keyAt[dep]!);
      this.forwardKeysAt[id] = keys;
    }
    return keys;
  }

  /** The object's dependsOn entries, resolved, in order (duplicates kept: each entry counts). */
  dependenciesOf(key: ObjectKey): ResolvedDependency[] {
    const obj = this.get(key);
    return obj === undefined ? [] : resolveDependencies(obj);
  }

  /** Keys of the objects whose dependsOn names `key`, whether or not `key` exists. */
  dependentsOf(key: ObjectKey): ObjectKey[] {
    const id = this.idOf(key);
    if (id === undefined) return [];
    const keys: ObjectKey[] = [];
    for (const dependent of this.dependentIdsOf(id)) keys.push(this.keyAt[dependent]!);
    return keys;
  }

  /** Inserts or replaces the object. Returns true when its dependency keys changed (or it is new). */
  upsert(obj: FluxObject): boolean {
    const id = this.intern(obj.namespace, obj.name);
    const existed = this.objectAt[id] !== undefined;
    if (!existed) this.count++;
    this.objectAt[id] = obj;
    // Intern the new targets before unlinking the old ones so no id is recycled in between.
    // (Namespaces default as in resolveDependencies; not calling it spares 3 objects an edge.)
    const entries = obj.dependsOn;
    const entryIds = entries.length === 0 ? NO_IDS : new Array<number>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      (entryIds as number[])[i] = this.intern(entry.namespace === undefined || entry.namespace === "" ? obj.namespace : entry.namespace, entry.name);
    }
    const newIds = uniqueIds(entryIds);
    this.entryIdsAt[id] = entryIds;
    const oldIds = this.forwardIdsAt[id] ?? NO_IDS;
    if (existed && sameIds(oldIds, newIds)) return false;
    for (const dep of newIds) this.addDependent(dep, id);
    this.forwardKeysAt[id] = undefined;
    this.forwardIdsAt[id] = newIds;
    for (const dep of oldIds) if (!newIds.includes(dep)) this.removeDependent(dep, id);
    return true;
  }

  /** Removes every object (the instance stays the same for whoever holds it). */
  clear(): void {
    this.idsByNamespace.clear();
    this.lastNamespace = "";
    this.lastNames = undefined;
    this.count = 0;
    this.freeIds.length = 0;
    for (const array of [this.keyAt, this.objectAt, this.entryIdsAt, this.forwardKeysAt, this.forwardIdsAt, this.reverseAt]) {
      array.length = 0;
    }
  }

  /** Removes the object; its dependents keep their (now dangling) edges. */
  remove(key: ObjectKey): boolean {
    const id = this.idOf(key);
    if (id === undefined || this.objectAt[id] === undefined) return false;
    const oldIds = this.forwardIdsAt[id] ?? NO_IDS;
    this.count--;
    this.objectAt[id] = undefined;
    this.entryIdsAt[id] = NO_IDS;
    this.forwardKeysAt[id] = NO_KEYS;
    this.forwardIdsAt[id] = NO_IDS;
    for (const dep of oldIds) if (dep !== id) this.removeDependent(dep, id);
    if (oldIds.includes(id)) this.removeDependent(id, id);
    else this.release(id);
    return true;
  }

  // --- id-level access for the graph algorithms (cycles, gates); ids are recycled, see above ---

  /** One more than the largest id in use: arrays indexed by id need this length. */
  get idCapacity(): number {
    return this.keyAt.length;
  }

  idOf(key: ObjectKey): number | undefined {
    const slash = key.indexOf("/");
    if (slash < 0) return undefined;
    return this.idsByNamespace.get(key.slice(0, slash))?.get(key.slice(slash + 1));
  }

  keyOf(id: number): ObjectKey {
    return this.keyAt[id]!;
  }

  objectOf(id: number): FluxObject | undefined {
    return this.objectAt[id];
  }

  /** The id of each dependsOn entry's key, parallel to `objectOf(id).dependsOn`. */
  entryIdsOf(id: number): readonly number[] {
    return this.entryIdsAt[id] ?? NO_IDS;
  }

  /** Ids of the dependency keys, without duplicates, in dependsOn order (existing or not). */
  dependencyIdsOf(id: number): readonly number[] {
    return this.forwardIdsAt[id] ?? NO_IDS;
  }

  /** Ids of the objects that name this id in their dependsOn; valid until the next update. */
  dependentIdsOf(id: number): Iterable<number> {
    return this.reverseAt[id] ?? NO_IDS;
  }

  dependentCountOf(id: number): number {
    const bag = this.reverseAt[id];
    return bag === undefined ? 0 : Array.isArray(bag) ? bag.length : bag.size;
  }

  private intern(namespace: string, name: string): number {
    let names = namespace === this.lastNamespace ? this.lastNames : undefined;
    if (names === undefined) {
      names = this.idsByNamespace.get(namespace);
      if (names === undefined) {
        names = new Map();
        this.idsByNamespace.set(namespace, names);
      }
      this.lastNamespace = namespace;
      this.lastNames = names;
    }
    let id = names.get(name);
    if (id !== undefined) return id;
    const key = `${namespace}/${name}`;
    id = this.freeIds.pop() ?? this.keyAt.length;
    names.set(name, id);
    this.keyAt[id] = key;
    this.objectAt[id] = undefined;
    this.entryIdsAt[id] = NO_IDS;
    this.forwardKeysAt[id] = NO_KEYS;
    this.forwardIdsAt[id] = NO_IDS;
    this.reverseAt[id] = undefined;
    return id;
  }

  private addDependent(target: number, dependent: number): void {
    const bag = this.reverseAt[target];
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
    const bag = this.reverseAt[target];
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
    const key = this.keyAt[id]!;
    const { namespace, name } = splitKey(key);
    const names = this.idsByNamespace.get(namespace);
    names?.delete(name);
    if (names?.size === 0) {
      this.idsByNamespace.delete(namespace);
      if (this.lastNames === names) this.lastNames = undefined;
    }
    this.keyAt[id] = "";
    this.freeIds.push(id);
  }
}

/** The ids without repeats, in order; the same array when there are none (the usual case). */
function uniqueIds(ids: readonly number[]): readonly number[] {
  if (ids.length < 2) return ids;
  if (ids.length <= 16) {
    for (let i = 1; i < ids.length; i++) {
      if (ids.lastIndexOf(ids[i]!, i - 1) >= 0) return ids.filter((id, at) => ids.indexOf(id) === at);
    }
    return ids;
  }
  const unique = [...new Set(ids)];
  return unique.length === ids.length ? ids : unique;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
