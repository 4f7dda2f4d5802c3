// The live graph page's snapshot on the wire (GET /api/graph; docs/architecture.md, "The graph page"):
// the nodes' summaries as columns, one entry per node, every kind, namespace, state, reason, health and
// root-cause message once in a table of strings, and the root causes and dependencies as node indices.
// Nothing in it grows with a path or a message of the Events: a 10,000-object chain is a third of a MiB
// (its full nodes were 8.2 MiB, and building their words took the server most of a second). The page
// decodes it (the same module, bundled) and asks for the words of the one node it shows in its side panel.

import type { NodeHealth, NodeId, NodeState, NodeSummary } from "./graph-snapshot.js";

export interface CompactSnapshot {
  /** ISO time the snapshot was taken. */
  generatedAt: string;
  source: "cluster" | "files";
  /** The feed's revision when taken: the page compares it with its stream's. */
  revision?: number;
  /** Every kind, namespace, state, reason, health and root-cause message, once: the columns index it. */
  strings: string[];
  kind: number[];
  namespace: number[];
  name: string[];
  state: number[];
  /** -1: the field is absent. */
  health: number[];
  reason: number[];
  rootCauseMessage: number[];
  /** A node's index; past the last node, an index into `others`; -1: none. */
  rootCause: number[];
  /** Each node's number of dependencies; their indices follow one another in `dependencies`, node by node. */
  dependencyCount: number[];
  dependencies: number[];
  /** Ids named (as a root cause or a dependency) that no node has: none from serve's feed, kept so nothing is lost. */
  others: NodeId[];
  /** Bits: 1 on a cycle, 2 a ghost. */
  flags: number[];
}

const CYCLE = 1;
const GHOST = 2;

type Head = Pick<CompactSnapshot, "generatedAt" | "source" | "revision">;

/** The summaries as columns (fields only files carry, depth and duplicate, are not part of it). */
export function encodeSnapshot(head: Head, nodes: readonly NodeSummary[]): CompactSnapshot {
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const intern = (value: string | undefined): number => {
    if (value === undefined) return -1;
    let i = stringIndex.get(value);
    if (i === undefined) {
      i = strings.length;
      strings.push(value);
      stringIndex.set(value, i);
    }
    return i;
  };
  const nodeIndex = new Map<NodeId, number>();
  for (let i = 0; i < nodes.length; i++) nodeIndex.set(nodes[i]!.id, i);
  const others: NodeId[] = [];
  const indexOf = (id: NodeId): number => {
    let i = nodeIndex.get(id);
    if (i === undefined) {
      i = nodes.length + others.length;
      others.push(id);
      nodeIndex.set(id, i);
    }
    return i;
  };
  const out: CompactSnapshot = {
    ...head,
    strings,
    kind: [],
    namespace: [],
    name: [],
    state: [],
    health: [],
    reason: [],
    rootCauseMessage: [],
    rootCause: [],
    dependencyCount: [],
    dependencies: [],
    others,
    flags: [],
  };
  for (const node of nodes) {
    out.kind.push(intern(node.kind));
    out.namespace.push(intern(node.namespace));
    out.name.push(node.name);
    out.state.push(intern(node.state));
    out.health.push(intern(node.health));
    out.reason.push(intern(node.reason));
    out.rootCauseMessage.push(intern(node.rootCauseMessage));
    out.rootCause.push(node.rootCause === undefined ? -1 : indexOf(node.rootCause));
    out.dependencyCount.push(node.dependencies.length);
    for (const dep of node.dependencies) out.dependencies.push(indexOf(dep));
    out.flags.push((node.cycle === true ? CYCLE : 0) | (node.ghost === true ? GHOST : 0));
  }
  return out;
}

/** Thrown on a body that is not an encoded snapshot: the page says so in one line. */
function bad(what: string): Error {
  return new Error(`the graph's snapshot is malformed: ${what}`);
}

/** The summaries back, in order; throws (one line) on a body that is not an encoded snapshot. */
export function decodeSnapshot(compact: CompactSnapshot): NodeSummary[] {
  const count = compact.name?.length;
  if (!Array.isArray(compact.strings) || count === undefined) throw bad("no nodes");
  const columns = [compact.kind, compact.namespace, compact.state, compact.health, compact.reason, compact.rootCauseMessage, compact.rootCause, compact.dependencyCount, compact.flags];
  if (columns.some((column) => !Array.isArray(column) || column.length !== count)) throw bad("its columns differ in length");
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) ids.push(`${compact.strings[compact.kind[i]!]}/${compact.strings[compact.namespace[i]!]}/${compact.name[i]}`);
  const idAt = (i: number): NodeId => {
    const id = i < count ? ids[i] : compact.others[i - count];
    if (id === undefined) throw bad(`no node ${i}`);
    return id;
  };
  const text = (i: number): string | undefined => (i < 0 ? undefined : compact.strings[i]);
  const nodes: NodeSummary[] = [];
  let next = 0;
  for (let i = 0; i < count; i++) {
    const dependencies: NodeId[] = [];
    const end = next + compact.dependencyCount[i]!;
    for (; next < end; next++) dependencies.push(idAt(compact.dependencies[next]!));
    const node: NodeSummary = {
      id: ids[i]!,
      kind: text(compact.kind[i]!)!,
      namespace: text(compact.namespace[i]!)!,
      name: compact.name[i]!,
      state: text(compact.state[i]!) as NodeState,
      dependencies,
    };
    const health = text(compact.health[i]!);
    if (health !== undefined) node.health = health as NodeHealth;
    const reason = text(compact.reason[i]!);
    if (reason !== undefined) node.reason = reason;
    if (compact.rootCause[i]! >= 0) node.rootCause = idAt(compact.rootCause[i]!);
    const message = text(compact.rootCauseMessage[i]!);
    if (message !== undefined) node.rootCauseMessage = message;
    if ((compact.flags[i]! & CYCLE) !== 0) node.cycle = true;
    if ((compact.flags[i]! & GHOST) !== 0) node.ghost = true;
    nodes.push(node);
  }
  return nodes;
}
