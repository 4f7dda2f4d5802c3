// Edges this replica has allowed (or a peer has announced) that the watch has not shown stored yet
// (docs/architecture.md, "Unconfirmed edges"). Between the webhook's answer and the watch event the API
// server stores the write, and a review decided on the cache alone in that gap would not see the edge:
// two requests closing halves of one cycle would both be allowed. So every allowed edge-adding review
// leaves its object's new edges here, and every decision reads the cache's graph with these edges added
// (graph-overlay.ts withExtraEdges).
//
// An entry goes when the cache holds the node with all of its edges (observed), when every review that
// held it took it back (each was answered with a denial after all: the write never happens), or after
// `ttlMs` — longer than kube-apiserver's request timeout (60 s), by which a write it admitted has been
// stored or has failed. The count is bounded; when full, edge-adding reviews fail closed (the caller
// answers 503) rather than forget an edge that may still be stored.
import { randomUUID } from "node:crypto";
import type { GraphView } from "../graph/dependency-graph.js";
import { withExtraEdges } from "../graph/graph-overlay.js";
import type { ExtraEdges } from "../graph/graph-overlay.js";
import { nodeOf } from "../graph/refs.js";
import type { FluxObject, NodeKey } from "../graph/types.js";

const DEFAULT_UNCONFIRMED_TTL_MS = 75_000;
const DEFAULT_MAX_UNCONFIRMED = 5_000;
const SETTLE_EVERY_MS = 50;

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

interface UnconfirmedEdgesOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/** One set of edges of one node, held by the reviews (here or on peers) that allowed it. */
interface Held {
  entry: UnconfirmedEdge;
  /** Ids of reviews still deciding (a peer's announcement counts until taken back or expired). */
  holders: Set<string>;
  /** A review here allowed it: taking another holder back does not drop it. */
  committed: boolean;
}

export class UnconfirmedEdges implements ExtraEdges {
  readonly ttlMs: number;
  readonly maxEntries: number;
  private readonly now: () => number;
  /** By node and edges: the same change allowed again (a retried apply) refreshes one entry. */
  private readonly entries = new Map<string, Held>();
  private readonly byId = new Map<string, string>();
  /** Ids of reviews on this replica still waiting for their peers (added locally, not yet committed or removed). */
  private readonly localPending = new Set<string>();
  /** Local pending reviews that lost a tie to a peer's conflicting edges, with the cycle: they must be denied. */
  private readonly lostTo = new Map<string, NodeKey[]>();
  /** Per node, the union of its entries' edges (several in-flight writes of one object add up), and the entries' keys. */
  private readonly byNode = new Map<NodeKey, { object: FluxObject; dependencies: readonly NodeKey[]; keys: Set<string> }>();
  /** When settle last looked at every entry: it looks at most every SETTLE_EVERY_MS (a late drop only finds more cycles). */
  private settledAt = Number.NEGATIVE_INFINITY;

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
    return [...this.entries.values()].map((held) => held.entry);
  }

  /**
   * Adds the edges a review is about to allow, held by `id` (a new one unless given: a peer's keeps the
   * id it was announced with); undefined when the bound is reached (nothing added: the caller must not
   * allow). The same node with the same edges refreshes the entry it already has.
   */
  add(object: FluxObject, dependencies: readonly NodeKey[], options: { origin?: "local" | "peer"; id?: string; ttlMs?: number } = {}): UnconfirmedEdge | undefined {
    const now = this.now();
    const node = nodeOf(object);
    const edges = [...new Set(dependencies)];
    const key = `${node}\u0000${[...edges].sort().join("\u0000")}`;
    const id = options.id ?? randomUUID();
    const ttl = Math.max(0, Math.min(options.ttlMs ?? this.ttlMs, this.ttlMs));
    const held = this.entries.get(key);
    if (held === undefined && this.entries.size >= this.maxEntries) this.expire(now);
    if (held === undefined && this.entries.size >= this.maxEntries) return undefined;
    const expiresAt = Math.max(held?.entry.expiresAt ?? 0, now + ttl);
    const entry: UnconfirmedEdge = {
      id,
      node,
      object: { kind: object.kind, namespace: object.namespace, name: object.name, dependsOn: object.dependsOn },
      dependencies: edges,
      expiresAt,
      origin: options.origin ?? "local",
    };
    const holders = held?.holders ?? new Set<string>();
    holders.add(id);
    this.entries.set(key, { entry, holders, committed: held?.committed ?? false });
    this.byId.set(id, key);
    if ((options.origin ?? "local") === "local") this.localPending.add(id);
    if (held === undefined) {
      const union = this.byNode.get(node);
      if (union === undefined) this.byNode.set(node, { object: entry.object, dependencies: edges, keys: new Set([key]) });
      else this.byNode.set(node, { object: entry.object, dependencies: [...new Set([...union.dependencies, ...edges])], keys: union.keys.add(key) });
    }
    return entry;
  }

  /** The review holding `id` was allowed: the entry stays until observed or expired. */
  commit(id: string): void {
    this.localPending.delete(id);
    this.lostTo.delete(id);
    const key = this.byId.get(id);
    this.byId.delete(id);
    const held = key === undefined ? undefined : this.entries.get(key);
    if (held === undefined) return;
    held.holders.delete(id);
    held.committed = true;
  }

  /** Takes a holder back (its review ended in a denial: the write never comes); the entry goes with its last holder. */
  remove(id: string): boolean {
    this.localPending.delete(id);
    this.lostTo.delete(id);
    const key = this.byId.get(id);
    if (key === undefined) return false;
    this.byId.delete(id);
    const held = this.entries.get(key);
    if (held === undefined) return false;
    held.holders.delete(id);
    if (held.holders.size === 0 && !held.committed) this.drop(key);
    return true;
  }

  /**
   * Drops expired entries and those the cache's graph now shows stored: the node with every one of the
   * entry's edges. `cache` must be the watch's graph, never a view with reads or pending objects on it.
   */
  settle(cache: GraphView, now = this.now()): void {
    if (this.entries.size === 0 || now - this.settledAt < SETTLE_EVERY_MS) return;
    this.settledAt = now;
    for (const [key, held] of this.entries) {
      if (held.entry.expiresAt <= now || observed(cache, held.entry)) this.drop(key);
    }
  }

  /** `base` with every unconfirmed edge added (base itself when there are none). */
  view(base: GraphView): GraphView {
    return withExtraEdges(base, this);
  }

  /** The cycle a local review lost to a peer's edges (it must be denied), if it lost. */
  lostCycle(id: string): NodeKey[] | undefined {
    return this.lostTo.get(id);
  }

  /**
   * Local reviews still waiting for their peers whose id sorts after `id`: they lose a tie with that
   * peer's review (both replicas order the two the same way, so exactly one of two conflicting reviews
   * deciding at once goes through). With the entries they alone hold, by node.
   */
  losersTo(id: string): Map<string, NodeKey> {
    const losers = new Map<string, NodeKey>();
    for (const pending of this.localPending) {
      if (pending <= id || this.lostTo.has(pending)) continue;
      const key = this.byId.get(pending);
      const held = key === undefined ? undefined : this.entries.get(key);
      if (held !== undefined && !held.committed && held.holders.size === 1) losers.set(pending, held.entry.node);
    }
    return losers;
  }

  /** `base` with the unconfirmed edges except those held only by `excluded` reviews. */
  viewWithout(base: GraphView, excluded: ReadonlySet<string>): GraphView {
    if (excluded.size === 0) return this.view(base);
    const skip = new Set<string>();
    for (const id of excluded) {
      const key = this.byId.get(id);
      if (key !== undefined) skip.add(key);
    }
    const byNode = new Map<NodeKey, { object: FluxObject; dependencies: readonly NodeKey[] }>();
    for (const [key, held] of this.entries) {
      if (skip.has(key)) continue;
      const seen = byNode.get(held.entry.node);
      byNode.set(held.entry.node, { object: held.entry.object, dependencies: seen === undefined ? held.entry.dependencies : [...new Set([...seen.dependencies, ...held.entry.dependencies])] });
    }
    return withExtraEdges(base, byNode);
  }

  /** A local review lost a tie: it will be denied with `cycle` when its peers have answered. */
  markLost(id: string, cycle: NodeKey[]): void {
    if (this.localPending.has(id)) this.lostTo.set(id, cycle);
  }

  private drop(key: string): void {
    const held = this.entries.get(key);
    if (held === undefined) return;
    for (const id of held.holders) this.byId.delete(id);
    this.entries.delete(key);
    // The node's union, from the entries it has left.
    const node = held.entry.node;
    const union = this.byNode.get(node);
    if (union === undefined) return;
    union.keys.delete(key);
    const rest = [...union.keys].map((k) => this.entries.get(k)!.entry);
    if (rest.length === 0) this.byNode.delete(node);
    else this.byNode.set(node, { object: rest.at(-1)!.object, dependencies: [...new Set(rest.flatMap((e) => e.dependencies))], keys: union.keys });
  }

  private expire(now: number): void {
    for (const [key, held] of this.entries) if (held.entry.expiresAt <= now) this.drop(key);
  }
}

function observed(cache: GraphView, entry: UnconfirmedEdge): boolean {
  if (!cache.has(entry.node)) return false;
  const stored = cache.dependencyKeys(entry.node);
  return entry.dependencies.every((dep) => stored.includes(dep));
}
