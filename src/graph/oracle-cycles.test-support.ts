// The brute-force cycle questions the gate oracles ask (gates.test.ts, resourceset-gates.test.ts):
// written the naive way on purpose, so the property tests compare the graph code against something
// obviously right.
import { expect } from "vitest";
import { boundedPath, fullPath, PATH_TAIL } from "./gate-path.js";
import { cycleMessage } from "./messages.js";
import { resolveDependencies } from "./refs.js";
import type { BlockedReason, FluxObject, GateState, NodeKey } from "./types.js";

interface OracleCycles {
  /** The object's dependencies (deduplicated, in dependsOn order), existing or not. */
  depsOf(key: NodeKey): NodeKey[];
  /** Whether following existing dependencies from `key` comes back to it. */
  reachesItself(key: NodeKey): boolean;
  /** The shortest cycle through `key` (BFS level by level, dependencies in dependsOn order, first hit wins), ending at `key`. */
  shortestCycle(key: NodeKey): NodeKey[];
  /** The shortest way from one object to another (BFS, dependsOn order, first hit wins), without the first; [] when none. */
  shortestPath(from: NodeKey, to: NodeKey): NodeKey[];
  /**
   * Rule 1 of gate-rules.ts for an object that reaches itself, stated naively: R = the smallest key of
   * its component (the objects it reaches that reach it); the path a shortest way to R, then R's shortest cycle.
   */
  cycleGate(key: NodeKey): { state: "blocked"; reason: "Cycle"; rootCause: NodeKey; rootCauseMessage: string; path: NodeKey[] };
}

/** A gate as the oracles state it: its whole path instead of a first hop, a length and a tail. */
export type OracleGate = { state: "open" } | { state: "blocked"; reason: BlockedReason; rootCause: NodeKey; rootCauseMessage: string; path: NodeKey[] };

/**
 * The product's gates with their paths walked in full (gate-path.ts), checking on the way what a gate
 * holds of its path: its first hop, its length, its last PATH_TAIL hops, and the bounded path shown.
 */
export function expandedGates(states: ReadonlyMap<NodeKey, GateState>): Map<NodeKey, OracleGate> {
  const out = new Map<NodeKey, OracleGate>();
  for (const [key, gate] of states) {
    if (gate.state === "open") {
      out.set(key, gate);
      continue;
    }
    const path = fullPath(gate, (node) => states.get(node));
    expect(path.length).toBe(gate.depth);
    if (gate.depth === 0) {
      // Its own root cause (a readyExpr that does not compile): no path, via itself.
      expect([gate.via, gate.rootCause]).toEqual([key, key]);
    } else {
      expect(path[0]).toBe(gate.via);
      expect(path[path.length - 1]).toBe(gate.rootCause);
    }
    expect([...gate.tail]).toEqual(path.slice(-PATH_TAIL));
    const shown =
      path.length <= 2 * PATH_TAIL
        ? { head: path.slice(0, Math.max(0, path.length - PATH_TAIL)), omitted: 0, tail: path.slice(-PATH_TAIL) }
        : { head: path.slice(0, PATH_TAIL), omitted: path.length - 2 * PATH_TAIL, tail: path.slice(-PATH_TAIL) };
    expect(boundedPath(gate, (node) => states.get(node))).toEqual(shown);
    if (gate.onCycle === true) expect(gate.reason).toBe("Cycle");
    out.set(key, { state: "blocked", reason: gate.reason, rootCause: gate.rootCause, rootCauseMessage: gate.rootCauseMessage, path });
  }
  return out;
}

export function oracleCycles(byKey: ReadonlyMap<NodeKey, FluxObject>): OracleCycles {
  const depsOf = (k: NodeKey): NodeKey[] => [...new Set(resolveDependencies(byKey.get(k)!).map((d) => d.node))];
  const reachesItself = (k: NodeKey): boolean => {
    const seen = new Set<NodeKey>();
    const stack = depsOf(k).filter((d) => byKey.has(d));
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (v === k) return true;
      if (seen.has(v)) continue;
      seen.add(v);
      for (const w of depsOf(v)) if (byKey.has(w)) stack.push(w);
    }
    return false;
  };
  const shortestCycle = (k: NodeKey): NodeKey[] => {
    let frontier: NodeKey[][] = [[k]];
    const seen = new Set<NodeKey>();
    for (;;) {
      const next: NodeKey[][] = [];
      for (const path of frontier) {
        for (const w of depsOf(path[path.length - 1]!)) {
          if (w === k) return [...path.slice(1), k];
          if (!byKey.has(w) || seen.has(w)) continue;
          seen.add(w);
          next.push([...path, w]);
        }
      }
      frontier = next;
    }
  };
  const shortestPath = (from: NodeKey, to: NodeKey): NodeKey[] => {
    let frontier: NodeKey[][] = [[from]];
    const seen = new Set<NodeKey>([from]);
    while (frontier.length > 0) {
      const next: NodeKey[][] = [];
      for (const path of frontier) {
        for (const w of depsOf(path[path.length - 1]!)) {
          if (w === to) return [...path.slice(1), to];
          if (!byKey.has(w) || seen.has(w)) continue;
          seen.add(w);
          next.push([...path, w]);
        }
      }
      frontier = next;
    }
    return [];
  };
  const cycleGate = (k: NodeKey): ReturnType<OracleCycles["cycleGate"]> => {
    const members = [...byKey.keys()].filter((v) => v === k || (shortestPath(k, v).length > 0 && shortestPath(v, k).length > 0));
    const root = [...members].sort()[0]!;
    const cycle = shortestCycle(root);
    const path = k === root ? cycle : [...shortestPath(k, root), ...cycle];
    return { state: "blocked", reason: "Cycle", rootCause: root, rootCauseMessage: cycleMessage([root, ...cycle]), path };
  };
  return { depsOf, reachesItself, shortestCycle, shortestPath, cycleGate };
}
