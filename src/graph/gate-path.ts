// The path from a blocked object to its root cause, walked on demand (docs/architecture.md, "Paths on
// demand"). A gate holds only its first hop (`via`), the path's length and its last few hops (`tail`, shared
// with the gate it inherits from), so memory stays linear in the graph however deep it is; `why`, the
// graph page's side panel and the Events walk the rest here, shortened in the middle past MAX_CYCLE_SHOWN
// hops ("… 2,990 more …"), as cycle messages are.

import type { BlockedGate, GateState, NodeKey } from "./types.js";

/**
 * Hops a path shows before and after its shortened middle; a gate's `tail` holds at most this many.
 * Half of messages.ts's MAX_CYCLE_SHOWN, as a cycle message shows (a test holds the two together).
 */
export const PATH_TAIL = 6;

/** A gate's state by node key (a tracker's `state`). */
export type GateLookup = (key: NodeKey) => GateState | undefined;

/**
 * The tail of a gate whose path is `[dependency, ...inherited path]`: the inherited gate's own tail when
 * the path is longer than PATH_TAIL (the same array, nothing allocated), else the whole path.
 */
export function tailThrough(dependency: NodeKey, inherited: BlockedGate): readonly NodeKey[] {
  return inherited.depth + 1 > PATH_TAIL ? inherited.tail : [dependency, ...inherited.tail];
}

/** A path shortened in the middle: `head`, then `omitted` hops left out, then `tail` (omitted 0: the whole path). */
export interface BoundedPath {
  head: NodeKey[];
  omitted: number;
  tail: readonly NodeKey[];
}

/** The first `hops` hops of the gate's path, walked through the gates of the hops. */
function walk(gate: BlockedGate, hops: number, gateOf: GateLookup): NodeKey[] {
  const nodes: NodeKey[] = [];
  let current: GateState | undefined = gate;
  for (let i = 0; i < hops; i++) {
    // Every hop before the root cause is blocked through the next one; a gate read mid-change may not be.
    if (current === undefined || current.state !== "blocked") break;
    nodes.push(current.via);
    if (i + 1 < hops) current = gateOf(current.via);
  }
  return nodes;
}

/**
 * The gate's path, at most 2 × PATH_TAIL hops shown: the first ones walked through the gates of the hops
 * (`gateOf`), the last ones the gate's own tail. Without `gateOf`, from the gate alone: its first hop and tail.
 */
export function boundedPath(gate: BlockedGate, gateOf?: GateLookup): BoundedPath {
  if (gate.depth <= gate.tail.length) return { head: [], omitted: 0, tail: gate.tail };
  const head = gateOf === undefined ? [gate.via] : walk(gate, Math.min(PATH_TAIL, gate.depth - gate.tail.length), gateOf);
  return { head, omitted: gate.depth - head.length - gate.tail.length, tail: gate.tail };
}

/** The whole path (as many hops as the gate's depth): for tests and small graphs, its cost is the depth. */
export function fullPath(gate: BlockedGate, gateOf: GateLookup): NodeKey[] {
  return walk(gate, gate.depth, gateOf);
}

/** The hops of a bounded path, the omitted ones as one "… N more …" (`show` names a hop). */
export function pathWords(path: BoundedPath, show: (node: NodeKey) => string): string[] {
  const words = path.head.map(show);
  if (path.omitted > 0) words.push(`… ${path.omitted} more …`);
  for (const node of path.tail) words.push(show(node));
  return words;
}

/** The shown hops in order (the omitted ones left out). */
export function shownNodes(path: BoundedPath): NodeKey[] {
  return [...path.head, ...path.tail];
}
