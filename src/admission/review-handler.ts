// One AdmissionReview from body to answer: parse at the edge, refuse to guess before the cache has
// synced, decide on the cache's graph plus the pending batch, ask the peers only when about to deny a
// missing dependency, record an allowed dry-run CREATE as pending, render. No HTTP here (app.ts) and no
// rules here (decide.ts).
import { isGuardedKind } from "../flux/kinds.js";
import { objectKeyOf } from "../graph/refs.js";
import type { FluxKind, FluxObject, NodeKey, ObjectKey } from "../graph/types.js";
import { ConfirmedObjectsView } from "./confirmed-view.js";
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
export interface PendingPeerQuery {
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
  /** Reads the given missing names from the API server (cluster/missing-read.ts); preferred over the
   *  wait: "missing" is confirmed by one consistent read, bounded by cacheLagMs, never by sleeping. */
  confirmMissing?: (kind: FluxKind, keys: readonly ObjectKey[], timeoutMs: number) => Promise<FluxObject[]>;
  now?: () => number;
}

export type ReviewResult =
  | { type: "answer"; request: AdmissionRequest; decision: Decision; response: AdmissionReviewResponse; askedPeers: boolean }
  | { type: "bad-request"; error: string }
  | { type: "not-synced"; request: AdmissionRequest; error: string };

function decideNow(request: AdmissionRequest, ctx: AdmissionContext, confirmed: readonly FluxObject[] = []): Decision {
  const base = ctx.graphs.graph(request.kind);
  const view = confirmed.length === 0 ? base : new ConfirmedObjectsView(base, confirmed);
  const now = ctx.now?.();
  const hasPending = ctx.pending.size(request.kind) > 0;
  return decide(request, {
    graph: ctx.pending.view(view, now, request.username),
    ...(hasPending
      ? { isPending: (node: NodeKey) => !view.has(node) && ctx.pending.get(request.kind, objectKeyOf(node), now)?.username === request.username }
      : {}),
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
  const decision = decideNow(request, ctx);
  const lag = ctx.cacheLagMs ?? 1000;
  const mayResolve =
    !decision.allowed &&
    decision.unresolved !== undefined &&
    (ctx.peers !== undefined || (lag > 0 && (ctx.confirmMissing !== undefined || ctx.graphs.waitForKeys !== undefined)));
  if (!mayResolve) return finish(request, decision, ctx, false);
  return resolveMissing(request, decision, ctx, lag);
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
  const [learned, found] = await Promise.all([
    peers === undefined ? NONE_PENDING : peers.ask(request.kind, unresolved),
    read === undefined ? NONE_FOUND : read(request.kind, unresolved, lag),
  ]);
  let decision = learned.length > 0 || found.length > 0 ? decideNow(request, ctx, found) : first;
  if (read === undefined && lag > 0 && ctx.graphs.waitForKeys !== undefined && !decision.allowed && decision.unresolved !== undefined) {
    await ctx.graphs.waitForKeys(request.kind, decision.unresolved, lag);
    decision = decideNow(request, ctx);
  }
  return finish(request, decision, ctx, peers !== undefined);
}

const NONE_PENDING: Promise<PendingObject[]> = Promise.resolve([]);
const NONE_FOUND: Promise<FluxObject[]> = Promise.resolve([]);

function finish(request: AdmissionRequest, decision: Decision, ctx: AdmissionContext, askedPeers: boolean): ReviewResult {
  if (shouldRecordPending(request, decision) && request.object !== undefined) ctx.pending.record(request.object, { username: request.username });
  return { type: "answer", request, decision, response: renderAdmissionResponse(request.uid, decision), askedPeers };
}
