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

/** editDistance, or `limit + 1` as soon as the distance is known to exceed `limit`. */
export function boundedEditDistance(a: string, b: string, limit: number): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  // A common prefix and suffix cost nothing and change no distance: the table covers only what differs
  // ("app-12-3x" against "app-12-3" is "x" against ""). Names of one team mostly share their start.
  let from = 0;
  while (from < a.length && from < b.length && a.charCodeAt(from) === b.charCodeAt(from)) from++;
  let endA = a.length;
  let endB = b.length;
  while (endA > from && endB > from && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  const m = endA - from;
  const n = endB - from;
  if (rows[0].length <= n) rows = [new Int32Array(n + 1), new Int32Array(n + 1), new Int32Array(n + 1)];
  let [before, previous, row] = rows; // rows i-2, i-1 and i
  for (let j = 0; j <= n; j++) previous[j] = j;
  for (let i = 1; i <= m; i++) {
    row[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(from + i - 1);
    for (let j = 1; j <= n; j++) {
      const cost = ai === b.charCodeAt(from + j - 1) ? 0 : 1;
      let d = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && ai === b.charCodeAt(from + j - 2) && a.charCodeAt(from + i - 2) === b.charCodeAt(from + j - 1)) d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    [before, previous, row] = [previous, row, before];
  }
  return Math.min(previous[n]!, limit + 1);
}

/** How many edits still count as "close" for a name of this length (so also how much longer or shorter a close name can be). */
export function closeness(name: string): number {
  return name.length <= 4 ? 1 : name.length <= 9 ? 2 : 3;
}

/** Up to `max` existing nodes of the missing node's kind close to it, best first. */
export function suggestKeys(missing: NodeKey, candidates: Iterable<NodeKey>, max = 3): NodeKey[] {
  const { kind, namespace, name } = splitNodeKey(missing);
  const limit = closeness(name);
  const kindPrefix = `${kind}/`;
  const prefix = `${kind}/${namespace}/`;
  const suffix = `/${name}`;
  // tier 0: same namespace, close name; 1: same name, other namespace. Never another kind.
  const scored: { key: NodeKey; tier: number; distance: number }[] = [];
  for (const key of candidates) {
    if (key === missing || !key.startsWith(kindPrefix)) continue;
    if (key.startsWith(prefix)) {
      const other = key.slice(prefix.length);
      if (Math.abs(other.length - name.length) > limit) continue;
      const distance = boundedEditDistance(name, other, limit);
      if (distance <= limit) scored.push({ key, tier: 0, distance });
    } else if (key.endsWith(suffix) && key.indexOf("/", kindPrefix.length) === key.length - suffix.length) {
      scored.push({ key, tier: 1, distance: 0 });
    }
  }
  scored.sort((x, y) => x.tier - y.tier || x.distance - y.distance || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return scored.slice(0, max).map((s) => s.key);
}
