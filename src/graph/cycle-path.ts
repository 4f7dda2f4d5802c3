// A cycle as its message needs it (docs/behaviour.md, "Admission rules", bounded work): how many objects
// it has, the first and last hops of its closed path, and whether its members cross kinds. The webhook's
// denial of an edge that closes a 10,000-object cycle builds one from the search's ids (cycles.ts,
// cycleThrough) in one pass over integers: no key of the middle is read, sliced or joined.

import { kindOfNode } from "./refs.js";
import type { NodeKey } from "./types.js";

/** A cycle longer than this many objects is shortened in the middle: its first and last MAX_CYCLE_SHOWN / 2. */
export const MAX_CYCLE_SHOWN = 12;

export interface CyclePath {
  /** Objects on the cycle; its closed path `[a, …, a]` has one node more. */
  readonly objects: number;
  /**
   * The nodes a message names: the whole closed path for at most MAX_CYCLE_SHOWN objects, else its first
   * six and its last seven (the last being the first again).
   */
  readonly shown: readonly NodeKey[];
  /** Some member is a ResourceSet or of another kind than the first: a message names every member's kind. */
  readonly crossesKinds: boolean;
  /** Whether some member passes `test`: walks every member, for the rare question the fields above leave open. */
  some(test: (node: NodeKey) => boolean): boolean;
}

export function isCyclePath(cycle: readonly NodeKey[] | CyclePath): cycle is CyclePath {
  return !Array.isArray(cycle);
}

/** Which positions of a closed path of `nodes` nodes a message shows (see CyclePath.shown). */
export function shownPositions(nodes: number): number[] {
  if (nodes - 1 <= MAX_CYCLE_SHOWN) return Array.from({ length: Math.max(nodes, 0) }, (_, i) => i);
  const half = MAX_CYCLE_SHOWN / 2;
  return [...Array.from({ length: half }, (_, i) => i), ...Array.from({ length: half + 1 }, (_, i) => nodes - half - 1 + i)];
}

/** A whole closed path (a cycle `check` found, a peer's conflict) as a CyclePath; crossesKinds is read once, when asked. */
export function cyclePathOf(nodes: readonly NodeKey[]): CyclePath {
  let crosses: boolean | undefined;
  return {
    objects: nodes.length - 1,
    shown: shownPositions(nodes.length).map((i) => nodes[i]!),
    get crossesKinds(): boolean {
      if (crosses === undefined) {
        const first = nodes.length === 0 ? "" : kindOfNode(nodes[0]!);
        crosses = nodes.some((node) => node.startsWith("ResourceSet/") || !hasKind(node, first));
      }
      return crosses;
    },
    some: (test) => nodes.some(test),
  };
}

/** kindOfNode(node) === kind, without slicing the node. */
function hasKind(node: NodeKey, kind: string): boolean {
  const firstSlash = node.indexOf("/");
  const isNode = firstSlash >= 0 && node.indexOf("/", firstSlash + 1) >= 0;
  return kind === "" ? !isNode : isNode && firstSlash === kind.length && node.startsWith(kind);
}
