// "Did you mean ...?" for a dependsOn entry naming an object that does not exist: close names in the
// same namespace first, then the same name in another namespace (a forgotten `namespace:`). A typo in
// another namespace as well is not searched: it would cost an edit distance against every object in the
// cluster on the admission deny path, for a suggestion that is rarely right. Candidates are filtered by
// length before any distance is computed, and distances stop once over the limit.

import { splitNodeKey } from "./refs.js";
import type { NodeKey } from "./types.js";

/**
 * Edit distance with adjacent transpositions (optimal string alignment, the restricted
 * Damerau-Levenshtein distance): "redsi" → "redis" is 1.
 */
export function editDistance(a: string, b: string): number {
  return boundedEditDistance(a, b, Math.max(a.length, b.length));
}

// Three reused rows: the distance runs for thousands of candidates per lookup and must not allocate.
let rows: [Int32Array, Int32Array, Int32Array] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * editDistance, or `limit + 1` as soon as the distance is known to exceed `limit`. With `bFrom`, `b` is
 * read from that index on (a key's name without slicing it out of the key).
 */
export function boundedEditDistance(a: string, b: string, limit: number, bFrom = 0): number {
  const bLength = b.length - bFrom;
  if (Math.abs(a.length - bLength) > limit) return limit + 1;
  // A common prefix and suffix cost nothing and change no distance: the table covers only what differs
  // ("app-12-3x" against "app-12-3" is "x" against ""). Names of one team mostly share their start.
  let from = 0;
  while (from < a.length && from < bLength && a.charCodeAt(from) === b.charCodeAt(bFrom + from)) from++;
  let endA = a.length;
  let endB = bLength;
  while (endA > from && endB > from && a.charCodeAt(endA - 1) === b.charCodeAt(bFrom + endB - 1)) {
    endA--;
    endB--;
  }
  if (endA === from || endB === from) return Math.min(Math.max(endA, endB) - from, limit + 1);
  const m = endA - from;
  const n = endB - from;
  const bAt = bFrom + from;
  if (rows[0].length <= n) rows = [new Int32Array(n + 1), new Int32Array(n + 1), new Int32Array(n + 1)];
  let [before, previous, row] = rows; // rows i-2, i-1 and i
  for (let j = 0; j <= n; j++) previous[j] = j;
  for (let i = 1; i <= m; i++) {
    row[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(from + i - 1);
    for (let j = 1; j <= n; j++) {
      const cost = ai === b.charCodeAt(bAt + j - 1) ? 0 : 1;
      let d = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && ai === b.charCodeAt(bAt + j - 2) && a.charCodeAt(from + i - 2) === b.charCodeAt(bAt + j - 1)) d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    const oldest = before;
    before = previous;
    previous = row;
    row = oldest;
  }
  return Math.min(previous[n]!, limit + 1);
}

/** How many edits still count as "close" for a name of this length (so also how much longer or shorter a close name can be). */
export function closeness(name: string): number {
  return name.length <= 4 ? 1 : name.length <= 9 ? 2 : 3;
}

/** How many suggestions a missing dependency gets ("did you mean a, b or c?"). */
export const SUGGESTIONS_SHOWN = 3;

interface Scored {
  key: NodeKey;
  /** 0: same namespace, close name; 1: same name, other namespace. */
  tier: number;
  distance: number;
}

/** Whether `x` is a better suggestion than `y`: lower tier, then fewer edits, then the key's order. */
function better(x: Scored, y: Scored): boolean {
  return x.tier !== y.tier ? x.tier < y.tier : x.distance !== y.distance ? x.distance < y.distance : x.key < y.key;
}

/**
 * Up to `max` existing nodes of the missing node's kind close to it, best first. Only the best `max`
 * are kept while the candidates are read, and once there are that many in the namespace, a name must
 * be at most as far as the last of them to be weighed at all: `check` may ask this for thousands of
 * missing names, each with hundreds of candidates. `excluded` is never suggested (the dependent itself).
 */
export function suggestKeys(missing: NodeKey, candidates: Iterable<NodeKey>, max = 3, excluded?: NodeKey): NodeKey[] {
  if (max <= 0) return [];
  const { kind, namespace, name } = splitNodeKey(missing);
  const kindPrefix = `${kind}/`;
  const prefix = `${kind}/${namespace}/`;
  const suffix = `/${name}`;
  const close = closeness(name);
  const best: Scored[] = [];
  const offer = (entry: Scored): void => {
    if (best.length === max && !better(entry, best[max - 1]!)) return;
    if (best.length === max) best.pop();
    let at = best.length;
    while (at > 0 && better(entry, best[at - 1]!)) at--;
    best.splice(at, 0, entry);
  };
  for (const key of candidates) {
    if (key === missing || key === excluded || !key.startsWith(kindPrefix)) continue;
    const full = best.length === max;
    if (key.startsWith(prefix)) {
      // A name further than the last of a full list cannot enter it.
      const limit = full && best[max - 1]!.tier === 0 ? Math.min(close, best[max - 1]!.distance) : close;
      const distance = boundedEditDistance(name, key, limit, prefix.length);
      if (distance <= limit) offer({ key, tier: 0, distance });
    } else if (!(full && best[max - 1]!.tier === 0) && key.endsWith(suffix) && key.indexOf("/", kindPrefix.length) === key.length - suffix.length) {
      offer({ key, tier: 1, distance: 0 });
    }
  }
  return best.map((s) => s.key);
}
