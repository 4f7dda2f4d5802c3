// `releasegate why`: the chain from one object to its root cause, as a small tree of lines, each
// with the object's state and the words the Events use. Read from a GraphSnapshot only.

import type { GraphNode, GraphSnapshot, NodeId } from "./graph-snapshot.js";

interface ChainLine {
  id: NodeId;
  state: string;
  message: string;
  rootCause: boolean;
  /** The node was seen earlier on the chain: a cycle closes here. */
  repeats: boolean;
  /** Instead of a node: this many hops of a long chain left out (the id is then empty). */
  omitted?: number;
  /** Indentation under the first line (default: the line's place in the chain). */
  depth?: number;
}

/**
 * The state in words. A failed object says what failed (its Ready reason), not that its own gate is
 * open: that is what holds its dependents back. Read from files, there is no status to say.
 */
function stateOf(node: GraphNode): string {
  if (node.state === "blocked") return `blocked (${node.reason ?? "?"})`;
  if (node.state === "missing") return "missing";
  if (node.state === "unknown") return "no status (from files)";
  if (node.health === "failed") {
    const reason = node.conditions.find((c) => c.type === "Ready" && c.status === "False")?.reason;
    return reason === undefined ? "failed" : `failed (${reason})`;
  }
  if (node.health === "suspended") return "suspended";
  return node.health === undefined || node.health === "ready" ? "open" : `open, ${node.health}`;
}

/** Lines a dependency tree shows at most (a repo's deepest chains stay readable). */
const MAX_TREE_LINES = 50;

/**
 * Read from files with nothing blocking it: the object's dependencies as a tree, each object once
 * (a later mention says "see above"), so the chain Flux would walk is explained without a status.
 */
export function dependencyTree(snapshot: GraphSnapshot, id: NodeId): ChainLine[] | undefined {
  const nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  if (!nodes.has(id)) return undefined;
  const lines: ChainLine[] = [];
  const seen = new Set<NodeId>();
  const visit = (at: NodeId, depth: number): void => {
    if (lines.length >= MAX_TREE_LINES) return;
    const node = nodes.get(at);
    const repeats = seen.has(at);
    seen.add(at);
    lines.push({ id: at, state: node === undefined ? "missing" : stateOf(node), message: repeats ? "see above" : (node?.message ?? ""), rootCause: false, repeats: false, depth });
    if (repeats || node === undefined) return;
    for (const dep of node.dependencies) visit(dep, depth + 1);
  };
  visit(id, 0);
  return lines;
}

/** The chain from `id` along its path (bounded: the snapshot's path is); undefined when no such node. */
export function whyChain(snapshot: GraphSnapshot, id: NodeId): ChainLine[] | undefined {
  const nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const start = nodes.get(id);
  if (start === undefined) return undefined;
  const lines: ChainLine[] = [{ id, state: stateOf(start), message: start.message, rootCause: false, repeats: false }];
  const seen = new Set([id]);
  const path = start.path ?? [];
  for (const [i, step] of path.entries()) {
    if (start.pathOmitted !== undefined && i === start.pathOmittedAt) {
      lines.push({ id: "", state: "", message: "", rootCause: false, repeats: false, omitted: start.pathOmitted });
    }
    const node = nodes.get(step);
    const last = i === path.length - 1;
    const repeats = seen.has(step);
    seen.add(step);
    // The root cause speaks through the message its dependents give for it (its own gate may be open).
    const message = last && start.rootCauseMessage !== undefined && start.reason !== "Cycle" ? start.rootCauseMessage : (node?.message ?? "");
    lines.push({ id: step, state: node === undefined ? "missing" : stateOf(node), message, rootCause: last && start.reason !== "Cycle", repeats });
    // A cycle's path goes to its root cause, then once round: the chain ends where it first closes.
    if (repeats) break;
  }
  return lines;
}

function label(id: NodeId): string {
  const first = id.indexOf("/");
  return `${id.slice(0, first)} ${id.slice(first + 1)}`;
}

/** One line per step, each indented under the one before it. */
export function renderChain(lines: readonly ChainLine[]): string {
  return lines
    .map((line, index) => {
      const depth = line.depth ?? index;
      const branch = depth === 0 ? "" : `${"   ".repeat(depth - 1)}└─ `;
      if (line.omitted !== undefined) return `${branch}… ${line.omitted} more …\n`;
      const marks = [line.rootCause ? "root cause" : "", line.repeats ? "cycle closes here" : ""].filter((m) => m !== "");
      const suffix = marks.length === 0 ? "" : ` [${marks.join(", ")}]`;
      return `${branch}${label(line.id)}  ${line.state}${suffix}: ${line.message}\n`;
    })
    .join("");
}
