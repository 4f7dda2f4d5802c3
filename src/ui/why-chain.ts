// `releasegate why`: the chain from one object to its root cause, as a small tree of lines, each
// with the object's state and the words the Events use. Read from a GraphSnapshot only.

import { PATH_TAIL } from "../graph/gate-path.js";
import type { GraphNode, GraphSnapshot, NodeId } from "./graph-snapshot.js";

export interface ChainLine {
  id: NodeId;
  state: string;
  message: string;
  rootCause: boolean;
  /** The node was seen earlier on the chain: a cycle closes here. */
  repeats: boolean;
  /** Instead of a node: this many hops of a long chain left out (the id is then empty). */
  omitted?: number;
}

function stateOf(node: GraphNode): string {
  if (node.state === "blocked") return `blocked (${node.reason ?? "?"})`;
  if (node.state === "missing") return "missing";
  return node.health === undefined || node.health === "ready" ? "open" : `open, ${node.health}`;
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
    .map((line, depth) => {
      const branch = depth === 0 ? "" : `${"   ".repeat(Math.min(depth, 2 * PATH_TAIL + 1) - 1)}└─ `;
      if (line.omitted !== undefined) return `${branch}… ${line.omitted} more …\n`;
      const marks = [line.rootCause ? "root cause" : "", line.repeats ? "cycle closes here" : ""].filter((m) => m !== "");
      const suffix = marks.length === 0 ? "" : ` [${marks.join(", ")}]`;
      return `${branch}${label(line.id)}  ${line.state}${suffix}: ${line.message}\n`;
    })
    .join("");
}
