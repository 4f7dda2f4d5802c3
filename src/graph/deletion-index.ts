// Names one or two edits away, found without weighing every name of a namespace (docs/architecture.md,
// "Did you mean"): a deletion neighbourhood. Two names within d edits (optimal string alignment: each
// substitution, insertion, deletion or adjacent transposition) become equal after at most d deletions from
// each, so every name is entered once per variant with up to MAX_DELETIONS characters deleted, and a
// lookup reads the variants of the missing name. Variants are hashed, never built as strings, and held in
// one flat table of (hash, id) pairs: a hash is only ever a candidate, the caller weighs it by edit distance.

/** Deletions a name is indexed with: names at most this many edits apart are found. */
export const MAX_DELETIONS = 2;

const FNV_PRIME = 0x01000193;
const EMPTY = -1;

/** The hash of `name` without the characters at `skipA` and `skipB` (-1: none), from the state `seed`. */
function variantHash(seed: number, name: string, skipA: number, skipB: number): number {
  let h = seed;
  for (let i = 0; i < name.length; i++) if (i !== skipA && i !== skipB) h = Math.imul(h ^ name.charCodeAt(i), FNV_PRIME);
  // murmur3's finaliser: the table masks the low bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The hashes of every variant of `name` with up to `deletions` (≤ 2) characters deleted, into `out` from
 * 0; returns how many. `out` must hold variantCount(name.length) entries.
 */
function variants(seed: number, name: string, deletions: number, out: Int32Array): number {
  let count = 0;
  out[count++] = variantHash(seed, name, -1, -1);
  if (deletions < 1) return count;
  for (let a = 0; a < name.length; a++) {
    // Deleting either of two equal neighbours gives one variant: enter it once.
    if (a > 0 && name.charCodeAt(a) === name.charCodeAt(a - 1)) continue;
    out[count++] = variantHash(seed, name, a, -1);
    if (deletions < 2) continue;
    for (let b = a + 1; b < name.length; b++) {
      if (b > a + 1 && name.charCodeAt(b) === name.charCodeAt(b - 1)) continue;
      out[count++] = variantHash(seed, name, a, b);
    }
  }
  return count;
}

/** At most how many variants a name of `length` characters has (none, one or two deleted). */
function variantCount(length: number): number {
  return 1 + length + (length * (length - 1)) / 2;
}

export interface IndexedName {
  id: number;
  /** A hash state shared by the names that may suggest each other (their kind and namespace). */
  group: number;
  name: string;
}

/** The deletion neighbourhood of a fixed set of names; build a new one when the names change. */
export class DeletionIndex {
  private readonly hashes: Int32Array;
  private readonly ids: Int32Array;
  private readonly mask: number;
  private stamp = new Uint32Array(0);
  private epoch = 0;

  /** Room for the variants of the longest name seen (reused by every call). */
  private scratch = new Int32Array(64);

  constructor(names: readonly IndexedName[]) {
    let entries = 0;
    let capacity = 0;
    for (const { id, name } of names) {
      entries += variantCount(name.length);
      if (id + 1 > capacity) capacity = id + 1;
    }
    // At most about 70% full: a probe stays short, and 50,000 names of 13 characters take 64 MiB.
    let size = 64;
    while (size < 1.4 * entries) size *= 2;
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.ids = new Int32Array(size).fill(EMPTY);
    for (const { id, group, name } of names) {
      const out = this.variantsOf(name.length);
      const count = variants(group, name, MAX_DELETIONS, out);
      for (let i = 0; i < count; i++) {
        const hash = out[i]!;
        let at = hash & this.mask;
        while (this.ids[at] !== EMPTY) at = (at + 1) & this.mask;
        this.hashes[at] = hash;
        this.ids[at] = id;
      }
    }
    this.stamp = new Uint32Array(capacity);
  }

  private variantsOf(length: number): Int32Array {
    const needed = variantCount(length);
    if (this.scratch.length < needed) this.scratch = new Int32Array(needed);
    return this.scratch;
  }

  /**
   * The ids of every indexed name of `group` within `edits` (≤ MAX_DELETIONS) edits of `name`, and maybe a
   * few more (hash collisions, names further off that share a variant): weigh each before use.
   */
  near(group: number, name: string, edits: number): number[] {
    if (++this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    const found: number[] = [];
    const out = this.variantsOf(name.length);
    const count = variants(group, name, Math.min(edits, MAX_DELETIONS), out);
    const { hashes, ids, stamp, mask, epoch } = this;
    for (let i = 0; i < count; i++) {
      const hash = out[i]!;
      for (let at = hash & mask; ids[at] !== EMPTY; at = (at + 1) & mask) {
        const id = ids[at]!;
        if (hashes[at] !== hash || stamp[id] === epoch) continue;
        stamp[id] = epoch;
        found.push(id);
      }
    }
    return found;
  }
}
