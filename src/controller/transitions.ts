// What the controller does when an object's gate state changes, as pure functions of the state before,
// the state after and the object (docs/behaviour.md, Code conventions): which Event to record, and whether
// to ask Flux to reconcile now. The controller only carries the answers out.
//
// Flux's helm-controller and kustomize-controller mark an object that waits on a dependency with
// Ready=False, reason DependencyNotReady, and look again only after --requeue-dependency (30 s). A
// reconcile request (the reconcile.fluxcd.io/requestedAt annotation) makes them look now; it is only
// useful for an object in that state, and Flux ignores suspended objects, so those are never asked.

import { RECONCILE_REQUESTED_AT } from "../flux/annotations.js";
import { DEPENDENCY_NOT_READY_REASON, READY_CONDITION } from "../flux/conditions.js";
import { sameGate } from "../graph/gate-rules.js";
import { blockedMessage, gateOpenedMessage, isReleasegateBlindMessage, isReleasegateCatchingUpMessage } from "../graph/messages.js";
import type { BlockedGate, FluxObject, GateState } from "../graph/types.js";

/** The reasons of the Events releasegate records (events.k8s.io/v1 `reason`). */
type GateEventReason = "DependencyBlocked" | "DependencyCycle" | "DependencyMissing" | "GateOpened";

export interface GateEvent {
  type: "Normal" | "Warning";
  reason: GateEventReason;
  /** events.k8s.io/v1 `action`: what releasegate did. */
  action: "CheckDependencies";
  note: string;
}

interface TransitionInput {
  /** Undefined when the object was not known before (new, or first seen after a start). */
  before: GateState | undefined;
  /** Undefined when the object is gone. */
  after: GateState | undefined;
  /** The object now (undefined when gone). */
  object: FluxObject | undefined;
  /** The object's dependencies as the GateOpened note names them (messages.ts, dependencyNames). */
  dependencies?: readonly string[];
}

interface TransitionActions {
  /** The Event for the new state, if it deserves one. The caller deduplicates against what it recorded. */
  event: GateEvent | undefined;
  /** The gate went from blocked to open. */
  opened: boolean;
  /** Ask Flux to reconcile now: the gate opened and the object waits on its dependencies. */
  requestReconcile: boolean;
  /** The gate opened on an object that waits but is suspended: no request, by design. */
  skippedSuspended: boolean;
}

/** Ready=False with reason DependencyNotReady: Flux will look again only at its next dependency poll. */
function waitsOnDependencies(object: FluxObject): boolean {
  const ready = object.status?.conditions?.find((c) => c.type === READY_CONDITION);
  return ready !== undefined && ready.status !== "True" && ready.reason === DEPENDENCY_NOT_READY_REASON;
}

/** Whether a reconcile request for this object now would be useful and allowed. */
export function mayRequestReconcile(object: FluxObject): boolean {
  return waitsOnDependencies(object) && object.suspend !== true && object.deleting !== true;
}

/** What to do with an opening (a gate that went Blocked → Open and has not been answered yet). */
type OpeningAction = "request" | "forget" | "wait";

/**
 * An opening is answered by one reconcile request, sent once the object waits on its dependencies
 * (Flux may write DependencyNotReady only after the gate opened). It is forgotten when the object is
 * gone, or when its requestedAt annotation is no longer what it was at the opening: someone else
 * (a previous leader, `flux reconcile`) asked already. Otherwise it waits.
 */
export function decideOpening(requestedAtThen: string | undefined, object: FluxObject | undefined): OpeningAction {
  if (object === undefined) return "forget";
  if (object.annotations?.[RECONCILE_REQUESTED_AT] !== requestedAtThen) return "forget";
  return mayRequestReconcile(object) ? "request" : "wait";
}

/** The Event describing a gate state: one reason per blocked kind, GateOpened for open. */
export function eventFor(state: GateState, dependencies?: readonly string[], kind?: string): GateEvent {
  if (state.state === "open") {
    return { type: "Normal", reason: "GateOpened", action: "CheckDependencies", note: gateOpenedMessage(dependencies) };
  }
  const note = blockedMessage(state, kind);
  switch (state.reason) {
    case "Cycle":
      return { type: "Warning", reason: "DependencyCycle", action: "CheckDependencies", note };
    case "Missing":
      return { type: "Warning", reason: "DependencyMissing", action: "CheckDependencies", note };
    case "Failed":
      return { type: "Warning", reason: "DependencyBlocked", action: "CheckDependencies", note };
    case "NotReady":
    case "Suspended":
      // Waiting on a dependency that is still installing, or on purpose: normal operation.
      return { type: "Normal", reason: "DependencyBlocked", action: "CheckDependencies", note };
  }
}

function sameGateState(a: GateState | undefined, b: GateState | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameGate(a, b);
}

/**
 * A dependency that is still installing rewrites its Ready message as it goes ("Running 'install'
 * action...", "Helm install succeeded..."): the same wait with a new message is not worth an Event.
 * A new failure message is (it says what is wrong now), and so is any change to or from releasegate's
 * own "cannot judge" (the watch has listed the kind: the Event must now say what the dependency says).
 */
function progressOnly(before: GateState | undefined, after: BlockedGate): boolean {
  return (
    before?.state === "blocked" &&
    !(before.rootCauseMessage !== after.rootCauseMessage && (isReleasegateBlindMessage(before.rootCauseMessage) || isReleasegateBlindMessage(after.rootCauseMessage))) &&
    (after.reason === "NotReady" || after.reason === "Suspended") &&
    before.reason === after.reason &&
    before.rootCause === after.rootCause &&
    before.via === after.via &&
    before.depth === after.depth &&
    // releasegate's own "cannot judge (yet)" (a kind outside Flux not listed yet) is no progress of the
    // dependency: the first verdict after it says what the dependency is waiting on, and deserves an Event.
    !before.rootCauseMessage.startsWith("cannot judge")
  );
}

/** The gate says only that releasegate's cache is still listing. */
function catchingUp(state: BlockedGate): boolean {
  return isReleasegateCatchingUpMessage(state.rootCauseMessage);
}

/** The actions for one change of gate state. */
export function decideTransition(input: TransitionInput): TransitionActions {
  const { before, after, object } = input;
  const none: TransitionActions = { event: undefined, opened: false, requestReconcile: false, skippedSuspended: false };
  if (after === undefined || object === undefined || sameGateState(before, after)) return none;
  // While releasegate's own cache is still listing a kind (at start, or a kind named for the first time)
  // the gate says so, but that is no news about the dependency: no Event. The opening after it still
  // gets its GateOpened (an earlier DependencyBlocked may be the last Event the object has).
  if (after.state === "blocked") return progressOnly(before, after) || catchingUp(after) ? none : { ...none, event: eventFor(after, undefined, object.kind) };
  // Open. An object first seen open has nothing to report; one that was blocked has.
  if (before?.state !== "blocked") return none;
  const waits = waitsOnDependencies(object) && object.deleting !== true;
  return {
    event: eventFor(after, input.dependencies),
    opened: true,
    requestReconcile: waits && object.suspend !== true,
    skippedSuspended: waits && object.suspend === true,
  };
}
