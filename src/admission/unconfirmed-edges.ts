// Edges this replica has allowed (or a peer has announced) that the watch has not shown stored yet
// (docs/architecture.md, "Unconfirmed edges"). Between the webhook's answer and the watch event the API
// server stores the write, and a review decided on the cache alone in that gap would not see the edge:
// two requests closing halves of one cycle would both be allowed. So every allowed edge-adding review
// leaves its object's new edges here, and every decision reads the cache's graph with these edges added
// (graph-overlay.ts withExtraEdges).
//
// An entry goes when the cache holds the node with all of its edges (observed), when whoever allowed it
// takes it back (the review was answered with a denial after all: the write never happens), or after
// `ttlMs` — longer than kube-apiserver's request timeout (60 s), by which a write it admitted has been
// stored or has failed. The count is bounded; when full, edge-adding reviews fail closed (the caller
// answers 503) rather than forget an edge that may still be stored.
import { randomUUID } from "node:crypto";
import type { GraphView } from "../graph/dependency-graph.js";
import { withExtraEdges } from "../graph/graph-overlay.js";
import type { ExtraEdges } from "../graph/graph-overlay.js";
import { nodeOf } from "../graph/refs.js";
import type { FluxObject, NodeKey } from "../graph/types.js";

export const DEFAULT_UNCONFIRMED_TTL_MS = 75_000;
export const DEFAULT_MAX_UNCONFIRMED = 5_000;

export interface UnconfirmedEdge {
  /** Names the entry across replicas (a peer takes back what it announced by this id). */
  readonly id: string;
  readonly node: NodeKey;
  readonly object: FluxObject;
  /** The edges the object will have if its write is stored: resolved, de-duplicated. */
  readonly dependencies: readonly NodeKey[];
  readonly expiresAt: number;
  readonly origin: "local" | "peer";
}

export interface UnconfirmedEdgesOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class UnconfirmedEdges implements ExtraEdges {
  readonly ttlMs: number;
  readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, UnconfirmedEdge>();
  /** Per node, the union of its entries' edges (several in-flight writes of one object add up). */
  private byNode = new Map<NodeKey, { object: FluxObject; dependencies: readonly NodeKey[] }>();

  constructor(options: UnconfirmedEdgesOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_UNCONFIRMED_TTL_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_UNCONFIRMED;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.byNode.size;
  }

  get count(): number {
    return this.entries.size;
  }

  get(key: NodeKey): { object: FluxObject; dependencies: readonly NodeKey[] } | undefined {
    return this.byNode.get(key);
  }

  keys(): Iterable<NodeKey> {
    return this.byNode.keys();
  }

  /** Every entry (for tests and the peer wire). */
  list(): UnconfirmedEdge[] {
    return [...this.entries.values()];
  }

  /**
   * Adds the edges an allowed object will have; undefined when the bound is reached (nothing added: the
   * caller must not allow). A peer's entry keeps the id and the time left it was announced with.
   */
  add(object: FluxObject, dependencies: readonly NodeKey[], options: { origin?: "local" | "peer"; id?: string; ttlMs?: number } = {}): UnconfirmedEdge | undefined {
    const now = this.now();
    if (this.entries.size >= this.maxEntries) this.expire(now);
    if (this.entries.size >= this.maxEntries) return undefined;
    const ttl = Math.max(0, Math.min(options.ttlMs ?? this.ttlMs, this.ttlMs));
    const entry: UnconfirmedEdge = {
      id: options.id ?? randomUUID(),
      node: nodeOf(object),
      object: { kind: object.kind, namespace: object.namespace, name: object.name, dependsOn: object.dependsOn },
      dependencies: [...new Set(dependencies)],
      expiresAt: now + ttl,
      origin: options.origin ?? "local",
    };
    this.entries.delete(entry.id);
    this.entries.set(entry.id, entry);
    this.index();
    return entry;
  }

  /** Takes an entry back (its review ended in a denial: the write never comes). */
  remove(id: string): boolean {
    if (!this.entries.delete(id)) return false;
    this.index();
    return true;
  }

  /**
   * Drops expired entries and those the cache's graph now shows stored: the node with every one of the
   * entry's edges. `cache` must be the watch's graph, never a view with reads or pending objects on it.
   */
  settle(cache: GraphView, now = this.now()): void {
    if (this.entries.size === 0) return;
    let changed = false;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now || observed(cache, entry)) {
        this.entries.delete(id);
        changed = true;
      }
    }
    if (changed) this.index();
  }

  /** `base` with every unconfirmed edge added (base itself when there are none). */
  view(base: GraphView): GraphView {
    return withExtraEdges(base, this);
  }

  private expire(now: number): void {
    let changed = false;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(id);
        changed = true;
      }
    }
    if (changed) this.index();
  }

  private index(): void {
    const byNode = new Map<NodeKey, { object: FluxObject; dependencies: readonly NodeKey[] }>();
    for (const entry of this.entries.values()) {
      const seen = byNode.get(entry.node);
      byNode.set(entry.node, seen === undefined ? { object: entry.object, dependencies: entry.dependencies } : { object: entry.object, dependencies: [...new Set([...seen.dependencies, ...entry.dependencies])] });
    }
    this.byNode = byNode;
  }
}

function observed(cache: GraphView, entry: UnconfirmedEdge): boolean {
  if (!cache.has(entry.node)) return false;
  const stored = cache.dependencyKeys(entry.node);
  return entry.dependencies.every((dep) => stored.includes(dep));
}
