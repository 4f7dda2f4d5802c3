// Names one or two edits away, found without weighing every name of a namespace (docs/architecture.md,
// "Did you mean"): a deletion neighbourhood. Two names within d edits (optimal string alignment: each
// substitution, insertion, deletion or adjacent transposition) become equal after at most d deletions from
// each, so every name is entered once per variant with up to MAX_DELETIONS characters deleted, and a
// lookup reads the variants of the missing name. Variants are hashed, never built as strings: a hash is
// only ever a candidate, the caller weighs it by edit distance.
//
// The (hash, id) entries are held sorted by hash in two flat arrays, with a directory from a hash's top
// bits to where its entries start. Names of one namespace share many variants (release-123 and release-456
// both become release-1 and release-4 ...): an open-addressing table of the entries holds runs of one hash
// that every probe near them walks, which made 50,000 lookups cost seconds; sorted, a lookup reads the
// entries of its own hashes and nothing else, and an entry costs 8 bytes.

/** Deletions a name is indexed with: names at most this many edits apart are found. */
export const MAX_DELETIONS = 2;

const FNV_PRIME = 0x01000193;

/** One FNV step: the state after `h` with the character `c` fed in. */
function step(h: number, c: number): number {
  return Math.imul(h ^ c, FNV_PRIME);
}

/** The state `h` with name[from, end) fed in, finished (murmur3's finaliser spreads the high bits down). */
function finish(h: number, name: string, from: number): number {
  for (let i = from; i < name.length; i++) h = step(h, name.charCodeAt(i));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The state after each prefix of the name last given to `variants` (reused: no allocation per name). */
let prefixState = new Int32Array(64);

/**
 * The hashes of every variant of `name` with up to `deletions` (≤ 2) characters deleted, into `out` from
 * 0; returns how many. `out` must hold variantCount(name.length) entries. A variant's hash is the FNV
 * hash of its characters from the state `seed`; the states after each prefix are computed once, so a
 * variant costs only the characters after its last deletion.
 */
function variants(seed: number, name: string, deletions: number, out: Int32Array): number {
  const length = name.length;
  if (prefixState.length <= length) prefixState = new Int32Array(length * 2 + 1);
  const prefix = prefixState;
  prefix[0] = seed;
  for (let i = 0; i < length; i++) prefix[i + 1] = step(prefix[i]!, name.charCodeAt(i));
  let count = 0;
  out[count++] = finish(prefix[length]!, name, length);
  if (deletions < 1) return count;
  for (let a = 0; a < length; a++) {
    // Deleting either of two equal neighbours gives one variant: enter it once.
    if (a > 0 && name.charCodeAt(a) === name.charCodeAt(a - 1)) continue;
    out[count++] = finish(prefix[a]!, name, a + 1);
    if (deletions < 2) continue;
    // `between`: the state after name[0, a) and name(a, b).
    let between = prefix[a]!;
    for (let b = a + 1; b < length; b++) {
      if (!(b > a + 1 && name.charCodeAt(b) === name.charCodeAt(b - 1))) out[count++] = finish(between, name, b + 1);
      between = step(between, name.charCodeAt(b));
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

/** 2^32: a hash's top bits pick its bucket; the rest, below 2^21, sort with the id in one float. */
const TWO_32 = 0x1_0000_0000;

/** The deletion neighbourhood of a fixed set of names; build a new one when the names change. */
export class DeletionIndex {
  /** Every entry's variant hash, sorted: ascending within a bucket, buckets in order of their top bits. */
  private readonly hashes: Int32Array;
  /** The name id of each entry, beside its hash. */
  private readonly ids: Int32Array;
  /** Where bucket b's entries start (b: a hash's top `bits` bits); one more for the end. */
  private readonly bucketStart: Int32Array;
  private readonly shift: number;
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
    // About 16 entries a bucket; at least 2^11 buckets, so that the bits below (at most 21) and an id
    // (below 2^32) fit a float's 53 exact bits when a bucket is sorted.
    let bits = 11;
    while (bits < 24 && entries >> bits > 16) bits++;
    this.shift = 32 - bits;
    const buckets = 1 << bits;
    // Two passes over the variants: count each bucket's entries, then place them; nothing but the two
    // arrays is ever held (a list of pairs to sort would double the memory while building).
    const start = new Int32Array(buckets + 1);
    this.forEachEntry(names, (hash) => start[(hash >>> this.shift) + 1]!++);
    for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
    const filled = start.slice(0, buckets);
    const hashes = new Int32Array(start[buckets]!);
    const ids = new Int32Array(start[buckets]!);
    this.forEachEntry(names, (hash, id) => {
      const at = filled[hash >>> this.shift]!++;
      hashes[at] = hash;
      ids[at] = id;
    });
    // Sort each bucket by hash (then id): its hashes share their top bits, so the low bits and the id
    // make one exact float key, and a typed array sorts floats by value.
    const lowMask = 2 ** this.shift - 1;
    let keys = new Float64Array(64);
    for (let b = 0; b < buckets; b++) {
      const from = start[b]!;
      const count = start[b + 1]! - from;
      if (count < 2) continue;
      if (keys.length < count) keys = new Float64Array(count * 2);
      for (let i = 0; i < count; i++) keys[i] = (hashes[from + i]! & lowMask) * TWO_32 + (ids[from + i]! >>> 0);
      const sorted = keys.subarray(0, count).sort();
      const top = hashes[from]! & ~lowMask;
      for (let i = 0; i < count; i++) {
        const key = sorted[i]!;
        const low = Math.floor(key / TWO_32);
        hashes[from + i] = top | low;
        ids[from + i] = key - low * TWO_32;
      }
    }
    this.hashes = hashes;
    this.ids = ids;
    this.bucketStart = start;
    this.stamp = new Uint32Array(capacity);
  }

  /** Calls `visit` with every (variant hash, id) entry of `names`. */
  private forEachEntry(names: readonly IndexedName[], visit: (hash: number, id: number) => void): void {
    for (const { id, group, name } of names) {
      const out = this.variantsOf(name.length);
      const count = variants(group, name, MAX_DELETIONS, out);
      for (let i = 0; i < count; i++) visit(out[i]!, id);
    }
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
    const { hashes, ids, stamp, epoch, bucketStart, shift } = this;
    for (let i = 0; i < count; i++) {
      const hash = out[i]!;
      const bucket = hash >>> shift;
      // The first entry of the hash: a bucket's hashes share their top bits (the sign among them), so
      // they compare as signed numbers in the order they were sorted.
      let low = bucketStart[bucket]!;
      let high = bucketStart[bucket + 1]!;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (hashes[middle]! < hash) low = middle + 1;
        else high = middle;
      }
      for (let at = low; at < hashes.length && hashes[at] === hash; at++) {
        const id = ids[at]!;
        if (stamp[id] === epoch) continue;
        stamp[id] = epoch;
        found.push(id);
      }
    }
    return found;
  }
}
