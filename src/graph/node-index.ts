// The ids of node keys (`Kind/ns/name`): every key an object or a dependsOn entry names gets a small
// integer id, recycled once the graph no longer needs it (dependency-graph.ts). Looking a key up is
// the graph's most frequent operation (once per object and once per dependsOn entry on every load), so
// it is one open-addressing hash table in typed arrays (docs/architecture.md, "The graph in memory")
// rather than a Map per kind and namespace: a probe reads one typed array, the whole key's hash beside
// the id, and no Map per namespace is kept (1,000 of them for 1,000 namespaces).
//
// The hash is computed over the key's characters (FNV-1a, then a final mix), the same whether the key
// is given whole or as its three parts, so neither form builds the other. A hit is confirmed against
// the key's characters: the answer is exact, never a guess from the hash alone. Those characters are
// read from one byte array that holds every key (one byte a character; a key with a character past
// U+00FF is confirmed against its string instead), whose offset sits in the slot beside the hash: a
// probe and its confirmation read two places, where reading the key string reads three (the slot,
// the array of strings, the string).

import { DeletionIndex } from "./deletion-index.js";
import type { IndexedName } from "./deletion-index.js";
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const SLASH = 47;
const EMPTY = 0;
/** Ints a slot holds: id + 1, the key's hash, the offset of its bytes and their length (NOT_BYTES: compare the string). */
const SLOT = 4;
const NOT_BYTES = -1;
const NO_IDS: ReadonlySet<number> = new Set();
/** Lookups without a change in between after which the deletion neighbourhood pays for itself. */
const LOOKUPS_BEFORE_INDEX = 64;

/** Whether `part` is in `key` at `at` (a loop the compiler inlines, cheaper than three startsWith calls). */
function matchesAt(key: string, part: string, at: number): boolean {
  for (let i = 0; i < part.length; i++) if (key.charCodeAt(at + i) !== part.charCodeAt(i)) return false;
  return true;
}

function hashInto(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** The hash state after `kind/`. */
function kindHash(kind: string): number {
  return Math.imul(hashInto(FNV_OFFSET, kind) ^ SLASH, FNV_PRIME);
}

/** The hash state after `kind/namespace/` (from kindHash): what every key of that kind and namespace starts from. */
function prefixHash(kindState: number, namespace: string): number {
  return Math.imul(hashInto(kindState, namespace) ^ SLASH, FNV_PRIME);
}

/** murmur3's finaliser: spreads the state over the low bits the table masks. */
function finish(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The key's characters, one byte each, into `bytes` at `at`; false (nothing meaningful written) when one does not fit a byte. */
function writeBytes(bytes: Uint8Array, at: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0xff) return false;
    bytes[at + i] = code;
  }
  return true;
}

/** Whether `part` is in `bytes` at `at`. */
function bytesMatch(bytes: Uint8Array, part: string, at: number): boolean {
  for (let i = 0; i < part.length; i++) if (bytes[at + i] !== part.charCodeAt(i)) return false;
  return true;
}

function grown(array: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  if (array.length >= length) return array;
  const bigger = new Int32Array(Math.max(length, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** The group of a `Kind/ns/` prefix hash and a name length. */
function prefixGroup(prefix: number, nameLength: number): number {
  return Math.imul(prefix ^ nameLength, FNV_PRIME);
}

/** The length of a key's name: what follows its second "/" (a kind and a namespace hold none). */
function nameLengthOf(key: string): number {
  return key.length - key.indexOf("/", key.indexOf("/") + 1) - 1;
}

/** Takes `id` out of its group, and the group out of the map once empty (namespaces come and go). */
function ungroup(groups: Map<number, Set<number>>, hash: number, id: number): void {
  const group = groups.get(hash);
  if (group === undefined) return;
  group.delete(id);
  if (group.size === 0) groups.delete(hash);
}

export class NodeIndex {
  /**
   * The table: SLOT ints a slot, (id + 1, the key's hash, the offset of the key's bytes, their length)
   * with id + 1 = EMPTY at a free slot; linear probing, at most half full. A probe reads one place, and
   * its confirmation one more.
   */
  private slots = new Int32Array(SLOT * 64);
  private mask = 63;
  private used = 0;
  /** Per id: the key, the hash of the key, the hash state after its `Kind/ns/` and the hash of its name. */
  private readonly keyAt: string[] = [];
  private hashAt = new Int32Array(32);
  private prefixAt = new Int32Array(32);
  private nameHashAt = new Int32Array(32);
  /** Per id: where its key's bytes are in `bytes`, and how many (NOT_BYTES for a key that has no bytes). */
  private bytesAt = new Int32Array(32);
  private bytesLengthAt = new Int32Array(32);
  /** Every key's characters, a byte each, in the order the ids were handed out. */
  private bytes = new Uint8Array(1024);
  private bytesTop = 0;
  /** Bytes of freed keys (reclaimed by compactBytes). */
  private bytesGarbage = 0;
  private readonly freeIds: number[] = [];
  /** The prefix hash last computed: an object's entries mostly share its kind and namespace. */
  private lastKind = "";
  private lastKindState = kindHash("");
  private lastNamespace = "";
  private lastPrefix = prefixHash(kindHash(""), "");
  /**
   * The held ids of each `Kind/ns/` prefix hash and name length, and of each name hash, for
   * sameNamespaceOrName: made on its first call, then kept up to date by hold, drop and remove. Until
   * the webhook first denies a missing dependency (or `check` first finds one), a load pays nothing for it.
   */
  private groups: { byPrefix: Map<number, Set<number>>; byName: Map<number, Set<number>> } | undefined;
  /**
   * The deletion neighbourhood of the held names (deletion-index.ts), for "did you mean" on many missing
   * names at once (`check`): built once LOOKUPS_BEFORE_INDEX lookups came without a change in between,
   * dropped at the next change. The webhook, which asks once per denial of a changing graph, never pays for it.
   */
  private deletions: DeletionIndex | undefined;
  private lookupsSinceChange = 0;
  /** Per id: 1 while it names an object (hold, drop). */
  private heldAt = new Uint8Array(32);

  /** One more than the largest id ever handed out (recycled ids included). */
  get capacity(): number {
    return this.keyAt.length;
  }

  /** The key of an id in use ("" for a free one). */
  keyOf(id: number): string {
    return this.keyAt[id]!;
  }

  /** The id of `kind/namespace/name`, or -1. */
  find(kind: string, namespace: string, name: string): number {
    return this.probe(kind, namespace, name, finish(hashInto(this.prefixOf(kind, namespace), name)));
  }

  /**
   * The id of `kind/namespace/name`, a new one if need be; a new id is returned as `-(id + 1)`. The
   * key is hashed once for both (a bulk load asks this of every object it lists).
   */
  findOrAdd(kind: string, namespace: string, name: string): number {
    const prefix = this.prefixOf(kind, namespace);
    const hash = finish(hashInto(prefix, name));
    const id = this.probe(kind, namespace, name, hash);
    return id >= 0 ? id : -(this.addHashed(kind, namespace, name, prefix, hash) + 1);
  }

  /** find, the hash known. */
  private probe(kind: string, namespace: string, name: string, hash: number): number {
    const length = kind.length + namespace.length + name.length + 2;
    const slots = this.slots;
    const mask = this.mask;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = slots[SLOT * at]!;
      if (slot === EMPTY) return -1;
      if (slots[SLOT * at + 1] !== hash) continue;
      const bytesLength = slots[SLOT * at + 3]!;
      if (bytesLength === length) {
        const bytes = this.bytes;
        const offset = slots[SLOT * at + 2]!;
        if (bytesMatch(bytes, name, offset + length - name.length) && bytesMatch(bytes, namespace, offset + kind.length + 1) && bytesMatch(bytes, kind, offset)) {
          return slot - 1;
        }
      } else if (bytesLength === NOT_BYTES) {
        const key = this.keyAt[slot - 1]!;
        if (key.length === length && matchesAt(key, name, length - name.length) && matchesAt(key, namespace, kind.length + 1) && matchesAt(key, kind, 0)) {
          return slot - 1;
        }
      }
    }
  }

  /** The id of a whole key, or -1. */
  findKey(key: string): number {
    const hash = finish(hashInto(FNV_OFFSET, key));
    const slots = this.slots;
    const mask = this.mask;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = slots[SLOT * at]!;
      if (slot === EMPTY) return -1;
      if (slots[SLOT * at + 1] !== hash) continue;
      const bytesLength = slots[SLOT * at + 3]!;
      if (bytesLength === key.length ? bytesMatch(this.bytes, key, slots[SLOT * at + 2]!) : bytesLength === NOT_BYTES && this.keyAt[slot - 1] === key) {
        return slot - 1;
      }
    }
  }

  /** A new id for `kind/namespace/name`, which find() has just not found. */
  add(kind: string, namespace: string, name: string): number {
    const prefix = this.prefixOf(kind, namespace);
    return this.addHashed(kind, namespace, name, prefix, finish(hashInto(prefix, name)));
  }

  private addHashed(kind: string, namespace: string, name: string, prefix: number, hash: number): number {
    const id = this.freeIds.pop() ?? this.keyAt.length;
    if (id >= this.hashAt.length) {
      this.hashAt = grown(this.hashAt, id + 1);
      this.prefixAt = grown(this.prefixAt, id + 1);
      this.nameHashAt = grown(this.nameHashAt, id + 1);
      this.bytesAt = grown(this.bytesAt, id + 1);
      this.bytesLengthAt = grown(this.bytesLengthAt, id + 1);
    }
    // Built flat (join), not as a chain of concatenations: every reader would otherwise flatten it.
    const key = [kind, namespace, name].join("/");
    this.keyAt[id] = key;
    this.hashAt[id] = hash;
    this.prefixAt[id] = prefix;
    this.nameHashAt[id] = finish(hashInto(FNV_OFFSET, name));
    this.storeBytes(id, key);
    if (2 * (this.used + 1) > this.mask + 1) this.resize(2 * (this.mask + 1));
    this.place(id);
    this.used++;
    return id;
  }

  /** Gives back most of the key bytes' room beyond what is in use (after a bulk load). */
  trim(): void {
    if (this.bytes.length > 1.5 * this.bytesTop + 1024) this.bytes = this.bytes.slice(0, Math.ceil(1.25 * this.bytesTop) + 1024);
  }

  /** Makes room for `more` keys beyond those in use, so adding them grows the table once at most. */
  reserve(more: number): void {
    let size = this.mask + 1;
    while (2 * (this.used + more) > size) size *= 2;
    if (size > this.mask + 1) this.resize(size);
  }

  /** Frees an id (its key is forgotten; the id is handed out again later). */
  remove(id: number): void {
    this.changed();
    const slots = this.slots;
    const mask = this.mask;
    let at = this.hashAt[id]! & mask;
    while (slots[SLOT * at] !== id + 1) at = (at + 1) & mask;
    // Backward-shift deletion: move later entries of the run up so no probe stops early.
    let hole = at;
    for (let next = (hole + 1) & mask; slots[SLOT * next] !== EMPTY; next = (next + 1) & mask) {
      const home = slots[SLOT * next + 1]! & mask;
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (between) continue;
      slots.copyWithin(SLOT * hole, SLOT * next, SLOT * next + SLOT);
      hole = next;
    }
    slots[SLOT * hole] = EMPTY;
    this.used--;
    this.drop(id);
    this.keyAt[id] = "";
    if (this.bytesLengthAt[id]! > 0) this.bytesGarbage += this.bytesLengthAt[id]!;
    this.bytesLengthAt[id] = 0;
    this.freeIds.push(id);
    if (this.bytesGarbage > Math.max(1024, this.bytesTop - this.bytesGarbage)) this.compactBytes();
  }

  clear(): void {
    this.slots = new Int32Array(SLOT * 64);
    this.mask = 63;
    this.used = 0;
    this.keyAt.length = 0;
    this.freeIds.length = 0;
    this.bytes = new Uint8Array(1024);
    this.bytesTop = 0;
    this.bytesGarbage = 0;
    this.groups = undefined;
    this.heldAt = new Uint8Array(32);
    this.changed();
  }

  /**
   * The id now names an object (not only a dependsOn entry): it is a "did you mean" candidate. The graph
   * says so (dependency-graph.ts); a key some entry names but no object holds is never suggested.
   */
  hold(id: number): void {
    this.changed();
    if (id >= this.heldAt.length) {
      const bigger = new Uint8Array(Math.max(id + 1, 2 * this.heldAt.length));
      bigger.set(this.heldAt);
      this.heldAt = bigger;
    }
    if (this.heldAt[id] === 1) return;
    this.heldAt[id] = 1;
    if (this.groups !== undefined) this.group(id);
  }

  /** The id no longer names an object (undone by hold). */
  drop(id: number): void {
    this.changed();
    if (this.heldAt[id] !== 1) return;
    this.heldAt[id] = 0;
    if (this.groups === undefined) return;
    ungroup(this.groups.byPrefix, prefixGroup(this.prefixAt[id]!, nameLengthOf(this.keyAt[id]!)), id);
    ungroup(this.groups.byName, this.nameHashAt[id]!, id);
  }

  /**
   * Held ids whose key is of `kind` and either in `namespace` with a name at most `slack` characters
   * longer or shorter than `name`, or named `name`: the "did you mean" candidates of a missing node (a
   * name further off in length is further off in edits too). It reads only the ids of those prefix
   * hashes and name lengths and of the same name hash, and confirms each against its key (a hash is
   * never the answer on its own).
   */
  sameNamespaceOrName(kind: string, namespace: string, name: string, slack: number): number[] {
    this.lookupsSinceChange++;
    const prefix = this.prefixOf(kind, namespace);
    const kindPrefix = `${kind}/`;
    const nameAt = kindPrefix.length + namespace.length + 1;
    const groups = this.groups ?? this.makeGroups();
    const ids: number[] = [];
    for (let length = Math.max(1, name.length - slack); length <= name.length + slack; length++) {
      for (const id of groups.byPrefix.get(prefixGroup(prefix, length)) ?? NO_IDS) {
        const key = this.keyAt[id]!;
        if (key.length === nameAt + length && key.startsWith(kindPrefix) && key.startsWith(namespace, kindPrefix.length) && key.charCodeAt(nameAt - 1) === SLASH) ids.push(id);
      }
    }
    ids.push(...this.sameName(kind, namespace, name));
    return ids;
  }

  /** The held ids of `kind` named `name` in another namespace than `namespace`. */
  sameName(kind: string, namespace: string, name: string): number[] {
    const prefix = this.prefixOf(kind, namespace);
    const nameHash = finish(hashInto(FNV_OFFSET, name));
    const kindPrefix = `${kind}/`;
    const groups = this.groups ?? this.makeGroups();
    const ids: number[] = [];
    for (const id of groups.byName.get(nameHash) ?? NO_IDS) {
      // An id of this prefix is of this namespace (or a collision, which the key check drops).
      if (this.prefixAt[id] === prefix) continue;
      const key = this.keyAt[id]!;
      if (!key.startsWith(kindPrefix)) continue;
      const second = key.indexOf("/", kindPrefix.length);
      if (key.length - second - 1 === name.length && key.endsWith(name)) ids.push(id);
    }
    return ids;
  }

  /**
   * The held ids of `Kind/namespace/` whose names may be within `edits` (≤ MAX_DELETIONS) edits of
   * `name` (a superset: weigh each), or undefined while lookups do not yet pay for the index.
   */
  nearNames(kind: string, namespace: string, name: string, edits: number): number[] | undefined {
    if (this.deletions === undefined) {
      if (this.lookupsSinceChange < LOOKUPS_BEFORE_INDEX) return undefined;
      const names: IndexedName[] = [];
      for (let id = 0; id < this.heldAt.length; id++) {
        if (this.heldAt[id] !== 1) continue;
        const key = this.keyAt[id]!;
        names.push({ id, group: this.prefixAt[id]!, name: key.slice(key.length - nameLengthOf(key)) });
      }
      this.deletions = new DeletionIndex(names);
    }
    const prefix = this.prefixOf(kind, namespace);
    const kindPrefix = `${kind}/`;
    const nameAt = kindPrefix.length + namespace.length + 1;
    // A hash is never the answer on its own: confirm the kind and namespace against the key.
    return this.deletions.near(prefix, name, edits).filter((id) => {
      const key = this.keyAt[id]!;
      return this.heldAt[id] === 1 && key.startsWith(kindPrefix) && key.startsWith(namespace, kindPrefix.length) && key.charCodeAt(nameAt - 1) === SLASH;
    });
  }

  /** The held set changed: the deletion neighbourhood is out of date. */
  private changed(): void {
    this.deletions = undefined;
    this.lookupsSinceChange = 0;
  }

  private makeGroups(): NonNullable<NodeIndex["groups"]> {
    this.groups = { byPrefix: new Map(), byName: new Map() };
    for (let id = 0; id < this.heldAt.length; id++) if (this.heldAt[id] === 1) this.group(id);
    return this.groups;
  }

  private group(id: number): void {
    const { byPrefix, byName } = this.groups!;
    const prefix = prefixGroup(this.prefixAt[id]!, nameLengthOf(this.keyAt[id]!));
    const name = this.nameHashAt[id]!;
    let samePrefix = byPrefix.get(prefix);
    if (samePrefix === undefined) byPrefix.set(prefix, (samePrefix = new Set()));
    samePrefix.add(id);
    let sameName = byName.get(name);
    if (sameName === undefined) byName.set(name, (sameName = new Set()));
    sameName.add(id);
  }

  private prefixOf(kind: string, namespace: string): number {
    if (kind !== this.lastKind) {
      this.lastKindState = kindHash(kind);
      this.lastKind = kind;
      this.lastPrefix = prefixHash(this.lastKindState, namespace);
      this.lastNamespace = namespace;
    } else if (namespace !== this.lastNamespace) {
      this.lastPrefix = prefixHash(this.lastKindState, namespace);
      this.lastNamespace = namespace;
    }
    return this.lastPrefix;
  }

  /** Writes the key's bytes at the end of `bytes` (or marks it NOT_BYTES). */
  private storeBytes(id: number, key: string): void {
    if (this.bytesTop + key.length > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(2 * this.bytes.length, this.bytesTop + key.length));
      bigger.set(this.bytes.subarray(0, this.bytesTop));
      this.bytes = bigger;
    }
    if (writeBytes(this.bytes, this.bytesTop, key)) {
      this.bytesAt[id] = this.bytesTop;
      this.bytesLengthAt[id] = key.length;
      this.bytesTop += key.length;
    } else {
      this.bytesAt[id] = 0;
      this.bytesLengthAt[id] = NOT_BYTES;
    }
  }

  /** Every key in use written again without the bytes of freed ones, and the table placed again. */
  private compactBytes(): void {
    const old = this.bytes;
    const live = this.bytesTop - this.bytesGarbage;
    const packed = new Uint8Array(Math.max(1024, 2 * live));
    let top = 0;
    for (let id = 0; id < this.keyAt.length; id++) {
      const length = this.bytesLengthAt[id]!;
      if (this.keyAt[id] === "" || length <= 0) continue;
      packed.set(old.subarray(this.bytesAt[id]!, this.bytesAt[id]! + length), top);
      this.bytesAt[id] = top;
      top += length;
    }
    this.bytes = packed;
    this.bytesTop = top;
    this.bytesGarbage = 0;
    this.resize(this.mask + 1);
  }

  private place(id: number): void {
    const slots = this.slots;
    const mask = this.mask;
    const hash = this.hashAt[id]!;
    let at = hash & mask;
    while (slots[SLOT * at] !== EMPTY) at = (at + 1) & mask;
    slots[SLOT * at] = id + 1;
    slots[SLOT * at + 1] = hash;
    slots[SLOT * at + 2] = this.bytesAt[id]!;
    slots[SLOT * at + 3] = this.bytesLengthAt[id]!;
  }

  /** A table of `size` slots, every id in use placed again. */
  private resize(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(SLOT * size);
    this.mask = size - 1;
    for (let at = 0; at < old.length; at += SLOT) if (old[at] !== EMPTY) this.place(old[at]! - 1);
  }
}
