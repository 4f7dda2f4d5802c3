// What a replica does on taking the Lease (a start, an upgrade, a failover), besides finishing the
// openings it saw as a standby: objects whose gate is already open but that still wait on their
// dependencies (Ready=False DependencyNotReady) had their dependencies turn Ready while nobody led,
// and Flux would look at them only at its next dependency poll (30 s; 5 s for ResourceSets). Each gets
// a reconcile request, through the same queue and rate limits as an opening, and an Event saying why
// (docs/behaviour.md, "After a restart").
//
// The Flux Operator marks a ResourceSet that waits on a dependency with the same condition as
// helm-controller and kustomize-controller (Ready=False, reason DependencyNotReady: flux-operator
// resourceset_controller.go), so one rule serves all three kinds.

import { RECONCILE_REQUESTED_AT } from "../flux/annotations.js";
import { gateAlreadyOpenMessage } from "../graph/messages.js";
import type { FluxObject, GateState, ObjectKey } from "../graph/types.js";
import { mayRequestReconcile } from "./transitions.js";
import type { GateEvent } from "./transitions.js";

/**
 * Whether a new leader should ask Flux to reconcile this object: its gate is open, it waits on its
 * dependencies, it is neither suspended nor being deleted, and no request is already waiting for Flux
 * (a requestedAt annotation Flux has not handled yet: a previous leader, or `flux reconcile`, asked).
 */
function wantsLeaderStartRequest(state: GateState | undefined, object: FluxObject | undefined): object is FluxObject {
  if (state?.state !== "open" || object === undefined || !mayRequestReconcile(object)) return false;
  const requestedAt = object.annotations?.[RECONCILE_REQUESTED_AT];
  return requestedAt === undefined || requestedAt === object.status?.lastHandledReconcileAt;
}

/** The objects of one kind a new leader asks Flux to reconcile, in the store's order. */
export function leaderStartRequests(
  states: ReadonlyMap<ObjectKey, GateState>,
  get: (key: ObjectKey) => FluxObject | undefined,
): Array<{ key: ObjectKey; object: FluxObject }> {
  const out: Array<{ key: ObjectKey; object: FluxObject }> = [];
  for (const [key, state] of states) {
    const object = get(key);
    if (wantsLeaderStartRequest(state, object)) out.push({ key, object });
  }
  return out;
}

/** The Event recorded on each object a new leader asks. */
export function leaderStartEvent(): GateEvent {
  return { type: "Normal", reason: "GateOpened", action: "CheckDependencies", note: gateAlreadyOpenMessage() };
}
