// The edge-adding path (docs/architecture.md, "Unconfirmed edges"): a review that adds a dependsOn edge
// and would be allowed is decided once more, on facts that cannot be behind, before the answer goes out.
//
// 1. The API server answers now: a consistent read (a LIST of one item, sent at most 250 ms before the
//    review arrived and shared by the reviews of that window: cluster/current-read.ts) must come back
//    within its bound, else the review fails closed (503). A replica cut off from the API server (a
//    stalled connection, a partition) decides no new edge, however fresh its cache looks.
// 2. Decide and record, in one synchronous step: the decision on cache ∪ unconfirmed edges, and, when it
//    allows, the object's edges joining the unconfirmed edges. Node runs one step at a time, so two
//    reviews on one replica are serialized here: the second sees the first's edges.
// 3. Tell the peers before answering (pending-peers.ts, POST /edges). Each peer checks the edges against
//    its own cache and unconfirmed edges, and keeps them (as unconfirmed) when they close no cycle. A
//    conflict is a denial naming the cycle; a peer that does not answer in its bound is a 503. Of two
//    replicas allowing halves of one cycle at once, whichever learns of the other's half second refuses.
//
// Reviews that add no edge never come here: they are answered from memory as before.
import { isGuardedKind } from "../flux/kinds.js";
import type { GraphView } from "../graph/dependency-graph.js";
import { findCycleThrough } from "../graph/cycles.js";
import { cycleProblemMessage, denialMessage } from "../graph/messages.js";
import { kindOfNode, nodeOf, resolveDependencies } from "../graph/refs.js";
import type { FluxKind, FluxObject, NodeKey } from "../graph/types.js";
import type { Decision } from "./decision.js";
import { deny } from "./decision.js";
import type { AdmissionRequest } from "./review.js";
import type { UnconfirmedEdge, UnconfirmedEdges } from "./unconfirmed-edges.js";

/** What peers said to an edge this replica is about to allow (pending-peers.ts EdgePeers). */
export type ProposalOutcome =
  | { type: "accepted" }
  /** A peer holds edges the new ones would close a cycle with: `cycle` as `[from, …, from]`. */
  | { type: "conflict"; cycle: NodeKey[]; peer: string }
  /** A peer did not answer within its bound, or refused for another reason: fail closed. */
  | { type: "unavailable"; error: string };

export interface EdgePeers {
  /** Announces the entry to every peer; resolves with the first conflict or failure, else accepted. */
  propose(entry: UnconfirmedEdge, added: readonly NodeKey[]): Promise<ProposalOutcome>;
  /** Takes an announced entry back from every peer (best effort, after the answer). */
  retract(id: string): void;
}

/**
 * The dependency nodes of kinds that can have edges of their own (only they can lead back) this request
 * adds; none for a dry-run (nothing is stored) unless `dryRunToo` (it is answered as the real request).
 */
export function addedEdges(request: AdmissionRequest, dryRunToo = false): NodeKey[] {
  if ((request.dryRun && !dryRunToo) || request.subResource !== undefined) return [];
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return [];
  const object = request.object;
  if (object === undefined || object.dependsOn.length === 0) return [];
  const old = request.operation === "UPDATE" ? request.oldObject : undefined;
  const before = old === undefined ? undefined : new Set(resolveDependencies(old).map((d) => d.node));
  const added = new Set<NodeKey>();
  for (const dep of resolveDependencies(object)) {
    if (before?.has(dep.node) === true) continue;
    if (isGuardedKind(kindOfNode(dep.node) as FluxKind)) added.add(dep.node);
  }
  return [...added];
}

/** Allowed for a reason that never looks at edges: nothing to guard (an object being deleted, an exempt namespace). */
export function guardsDecision(decision: Decision): boolean {
  return decision.allowed && decision.reason !== "deleting" && decision.reason !== "exempt" && decision.reason !== "unchecked" && decision.reason !== "subresource";
}

/** The object's edges as the unconfirmed entry keeps them: every resolved dependency node. */
export function dependencyNodes(object: FluxObject): NodeKey[] {
  return [...new Set(resolveDependencies(object).map((d) => d.node))];
}

/** A peer's conflict as the denial the requester sees: the cycle, as a local one would be named. */
export function conflictDenial(cycle: readonly NodeKey[], warnings: string[]): Decision {
  return deny("cycle", denialMessage([`${cycleProblemMessage(cycle)} (an edge of it is being admitted at this moment, possibly by another replica; if that write fails, try again)`]), warnings);
}

/** A closed path `[a, …, a]` as the same cycle from `start` (when it is on it). */
function rotated(cycle: readonly NodeKey[], start: NodeKey): NodeKey[] {
  const open = cycle.slice(0, -1);
  const at = open.indexOf(start);
  if (at < 0) return [...cycle];
  const turned = [...open.slice(at), ...open.slice(0, at)];
  return [...turned, start];
}

/** What a replica answers a peer's announced edges (pending-peers.ts, POST /edges). */
type PeerEdgesAnswer = { type: "accepted" } | { type: "conflict"; cycle: NodeKey[] } | { type: "full" };

/**
 * A peer is about to allow `object` with the new edges `added`: refuse when they close a cycle with this
 * replica's cache and unconfirmed edges, else keep them as unconfirmed until this replica's watch shows
 * them stored. One synchronous step, like the local decision. A tie with reviews of this replica still
 * waiting for their own peers is broken by id, the same way on both sides: when the peer's id sorts first
 * and setting aside the losing local reviews removes every cycle, those are marked lost (they will be
 * denied) and the peer's edges are kept; otherwise the peer is refused. So of two replicas deciding halves
 * of a cycle at once, one goes through, not neither.
 */
export function acceptPeerEdges(cache: GraphView, unconfirmed: UnconfirmedEdges, object: FluxObject, added: readonly NodeKey[], id: string, ttlMs: number): PeerEdgesAnswer {
  unconfirmed.settle(cache);
  const node = nodeOf(object);
  let cycle = findCycleThrough(unconfirmed.view(cache), node, added);
  if (cycle !== undefined) {
    const losers = unconfirmed.losersTo(id);
    const sacrificed = new Set<string>();
    // Set aside the losing reviews on the cycle found, and look again, until none is left or a cycle
    // remains that no losing review is on.
    while (cycle !== undefined) {
      const onCycle = new Set(cycle);
      const more = [...losers].filter(([loser, at]) => !sacrificed.has(loser) && onCycle.has(at)).map(([loser]) => loser);
      if (more.length === 0) return { type: "conflict", cycle };
      for (const loser of more) sacrificed.add(loser);
      cycle = findCycleThrough(unconfirmed.viewWithout(cache, sacrificed), node, added);
    }
    const first = findCycleThrough(unconfirmed.view(cache), node, added) ?? [];
    for (const loser of sacrificed) unconfirmed.markLost(loser, rotated(first, losers.get(loser)!));
  }
  return unconfirmed.add(object, dependencyNodes(object), { origin: "peer", id, ttlMs }) === undefined ? { type: "full" } : { type: "accepted" };
}
