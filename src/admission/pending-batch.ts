// The pending batch (docs/behaviour.md, The pending batch). Flux's kustomize-controller server-side dry-runs
// every object of a Kustomization before applying any (fluxcd/pkg ssa.ApplyAll) and aborts on the first
// dry-run error, so `backend` (dependsOn redis) and `redis` added together must both pass their dry-run
// while neither exists. Every dry-run CREATE therefore records its object here for a short TTL:
// - a pending object satisfies "the dependency exists" (a real request naming it is allowed with a warning);
// - a pending object joins the graph (PendingGraphView), so a cycle through it is still denied.
// This is plain memory, read on the request path without I/O; pending-peers.ts shares it between replicas.
//
// A pending object counts only for requests from the same user as its dry-run (`userInfo.username`):
// Flux dry-runs and applies a batch as one service account, and anyone else who can reach the webhook
// port cannot switch the missing-dependency check off for other people's objects with a fake dry-run.
//
// Only objects the cache does not hold count: for an existing object the cache is the truth, and a dry-run
// UPDATE (e.g. `kubectl diff`) never rewrites its edges.
import { layersWith } from "../graph/dependency-graph.js";
import type { GraphLayers, GraphView } from "../graph/dependency-graph.js";
import { nodeOf, objectKey, objectKeyOf, resolveDependencies, splitNodeKey } from "../graph/refs.js";
import type { DependencyEntry, FluxKind, FluxObject, NodeKey, ObjectKey } from "../graph/types.js";

/** One pending object: what a dry-run CREATE (here or on a peer) said it would create. */
export interface PendingObject {
  kind: FluxKind;
  key: ObjectKey;
  namespace: string;
  name: string;
  dependsOn: DependencyEntry[];
  /** Resolved, de-duplicated dependency keys, for the graph view. */
  dependencyKeys: readonly NodeKey[];
  /** Local clock, milliseconds. */
  expiresAt: number;
  /** Recorded from a request this replica answered, or learned from a peer (never re-announced). */
  origin: "local" | "peer";
  /** Who sent the dry-run (`userInfo.username`); only their requests see this entry. */
  username: string | undefined;
}

interface PendingBatchOptions {
  /** How long a dry-run stays pending; docs/behaviour.md, The pending batch: 120 s by default. */
  ttlMs?: number;
  /** Bound per kind, so a flood of dry-runs cannot grow memory without end; the oldest go first. */
  maxPerKind?: number;
  now?: () => number;
}

type PendingListener = (entry: PendingObject) => void;

export class PendingBatch {
  readonly ttlMs: number;
  private readonly maxPerKind: number;
  private readonly now: () => number;
  private readonly byKind: Record<FluxKind, Map<ObjectKey, PendingObject>> = { HelmRelease: new Map(), Kustomization: new Map(), ResourceSet: new Map() };
  private readonly listeners = new Set<PendingListener>();

  constructor(options: PendingBatchOptions = {}) {
    this.ttlMs = options.ttlMs ?? 120_000;
    this.maxPerKind = options.maxPerKind ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Records a dry-run's object as pending for `ttlMs` (the batch's TTL by default) and tells the
   * listeners (the peer announcer) when it was recorded here. A newer record replaces an older one.
   */
  record(object: FluxObject, options: { origin?: "local" | "peer"; ttlMs?: number; username?: string | undefined } = {}): PendingObject {
    const origin = options.origin ?? "local";
    const ttl = Math.max(0, Math.min(options.ttlMs ?? this.ttlMs, this.ttlMs));
    const key = objectKey(object.namespace, object.name);
    const entry: PendingObject = {
      kind: object.kind,
      key,
      namespace: object.namespace,
      name: object.name,
      dependsOn: object.dependsOn.map((d) => ({ ...d })),
      dependencyKeys: [...new Set(resolveDependencies(object).map((d) => d.node))],
      expiresAt: this.now() + ttl,
      origin,
      username: options.username,
    };
    const map = this.byKind[object.kind];
    const existing = map.get(key);
    // A peer's copy never shortens or overrides what this replica saw itself more recently.
    if (existing !== undefined && origin === "peer" && existing.expiresAt >= entry.expiresAt) return existing;
    map.delete(key);
    map.set(key, entry);
    this.evict(map);
    if (origin === "local") for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /** The live pending object of that kind and key, if any. */
  get(kind: FluxKind, key: ObjectKey, now = this.now()): PendingObject | undefined {
    const map = this.byKind[kind];
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Live pending objects of a kind. */
  list(kind: FluxKind, now = this.now()): PendingObject[] {
    this.prune(now);
    return [...this.byKind[kind].values()];
  }

  size(kind: FluxKind): number {
    return this.byKind[kind].size;
  }

  /** Called with every locally recorded entry (not with entries learned from peers). */
  onRecord(listener: PendingListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops expired entries. */
  prune(now = this.now()): void {
    for (const map of Object.values(this.byKind)) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
  }

  /** The cache's graph with the live pending objects of `username`'s dry-runs added (see PendingGraphView). */
  view(base: GraphView, now = this.now(), username?: string): GraphView {
    const empty = Object.values(this.byKind).every((map) => map.size === 0);
    return empty ? base : new PendingGraphView(base, this, now, username);
  }

  private evict(map: Map<ObjectKey, PendingObject>): void {
    while (map.size > this.maxPerKind) {
      const oldest = map.keys().next();
      if (oldest.done === true) return;
      map.delete(oldest.value);
    }
  }
}

/**
 * A read-only GraphView: the cache's objects, plus pending objects the cache does not hold. A pending
 * object is shown as a FluxObject with its name, namespace and dependsOn (all releasegate knows of it).
 */
class PendingGraphView implements GraphView {
  constructor(
    private readonly base: GraphView,
    private readonly batch: PendingBatch,
    private readonly now: number,
    /** The requester: only pending objects from their own dry-runs are seen. */
    private readonly username?: string,
  ) {}

  /** The pending object for `key` (a node of the one graph, `Kind/ns/name`) of this requester, if any. */
  private entry(key: NodeKey): PendingObject | undefined {
    const kind = splitNodeKey(key).kind;
    if (!(PENDING_KINDS as readonly string[]).includes(kind)) return undefined;
    const entry = this.batch.get(kind as FluxKind, objectKeyOf(key), this.now);
    return entry !== undefined && entry.username === this.username ? entry : undefined;
  }

  /** The pending object for `key` when the cache does not hold it. */
  pending(key: NodeKey): PendingObject | undefined {
    if (this.base.has(key)) return undefined;
    return this.entry(key);
  }

  has(key: NodeKey): boolean {
    return this.base.has(key) || this.entry(key) !== undefined;
  }

  get(key: NodeKey): FluxObject | undefined {
    const cached = this.base.get(key);
    if (cached !== undefined) return cached;
    const entry = this.entry(key);
    if (entry === undefined) return undefined;
    return { kind: entry.kind, namespace: entry.namespace, name: entry.name, dependsOn: entry.dependsOn };
  }

  dependencyKeys(key: NodeKey): readonly NodeKey[] {
    if (this.base.has(key)) return this.base.dependencyKeys(key);
    return this.entry(key)?.dependencyKeys ?? [];
  }

  *keys(): Iterable<NodeKey> {
    yield* this.base.keys();
    yield* this.pendingNodes();
  }

  *suggestionCandidates(missing: NodeKey): Iterable<NodeKey> {
    yield* this.base.suggestionCandidates?.(missing) ?? this.base.keys();
    yield* this.pendingNodes();
  }

  /** Only adds to its base: pending objects the base does not hold. */
  layered(): GraphLayers | undefined {
    return layersWith(this.base);
  }

  private *pendingNodes(): Iterable<NodeKey> {
    for (const kind of PENDING_KINDS) {
      for (const entry of this.batch.list(kind, this.now)) {
        const node = nodeOf(entry);
        if (entry.username === this.username && !this.base.has(node)) yield node;
      }
    }
  }
}

const PENDING_KINDS: readonly FluxKind[] = ["HelmRelease", "Kustomization", "ResourceSet"];
