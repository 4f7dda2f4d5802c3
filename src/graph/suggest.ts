// "Did you mean ...?" for a dependsOn entry naming an object that does not exist: close names in the
// same namespace first, then the same name in another namespace (a forgotten `namespace:`), then
// close names elsewhere. Cheap enough for the admission deny path over 10k+ objects: candidates are
// filtered by length before any distance is computed, and distances stop once over the limit.

import { splitKey } from "./refs.js";
import type { ObjectKey } from "./types.js";

/**
 * Edit distance with adjacent transpositions (optimal string alignment, the restricted
 * Damerau-Levenshtein distance): "redsi" → "redis" is 1.
 */
export function editDistance(a: string, b: string): number {
  return boundedEditDistance(a, b, Math.max(a.length, b.length));
}

/** editDistance, or `limit + 1` as soon as the distance is known to exceed `limit`. */
export function boundedEditDistance(a: string, b: string, limit: number): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const n = b.length;
  let before = new Array<number>(n + 1).fill(0); // row i-2
  let previous = Array.from({ length: n + 1 }, (_, j) => j); // row i-1
  let row = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    [before, previous, row] = [previous, row, before];
  }
  return Math.min(previous[n]!, limit + 1);
}

/** How many edits still count as "close" for a name of this length. */
function closeness(name: string): number {
  return name.length <= 4 ? 1 : name.length <= 9 ? 2 : 3;
}

/** Up to `max` existing keys close to `missing`, best first. */
export function suggestKeys(missing: ObjectKey, candidates: Iterable<ObjectKey>, max = 3): ObjectKey[] {
  const { namespace, name } = splitKey(missing);
  const limit = closeness(name);
  const prefix = `${namespace}/`;
  const suffix = `/${name}`;
  // tier 0: same namespace, close name; 1: same name, other namespace; 2: close name, other namespace.
  const scored: { key: ObjectKey; tier: number; distance: number }[] = [];
  for (const key of candidates) {
    if (key === missing) continue;
    if (key.startsWith(prefix)) {
      const other = key.slice(prefix.length);
      if (Math.abs(other.length - name.length) > limit) continue;
      const distance = boundedEditDistance(name, other, limit);
      if (distance <= limit) scored.push({ key, tier: 0, distance });
    } else if (key.endsWith(suffix) && key.indexOf("/") === key.length - suffix.length) {
      scored.push({ key, tier: 1, distance: 0 });
    } else {
      const slash = key.indexOf("/");
      const otherLength = key.length - slash - 1;
      if (Math.abs(otherLength - name.length) > limit) continue;
      const distance = boundedEditDistance(name, key.slice(slash + 1), limit);
      if (distance <= limit) scored.push({ key, tier: 2, distance });
    }
  }
  scored.sort((x, y) => x.tier - y.tier || x.distance - y.distance || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return scored.slice(0, max).map((s) => s.key);
}
