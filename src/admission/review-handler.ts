// One AdmissionReview from body to answer: parse at the edge, refuse to guess before the cache has
// synced, decide on the cache's graph plus the pending batch, ask the peers only when about to deny a
// missing dependency, record an allowed dry-run CREATE as pending, render. No HTTP here (app.ts) and no
// rules here (decide.ts).
import { foundObjects } from "../cluster/missing-read.js";
import type { ConfirmMissing, MissingDependency, ReadOutcome } from "../cluster/missing-read.js";
import { GUARDED_KINDS, isGuardedKind } from "../flux/kinds.js";
import { isCrossKindEntry, kindOfNode, objectKeyOf } from "../graph/refs.js";
import type { FluxKind, FluxObject, NodeKey, ObjectKey } from "../graph/types.js";
import type { GraphView } from "../graph/dependency-graph.js";
import { ConfirmedObjectsView } from "./confirmed-view.js";
import { addedEdges, conflictDenial, dependencyNodes, guardsDecision } from "./edge-guard.js";
import type { EdgePeers } from "./edge-guard.js";
import type { ConfirmCurrent } from "../cluster/current-read.js";
import type { UnconfirmedEdges } from "./unconfirmed-edges.js";
import type { AdmissionGraphSource } from "./admission-graphs.js";
import { decide, shouldRecordPending } from "./decide.js";
import type { Decision } from "./decision.js";
import type { PendingBatch, PendingObject } from "./pending-batch.js";
import type { AdmissionPolicy } from "./policy.js";
import { renderAdmissionResponse } from "./render.js";
import type { AdmissionReviewResponse } from "./render.js";
import { parseAdmissionReview } from "./review.js";
import type { AdmissionRequest } from "./review.js";

/** Peers that may know pending objects this replica does not (pending-peers.ts). */
interface PendingPeerQuery {
  ask(kind: FluxKind, keys: readonly ObjectKey[]): Promise<PendingObject[]>;
}

export interface AdmissionContext {
  graphs: AdmissionGraphSource;
  pending: PendingBatch;
  policy: AdmissionPolicy;
  peers?: PendingPeerQuery;
  /** Whether a namespace is terminating, when a namespace watch is available (see decide.ts). */
  namespaceTerminating?: (namespace: string) => boolean;
  /**
   * How long a denial for missing dependencies waits for the cache to catch up (default 1000 ms; 0 for
   * none). `kubectl apply -f redis.yaml -f backend.yaml` sends backend the moment redis is stored, and
   * the watch event for redis may still be on its way to this replica (or to the other one).
   */
  cacheLagMs?: number;
  /** Reads the given missing dependencies from the API server (cluster/missing-read.ts); preferred over the
   *  wait: "missing" is confirmed by one consistent read, bounded by cacheLagMs, never by sleeping. */
  confirmMissing?: ConfirmMissing;
  now?: () => number;
  /**
   * Edges allowed and not yet seen stored (unconfirmed-edges.ts). With it, a review that adds a dependsOn
   * edge takes the edge-adding path (edge-guard.ts): one read proving the API server answers, the
   * decision and the record in one step, the peers told before the answer.
   */
  unconfirmed?: UnconfirmedEdges;
  /** The other replicas, told of every edge this one allows before it answers (pending-peers.ts). */
  edgePeers?: EdgePeers;
  /** A consistent read that proves the API server answers now (cluster/current-read.ts); without it the
   *  edge-adding path decides on the cache and the unconfirmed edges alone (tests of the rules). */
  confirmCurrent?: ConfirmCurrent;
  /** The bound on that read (default 1000 ms); past it the review gets a 503. */
  currentReadTimeoutMs?: number;
}

export type AnswerSource = "memory" | "reads" | "path";

export type ReviewResult =
  | {
      type: "answer";
      request: AdmissionRequest;
      decision: Decision;
      response: AdmissionReviewResponse;
      askedPeers: boolean;
      /** "memory": decided from the cache and the pending batch alone; "reads": after the deny path's
       *  questions (peers, the API server, the cache catching up), which the answer waited for. */
      source: AnswerSource;
    }
  | { type: "bad-request"; error: string }
  | { type: "not-synced"; request: AdmissionRequest; error: string }
  /** The edge-adding path could not make sure (the API server or a peer did not answer, too many edges in flight): 503. */
  | { type: "unavailable"; request: AdmissionRequest; error: string };

/** A ResourceSet, or a HelmRelease or Kustomization with an entry naming another kind (the Flux RFC): its dependencies may be of any cached kind. */
function namesOtherKinds(request: AdmissionRequest): boolean {
  if (request.kind === "ResourceSet") return true;
  const object = request.object;
  return object !== undefined && object.dependsOn.some((entry) => isCrossKindEntry(object, entry));
}

function decideNow(request: AdmissionRequest, ctx: AdmissionContext, confirmed?: ReadonlyMap<NodeKey, ReadOutcome>, suggest = true): Decision {
  const base = ctx.graphs.graph(request.kind);
  let view: GraphView = confirmed === undefined ? base : new ConfirmedObjectsView(base, foundObjects(confirmed), existingNodes(confirmed));
  // Only an added edge can close a cycle: reviews that add none (most) decide on the cache as before.
  if (ctx.unconfirmed !== undefined && ctx.unconfirmed.count > 0 && addedEdges(request, true).length > 0) view = withUnconfirmed(view, base, ctx);
  const now = ctx.now?.();
  // A ResourceSet's dependency may be of another kind, pending under its own kind.
  const pendingKinds: readonly FluxKind[] = namesOtherKinds(request) ? GUARDED_KINDS : [request.kind];
  const hasPending = pendingKinds.some((kind) => ctx.pending.size(kind) > 0);
  const pendingOf = (node: NodeKey) => {
    const kind = kindOfNode(node);
    return (pendingKinds as readonly string[]).includes(kind) ? ctx.pending.get(kind as FluxKind, objectKeyOf(node), now) : undefined;
  };
  return decide(request, {
    graph: ctx.pending.view(view, now, request.username),
    ...(hasPending ? { isPending: (node: NodeKey) => !view.has(node) && pendingOf(node)?.username === request.username } : {}),
    ...(confirmed === undefined ? {} : { confirmed }),
    ...(suggest ? {} : { suggest: false }),
    dependents: base,
    policy: ctx.policy,
    ...(ctx.namespaceTerminating ? { namespaceTerminating: ctx.namespaceTerminating } : {}),
  });
}

/**
 * Reviews one body. Synchronous on every path but one: a denial for missing dependencies first asks the
 * peers and lets the cache catch up, which returns a promise. The hot allow path allocates no promise.
 */
export function reviewAdmission(body: unknown, ctx: AdmissionContext): ReviewResult | Promise<ReviewResult> {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return { type: "bad-request", error: parsed.error };
  const request = parsed.request;
  if (isGuardedKind(request.kind) && !ctx.graphs.isSynced(request.kind)) {
    return { type: "not-synced", request, error: `the ${request.kind} cache has not synced yet; try again shortly` };
  }
  // A ResourceSet's entries may name the other cached kinds: their caches must have loaded too.
  const lagging = namesOtherKinds(request) && request.object !== undefined ? unsyncedDependencyKind(request.object, ctx.graphs) : undefined;
  if (lagging !== undefined) return { type: "not-synced", request, error: `the ${lagging} cache has not synced yet; try again shortly` };
  // A first look without "did you mean": a missing dependency is read (or asked about) and decided on
  // again, and only that second decision's messages are shown; the search for close names is the
  // deny path's costliest step (graph/suggest.ts).
  const decision = decideNow(request, ctx, undefined, false);
  const lag = ctx.cacheLagMs ?? 1000;
  const mayResolve =
    !decision.allowed &&
    decision.unresolved !== undefined &&
    (ctx.peers !== undefined || (lag > 0 && (ctx.confirmMissing !== undefined || ctx.graphs.waitForKeys !== undefined)));
  if (!mayResolve) {
    const final = decision.suggestionsLeftOut === true ? decideNow(request, ctx) : decision;
    return guarded(request, final, ctx) ? guardEdges(request, ctx) : finish(request, final, ctx, false, "memory");
  }
  return resolveMissing(request, decision, ctx, lag);
}

/** The cache's graph (and what the deny path's reads added to it) with the unconfirmed edges; `cache` is the watch's own graph. */
function withUnconfirmed(view: GraphView, cache: GraphView, ctx: AdmissionContext): GraphView {
  const unconfirmed = ctx.unconfirmed;
  if (unconfirmed === undefined || unconfirmed.count === 0) return view;
  unconfirmed.settle(cache);
  return unconfirmed.view(view);
}

/** An allowed review that adds an edge, with the edge-adding path available: it takes that path. */
function guarded(request: AdmissionRequest, decision: Decision, ctx: AdmissionContext): boolean {
  return ctx.unconfirmed !== undefined && guardsDecision(decision) && addedEdges(request).length > 0;
}

/**
 * The edge-adding path (edge-guard.ts): make sure the API server answers now, decide again and record the
 * edges in one synchronous step, tell the peers, then answer. Every way it cannot make sure ends in a
 * 503, never in an allowed guess.
 */
async function guardEdges(request: AdmissionRequest, ctx: AdmissionContext, confirmed?: ReadonlyMap<NodeKey, ReadOutcome>): Promise<ReviewResult> {
  const object = request.object!;
  const unconfirmed = ctx.unconfirmed!;
  if (ctx.confirmCurrent !== undefined) {
    const bound = ctx.currentReadTimeoutMs ?? 1000;
    const current = await ctx.confirmCurrent(request.kind, request.namespace, bound);
    if (!current.ok) return { type: "unavailable", request, error: `not allowing a new dependsOn edge while the API server does not answer (its cache may be behind): ${current.error}; try again shortly` };
  }
  // From here to the record, one synchronous step: no other review runs in between.
  if (isGuardedKind(request.kind) && !ctx.graphs.isSynced(request.kind)) {
    return { type: "not-synced", request, error: `the ${request.kind} cache has not synced yet; try again shortly` };
  }
  // What the deny path's reads found (a dependency of a kind releasegate does not cache) still counts.
  const decision = decideNow(request, ctx, confirmed, true);
  if (!guardsDecision(decision)) return finish(request, decision, ctx, false, "path");
  const entry = unconfirmed.add(object, dependencyNodes(object));
  if (entry === undefined) {
    return { type: "unavailable", request, error: `${unconfirmed.maxEntries} allowed dependsOn changes are waiting to be seen stored; try again shortly` };
  }
  const peers = ctx.edgePeers;
  if (peers === undefined) {
    unconfirmed.commit(entry.id);
    return finish(request, decision, ctx, false, "path");
  }
  const outcome = await peers.propose(entry, addedEdges(request));
  // A peer's review that won a tie with this one while it waited (edge-guard.ts acceptPeerEdges).
  const lost = unconfirmed.lostCycle(entry.id);
  if (outcome.type === "accepted" && lost === undefined) {
    unconfirmed.commit(entry.id);
    return finish(request, decision, ctx, true, "path");
  }
  // The write will not happen: take the edges back here and from the peers that kept them.
  unconfirmed.remove(entry.id);
  peers.retract(entry.id);
  if (lost !== undefined) return finish(request, conflictDenial(lost, decision.warnings), ctx, true, "path");
  if (outcome.type === "conflict") return finish(request, conflictDenial(outcome.cycle, decision.warnings), ctx, true, "path");
  const error = outcome.type === "unavailable" ? outcome.error : "no answer";
  return { type: "unavailable", request, error: `not allowing a new dependsOn edge without every replica's agreement: ${error}; try again shortly` };
}

/**
 * The deny path for missing dependencies: one may be pending on a peer (its dry-run went there), or
 * stored a moment ago and not yet seen by this replica's cache. The peers and the API server are asked
 * at once, both after the request arrived (so neither answer is older than the request): the denial
 * waits for the slower of the two, not for one after the other. The read covers every name the cache
 * lacks, also those a peer turns out to hold pending: a few GETs more, never a name less.
 */
async function resolveMissing(request: AdmissionRequest, first: Decision, ctx: AdmissionContext, lag: number): Promise<ReviewResult> {
  const unresolved = (!first.allowed && first.unresolved) || [];
  const peers = ctx.peers;
  const read = lag > 0 ? ctx.confirmMissing : undefined;
  const byKind = cachedKeysByKind(unresolved);
  const askPeers = peers !== undefined && byKind.size > 0;
  const [learned, outcomes] = await Promise.all([
    peers !== undefined && byKind.size > 0 ? Promise.all([...byKind].map(([kind, keys]) => peers.ask(kind, keys))) : NONE_PENDING,
    read === undefined ? NONE_READ : read(unresolved, lag),
  ]);
  const again = learned.some((list) => list.length > 0) || outcomes !== undefined || first.suggestionsLeftOut === true;
  let decision = again ? decideNow(request, ctx, outcomes) : first;
  if (read === undefined && lag > 0 && ctx.graphs.waitForKeys !== undefined && !decision.allowed && decision.unresolved !== undefined) {
    const graphs = ctx.graphs;
    await Promise.all([...cachedKeysByKind(decision.unresolved)].map(([kind, keys]) => graphs.waitForKeys!(kind, keys, lag)));
    decision = decideNow(request, ctx);
  }
  if (guarded(request, decision, ctx)) return guardEdges(request, ctx, outcomes);
  return finish(request, decision, ctx, askPeers, "reads");
}

const NONE_PENDING: Promise<PendingObject[][]> = Promise.resolve([]);
const NONE_READ: Promise<ReadonlyMap<NodeKey, ReadOutcome> | undefined> = Promise.resolve(undefined);

function finish(request: AdmissionRequest, decision: Decision, ctx: AdmissionContext, askedPeers: boolean, source: AnswerSource): ReviewResult {
  if (shouldRecordPending(request, decision) && request.object !== undefined) ctx.pending.record(request.object, { username: request.username });
  return { type: "answer", request, decision, response: renderAdmissionResponse(request.uid, decision), askedPeers, source };
}

/** The missing dependencies of the kinds releasegate caches, as `ns/name` per kind (what peers and caches are asked by). */
function cachedKeysByKind(dependencies: readonly MissingDependency[]): Map<FluxKind, ObjectKey[]> {
  const byKind = new Map<FluxKind, ObjectKey[]>();
  for (const dep of dependencies) {
    const kind = kindOfNode(dep.node);
    if (!(GUARDED_KINDS as readonly string[]).includes(kind)) continue;
    const list = byKind.get(kind as FluxKind) ?? [];
    list.push(objectKeyOf(dep.node));
    byKind.set(kind as FluxKind, list);
  }
  return byKind;
}

/** Nodes a read found to exist that are of kinds releasegate does not cache (no object to add to the graph). */
function existingNodes(outcomes: ReadonlyMap<NodeKey, ReadOutcome>): NodeKey[] {
  const nodes: NodeKey[] = [];
  for (const [node, outcome] of outcomes) if (outcome.state === "exists" && outcome.object === undefined) nodes.push(node);
  return nodes;
}

/** A cached kind the object's entries name whose store has not loaded yet (kinds without a store have no objects to wait for). */
function unsyncedDependencyKind(object: FluxObject, graphs: AdmissionGraphSource): FluxKind | undefined {
  if (object.dependsOn.length === 0) return undefined;
  const unsynced = graphs.unsyncedKinds();
  return unsynced.find((kind) => object.dependsOn.some((entry) => entry.kind === kind));
}
