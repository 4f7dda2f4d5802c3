// The page's model of the graph, without the DOM: nodes kept current from the snapshot and the
// updates, the filters, what is drawn, and the relations a selection highlights. Pure, so it is
// unit-tested in Node and the bundle's DOM code only draws what this decides.

import type { GraphNode, GraphSnapshot, GraphUpdate, NodeId } from "../graph-snapshot.js";

/** Above this many objects the page opens on "blocked only" (docs: README, The graph page). */
export const BLOCKED_ONLY_ABOVE = 500;
/** At most this many nodes are laid out and drawn at once; the list holds the rest. */
export const MAX_DRAWN = 250;

export type StateFilter = "all" | "blocked" | "open" | "missing" | "unknown" | "Cycle" | "Missing" | "Failed" | "NotReady" | "Suspended";

export interface Filters {
  namespace: string;
  kind: string;
  state: StateFilter;
  search: string;
}

export const ALL = "";

export class GraphModel {
  readonly nodes = new Map<NodeId, GraphNode>();
  private dependentsIndex: Map<NodeId, NodeId[]> | undefined;
  private rootCauseSet: Set<NodeId> | undefined;
  /** blocks() per node, until the next change (the graph, the list and the panel all ask). */
  private readonly blocksMemo = new Map<NodeId, NodeId[]>();

  load(snapshot: GraphSnapshot): void {
    this.nodes.clear();
    for (const node of snapshot.nodes) this.nodes.set(node.id, node);
    this.changed();
  }

  /** Applies an update; returns whether the drawn structure (nodes or edges) may have changed. */
  apply(update: GraphUpdate): boolean {
    let structural = false;
    for (const id of update.removed) if (this.nodes.delete(id)) structural = true;
    for (const node of update.nodes) {
      const before = this.nodes.get(node.id);
      if (before === undefined || before.ghost !== node.ghost || !sameList(before.dependencies, node.dependencies)) structural = true;
      this.nodes.set(node.id, node);
    }
    if (this.dropOrphanGhosts()) structural = true;
    this.changed();
    return structural;
  }

  /** Ids of the nodes that some blocked node names as its root cause. */
  rootCauses(): Set<NodeId> {
    if (this.rootCauseSet === undefined) {
      this.rootCauseSet = new Set();
      for (const node of this.nodes.values()) if (node.rootCause !== undefined) this.rootCauseSet.add(node.rootCause);
    }
    return this.rootCauseSet;
  }

  dependents(id: NodeId): readonly NodeId[] {
    if (this.dependentsIndex === undefined) {
      const index = new Map<NodeId, NodeId[]>();
      for (const node of this.nodes.values()) {
        for (const dep of node.dependencies) {
          let list = index.get(dep);
          if (list === undefined) index.set(dep, (list = []));
          list.push(node.id);
        }
      }
      this.dependentsIndex = index;
    }
    return this.dependentsIndex.get(id) ?? [];
  }

  /** Everything the node depends on, transitively (not the node itself). */
  upstream(id: NodeId): Set<NodeId> {
    return this.reach(id, (v) => this.nodes.get(v)?.dependencies ?? []);
  }

  /** Everything that depends on the node, transitively. */
  downstream(id: NodeId): Set<NodeId> {
    return this.reach(id, (v) => this.dependents(v));
  }

  /**
   * The blocked objects this node holds back, directly or through others: for a root cause, "blocks N
   * releases" (the transitive dependents whose gates are blocked).
   */
  blocks(id: NodeId): NodeId[] {
    let held = this.blocksMemo.get(id);
    if (held === undefined) {
      held = [...this.downstream(id)].filter((other) => this.nodes.get(other)?.state === "blocked").sort();
      this.blocksMemo.set(id, held);
    }
    return held;
  }

  /** The node and its path to the root cause, in order (just the node when it is not blocked). */
  pathToRootCause(id: NodeId): NodeId[] {
    const node = this.nodes.get(id);
    return node === undefined ? [] : [id, ...(node.path ?? [])];
  }

  namespaces(): string[] {
    return [...new Set([...this.nodes.values()].map((n) => n.namespace))].sort();
  }

  kinds(): string[] {
    return [...new Set([...this.nodes.values()].map((n) => n.kind))].sort();
  }

  /** The filters a first view opens with. */
  defaultFilters(): Filters {
    const real = [...this.nodes.values()].filter((n) => n.ghost !== true).length;
    return { namespace: ALL, kind: ALL, state: real > BLOCKED_ONLY_ABOVE ? "blocked" : "all", search: "" };
  }

  /**
   * The nodes the filters let through, most telling first: root causes, then blocked nodes, then
   * the rest, each by id. "blocked" keeps the root causes of the blocked nodes too (a failed
   * dependency is open itself, yet it is what the view is for) and the missing ones they name.
   */
  visible(filters: Filters): GraphNode[] {
    const search = filters.search.trim().toLowerCase();
    const roots = this.rootCauses();
    const out: GraphNode[] = [];
    for (const node of this.nodes.values()) {
      if (filters.namespace !== ALL && node.namespace !== filters.namespace) continue;
      if (filters.kind !== ALL && node.kind !== filters.kind) continue;
      if (search !== "" && !`${node.namespace}/${node.name}`.toLowerCase().includes(search)) continue;
      if (!matchesState(node, filters.state, roots)) continue;
      out.push(node);
    }
    const rank = (n: GraphNode): number => (roots.has(n.id) ? 0 : n.state === "blocked" ? 1 : n.state === "missing" ? 2 : 3);
    out.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out;
  }

  private reach(id: NodeId, next: (v: NodeId) => readonly NodeId[]): Set<NodeId> {
    const seen = new Set<NodeId>();
    const stack = [...next(id)];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (seen.has(v) || v === id) continue;
      seen.add(v);
      for (const w of next(v)) stack.push(w);
    }
    return seen;
  }

  private dropOrphanGhosts(): boolean {
    const named = new Set<NodeId>();
    for (const node of this.nodes.values()) for (const dep of node.dependencies) named.add(dep);
    let dropped = false;
    for (const [id, node] of this.nodes) {
      if (node.ghost === true && !named.has(id)) {
        this.nodes.delete(id);
        dropped = true;
      }
    }
    return dropped;
  }

  private changed(): void {
    this.dependentsIndex = undefined;
    this.rootCauseSet = undefined;
    this.blocksMemo.clear();
  }
}

function matchesState(node: GraphNode, state: StateFilter, roots: ReadonlySet<NodeId>): boolean {
  switch (state) {
    case "all":
      return true;
    case "blocked":
      return node.state === "blocked" || roots.has(node.id);
    case "open":
      return node.state === "open";
    case "missing":
      return node.state === "missing";
    case "unknown":
      return node.state === "unknown";
    default:
      return node.reason === state;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The drawn subset: the first MAX_DRAWN visible nodes and the edges between them. */
export function drawnSubset(visible: readonly GraphNode[]): { nodes: GraphNode[]; edges: { from: NodeId; to: NodeId }[]; truncated: number } {
  const nodes = visible.slice(0, MAX_DRAWN);
  const ids = new Set(nodes.map((n) => n.id));
  const edges: { from: NodeId; to: NodeId }[] = [];
  for (const node of nodes) for (const dep of node.dependencies) if (ids.has(dep)) edges.push({ from: dep, to: node.id });
  return { nodes, edges, truncated: visible.length - nodes.length };
}
