// The dependency graph of one kind: objects by key, forward edges (resolved dependsOn) and reverse
// edges (dependents). Reverse edges are kept also for keys that do not exist, so "who waits for the
// missing default/redis" is one lookup. Every update costs O(degree of the object).
//
// Internally every key (of an object, or named by some dependsOn) gets a small integer id so the
// graph algorithms (SCCs, gate states) run over arrays instead of string maps: with 100k objects
// that is the difference between meeting the rebuild target and not. An id is recycled once its key
// neither exists nor is named by any dependsOn.

import { resolveDependencies } from "./refs.js";
import type { FluxKind, FluxObject, ObjectKey, ResolvedDependency } from "./types.js";

/** Read-only view the checks use; the admission webhook overlays pending objects on one. */
export interface GraphView {
  readonly kind: FluxKind;
  has(key: ObjectKey): boolean;
  get(key: ObjectKey): FluxObject | undefined;
  /** Keys of the object's dependencies, resolved, without duplicates, in dependsOn order. */
  dependencyKeys(key: ObjectKey): readonly ObjectKey[];
  keys(): Iterable<ObjectKey>;
}

const NO_KEYS: readonly ObjectKey[] = Object.freeze([]);
const NO_IDS: readonly number[] = Object.freeze([]);
const NO_DEPENDENCIES: readonly ResolvedDependency[] = Object.freeze([]);

/** Dependents are a plain array while few (cheap to create), a Set once many (O(1) removal). */
type IdBag = number[] | Set<number>;
const BAG_ARRAY_LIMIT = 32;

export class DependencyGraph implements GraphView {
  readonly kind: FluxKind;
  private readonly objects = new Map<ObjectKey, FluxObject>();
  private readonly ids = new Map<ObjectKey, number>();
  private readonly freeIds: number[] = [];
  private readonly keyAt: ObjectKey[] = [];
  private readonly objectAt: (FluxObject | undefined)[] = [];
  private readonly entriesAt: (readonly ResolvedDependency[])[] = [];
  private readonly entryIdsAt: (readonly number[])[] = [];
  private readonly forwardKeysAt: (readonly ObjectKey[])[] = [];
  private readonly forwardIdsAt: (readonly number[])[] = [];
  private readonly reverseAt: (IdBag | undefined)[] = [];

  constructor(kind: FluxKind) {
    this.kind = kind;
  }

  get size(): number {
    return this.objects.size;
  }

  has(key: ObjectKey): boolean {
    return this.objects.has(key);
  }

  get(key: ObjectKey): FluxObject | undefined {
    return this.objects.get(key);
  }

  keys(): IterableIterator<ObjectKey> {
    return this.objects.keys();
  }

  values(): IterableIterator<FluxObject> {
    return this.objects.values();
  }

  dependencyKeys(key: ObjectKey): readonly ObjectKey[] {
    const id = this.ids.get(key);
    return id === undefined ? NO_KEYS : (this.forwardKeysAt[id] ?? NO_KEYS);
  }

  /** The object's dependsOn entries, resolved, in order (duplicates kept: each entry counts). */
  dependenciesOf(key: ObjectKey): ResolvedDependency[] {
    const id = this.ids.get(key);
    return id === undefined ? [] : [...(this.entriesAt[id] ?? NO_DEPENDENCIES)];
  }

  /** Keys of the objects whose dependsOn names `key`, whether or not `key` exists. */
  dependentsOf(key: ObjectKey): ObjectKey[] {
    const id = this.ids.get(key);
    if (id === undefined) return [];
    const keys: ObjectKey[] = [];
    for (const dependent of this.dependentIdsOf(id)) keys.push(this.keyAt[dependent]!);
    return keys;
  }

  /** Inserts or replaces the object. Returns true when its dependency keys changed (or it is new). */
  upsert(obj: FluxObject): boolean {
    const key = `${obj.namespace}/${obj.name}`;
    const id = this.intern(key);
    const entries = resolveDependencies(obj);
    const existed = this.objectAt[id] !== undefined;
    this.objects.set(key, obj);
    this.objectAt[id] = obj;
    this.entriesAt[id] = entries;
    const oldKeys = this.forwardKeysAt[id] ?? NO_KEYS;
    const newKeys = uniqueKeys(entries);
    if (existed && sameKeys(oldKeys, newKeys)) {
      this.entryIdsAt[id] = entries.map((entry) => this.ids.get(entry.key)!);
      return false;
    }
    // Intern the new targets before unlinking the old ones so no id is recycled in between.
    const newIds = newKeys.map((k) => this.intern(k));
    const oldIds = this.forwardIdsAt[id] ?? NO_IDS;
    for (const dep of newIds) this.addDependent(dep, id);
    this.forwardKeysAt[id] = newKeys;
    this.forwardIdsAt[id] = newIds;
    this.entryIdsAt[id] = entries.length === newIds.length ? newIds : entries.map((entry) => this.ids.get(entry.key)!);
    for (const dep of oldIds) if (!newIds.includes(dep)) this.removeDependent(dep, id);
    return true;
  }

  /** Removes the object; its dependents keep their (now dangling) edges. */
  remove(key: ObjectKey): boolean {
    const id = this.ids.get(key);
    if (id === undefined || this.objectAt[id] === undefined) return false;
    const oldIds = this.forwardIdsAt[id] ?? NO_IDS;
    this.objects.delete(key);
    this.objectAt[id] = undefined;
    this.entriesAt[id] = NO_DEPENDENCIES;
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
    return this.ids.get(key);
  }

  keyOf(id: number): ObjectKey {
    return this.keyAt[id]!;
  }

  objectOf(id: number): FluxObject | undefined {
    return this.objectAt[id];
  }

  /** dependsOn entries of the object with this id, resolved, in order. */
  entriesOf(id: number): readonly ResolvedDependency[] {
    return this.entriesAt[id] ?? NO_DEPENDENCIES;
  }

  /** The id of each entry's key, parallel to entriesOf. */
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

  private intern(key: ObjectKey): number {
    let id = this.ids.get(key);
    if (id !== undefined) return id;
    id = this.freeIds.pop() ?? this.keyAt.length;
    this.ids.set(key, id);
    this.keyAt[id] = key;
    this.objectAt[id] = undefined;
    this.entriesAt[id] = NO_DEPENDENCIES;
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
    this.ids.delete(this.keyAt[id]!);
    this.keyAt[id] = "";
    this.freeIds.push(id);
  }
}

function uniqueKeys(entries: readonly ResolvedDependency[]): readonly ObjectKey[] {
  if (entries.length === 0) return NO_KEYS;
  if (entries.length === 1) return [entries[0]!.key];
  const keys = entries.map((entry) => entry.key);
  const unique = new Set(keys);
  return unique.size === keys.length ? keys : [...unique];
}

export function sameKeys(a: readonly ObjectKey[], b: readonly ObjectKey[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
