// What the graph page shows, as plain data: one node per Flux object (and one "ghost" per missing
// dependency), each with its gate state and the words the Events and `check` use for it. The page's
// server, the static `graph --format html` file and `releasegate why` read only this shape, through
// GraphFeed; how it is filled from the gate tracker is graph-nodes.ts (nodes from objects and gates) and store-feed.ts (the live feed).

/** `KIND/NAMESPACE/NAME`: unique across kinds. */
export type NodeId = string;

/**
 * "unknown": read from files, which carry no status, and nothing in the structure blocks it (the gate
 * depends on the cluster). Offline, "blocked" means a structural block only (Cycle or Missing).
 */
export type NodeState = "open" | "blocked" | "missing" | "unknown";

/** How the object itself is doing (Flux's conditions), apart from its gate. */
export type NodeHealth = "ready" | "failed" | "progressing" | "suspended";

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * What the page draws, filters and counts a node by: everything but the words of its side panel. The live
 * page's snapshot and its updates carry only this (compact-snapshot.ts); the panel asks for the rest of one
 * node when it is selected (GET /api/node), so what the page loads does not grow with messages or paths.
 */
export interface NodeSummary {
  id: NodeId;
  kind: string;
  namespace: string;
  name: string;
  /** "missing": a ghost, named by some dependsOn but not there. */
  state: NodeState;
  /** For blocked: Cycle, Missing, Failed, NotReady or Suspended. */
  reason?: string;
  /** For blocked: the object at the end of the chain. */
  rootCause?: NodeId;
  /** For blocked: why the root cause is not ready (the end of the Event text). */
  rootCauseMessage?: string;
  health?: NodeHealth;
  /** Resolved dependsOn targets, in order, without duplicates. */
  dependencies: NodeId[];
  /** On a dependency cycle. */
  cycle?: boolean;
  ghost?: boolean;
  /** Offline: the node's depth (0: no dependency; undefined on a cycle or behind one). */
  depth?: number;
  /** Offline: the object is defined more than once in its cluster (a `duplicate` problem of check). */
  duplicate?: boolean;
}

/** A node with the words of its side panel: its gate, conditions and path to the root cause. */
export interface GraphNode extends NodeSummary {
  /**
   * For blocked: from this node (exclusive) to the root cause (inclusive), at most 12 hops: a longer
   * path leaves `pathOmitted` hops out after the first `pathOmittedAt` (the server bounds what it sends).
   */
  path?: NodeId[];
  pathOmitted?: number;
  pathOmittedAt?: number;
  /** The gate in words, from the same builders as the Events (or the ghost's "does not exist"). */
  message: string;
  conditions: NodeCondition[];
  /** Offline: what `check` reports about this object, "file:line: message", in check's words. */
  problems?: string[];
}

/** A problem `check` reports, as the offline page lists it. */
export interface SnapshotProblem {
  type: string;
  kind: string;
  object: string;
  file: string;
  line: number;
  message: string;
}

export interface GraphSnapshot {
  /** ISO time the snapshot was taken. */
  generatedAt: string;
  /** Where it came from: "cluster" (live) or "files". */
  source: "cluster" | "files";
  /** The feed's revision when taken (live only): the page compares it with its stream's. */
  revision?: number;
  nodes: GraphNode[];
  /** Files only: the cluster these objects belong to, as `check` names it ("." for a PATH without clusters). */
  cluster?: string;
  /** Files only: every problem `check` reports for this cluster. */
  problems?: SnapshotProblem[];
}

/**
 * Nodes to replace or add, and ids to drop (applied first). Ghosts of the dependencies of every
 * changed node come along; a ghost no node depends on any more is dropped by the reader. Summaries
 * only: a page showing one of them in its side panel asks for its words again.
 */
export interface GraphUpdate {
  nodes: NodeSummary[];
  removed: NodeId[];
}

/** The narrow interface the page's server needs from the rest of releasegate. */
export interface GraphFeed {
  /** Every node with its words: a message and a path each, so for tests and small graphs. */
  snapshot(): GraphSnapshot;
  /** Changes whenever the snapshot would: the page compares it with its stream's. */
  revision?(): number;
  /** GET /api/graph: the summaries as compact-snapshot.ts encodes them, as JSON (else built from snapshot()). */
  pageJson?(): string;
  /** GET /api/node: one node with its words, its path walked (bounded), or undefined when there is none. */
  node?(id: NodeId): GraphNode | undefined;
  /** Returns the unsubscribe function. */
  subscribe(onChange: (update: GraphUpdate) => void): () => void;
}

export function nodeId(kind: string, namespace: string, name: string): NodeId {
  return `${kind}/${namespace}/${name}`;
}
