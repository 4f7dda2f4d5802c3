// The page's model of the graph, without the DOM: nodes kept current from the snapshot and the
// updates, the filters, what is drawn, and the relations a selection highlights. Pure, so it is
// unit-tested in Node and the bundle's DOM code only draws what this decides.

import type { GraphNode, GraphSnapshot, NodeId, NodeSummary } from "../graph-snapshot.js";

/**
 * A node as the page holds it: the live page gets summaries (compact-snapshot.ts) and asks for the
 * words of the one it shows in its side panel; a page read from files has every node whole.
 */
export type PageNode = NodeSummary & Partial<Omit<GraphNode, keyof NodeSummary>>;

/** What the page shows: a snapshot read from files, or the live one decoded. */
export interface PageSnapshot {
  source: "cluster" | "files";
  revision?: number;
  cluster?: string;
  problems?: GraphSnapshot["problems"];
  nodes: readonly PageNode[];
}

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
  readonly nodes = new Map<NodeId, PageNode>();
  /** The words of live nodes, as the server sent them for the side panel, until an update touches the node. */
  private readonly fetched = new Map<NodeId, GraphNode>();
  /** How many updates touched each node: words asked for before the last of them are stale. */
  private readonly touches = new Map<NodeId, number>();
  private dependentsIndex: Map<NodeId, NodeId[]> | undefined;
  private rootCauseSet: Set<NodeId> | undefined;
  /** blocks() per node, until the next change (the graph, the list and the panel all ask). */
  private readonly blocksMemo = new Map<NodeId, NodeId[]>();

  load(snapshot: Pick<PageSnapshot, "nodes">): void {
    this.nodes.clear();
    this.fetched.clear();
    this.touches.clear();
    for (const node of snapshot.nodes) this.nodes.set(node.id, node);
    this.changed();
  }

  /** Applies an update; returns whether the drawn structure (nodes or edges) may have changed. */
  apply(update: { nodes: readonly PageNode[]; removed: readonly NodeId[] }): boolean {
    let structural = false;
    for (const id of update.removed) {
      if (this.nodes.delete(id)) structural = true;
      this.touches.delete(id);
      this.fetched.delete(id);
    }
    for (const node of update.nodes) {
      const before = this.nodes.get(node.id);
      if (before === undefined || before.ghost !== node.ghost || !sameList(before.dependencies, node.dependencies)) structural = true;
      this.nodes.set(node.id, node);
      this.touch(node.id);
    }
    if (this.dropOrphanGhosts()) structural = true;
    this.changed();
    return structural;
  }

  /** The node with its words: as read (from files), or as fetched since the last update that touched it. */
  words(id: NodeId): GraphNode | undefined {
    const node = this.nodes.get(id);
    if (node === undefined) return undefined;
    if (node.message !== undefined && node.conditions !== undefined) return { ...node, message: node.message, conditions: node.conditions };
    return this.fetched.get(id);
  }

  /** A mark to hand back to setWords: words asked for now are stale once an update touches the node. */
  touchesOf(id: NodeId): number {
    return this.touches.get(id) ?? 0;
  }

  /** Keeps a node's words as the server sent them, unless an update touched it since they were asked for. */
  setWords(words: GraphNode, askedAt: number): boolean {
    if (!this.nodes.has(words.id) || this.touchesOf(words.id) !== askedAt) return false;
    this.fetched.set(words.id, words);
    return true;
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

  /**
   * The node and the shown hops of its path to the root cause, in order (just the node when it is not
   * blocked, or while its words are not there yet); a long path leaves its middle out (pathOmitted).
   */
  pathToRootCause(id: NodeId): NodeId[] {
    const node = this.words(id);
    return node === undefined ? (this.nodes.has(id) ? [id] : []) : [id, ...(node.path ?? [])];
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
  visible(filters: Filters): PageNode[] {
    const search = filters.search.trim().toLowerCase();
    const roots = this.rootCauses();
    const out: PageNode[] = [];
    for (const node of this.nodes.values()) {
      if (filters.namespace !== ALL && node.namespace !== filters.namespace) continue;
      if (filters.kind !== ALL && node.kind !== filters.kind) continue;
      if (search !== "" && !`${node.namespace}/${node.name}`.toLowerCase().includes(search)) continue;
      if (!matchesState(node, filters.state, roots)) continue;
      out.push(node);
    }
    const rank = (n: PageNode): number => (roots.has(n.id) ? 0 : n.state === "blocked" ? 1 : n.state === "missing" ? 2 : 3);
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

  private touch(id: NodeId): void {
    this.touches.set(id, this.touchesOf(id) + 1);
    this.fetched.delete(id);
  }

  private changed(): void {
    this.dependentsIndex = undefined;
    this.rootCauseSet = undefined;
    this.blocksMemo.clear();
  }
}

function matchesState(node: PageNode, state: StateFilter, roots: ReadonlySet<NodeId>): boolean {
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
export function drawnSubset(visible: readonly PageNode[]): { nodes: PageNode[]; edges: { from: NodeId; to: NodeId }[]; truncated: number } {
  const nodes = visible.slice(0, MAX_DRAWN);
  const ids = new Set(nodes.map((n) => n.id));
  const edges: { from: NodeId; to: NodeId }[] = [];
  for (const node of nodes) for (const dep of node.dependencies) if (ids.has(dep)) edges.push({ from: dep, to: node.id });
  return { nodes, edges, truncated: visible.length - nodes.length };
}
