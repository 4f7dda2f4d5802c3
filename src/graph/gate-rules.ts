// The gate rules: one definition, used by the full computation (computeGateStates) and by the
// incremental GateTracker alike, so the two can never disagree on what a state means.
//
// For an existing object X (docs/behaviour.md, Gate states):
//
// 1. Cycle. X is on a cycle: its strongly connected component has more than one member, or X
//    depends on itself. rootCause R = the smallest key of the component; rootCauseMessage =
//    cycleMessage of R's shortest cycle, one string for the whole component. path = a shortest path
//    from X to R within the component, then R's shortest cycle once round (for R itself, just that
//    cycle): each member's first hop is its first dependency in dependsOn order one step closer to R
//    (R's: the first on a shortest cycle). Computed per component, linear in its edges (gates.ts,
//    componentCycleGates).
// 2. Missing. Else, a direct dependency of X does not exist: rootCause = the first such key in
//    dependsOn order, path = [that key], rootCauseMessage = missingMessage(its kind, key).
//    A dependency of a kind outside the graph (a Deployment; external-objects.ts) is missing only
//    when the ExternalObjects view knows it is absent. A ResourceSet's entry without `ready: true`
//    asks no more than existence.
//    Before rule 2, a ResourceSet with a `ready: true` entry whose readyExpr does not parse is Failed,
//    its own root cause with no path (the Flux Operator compiles them all before reading any
//    dependency); in rule 3, an entry of another kind whose readyExpr does not compile gives the same
//    candidate (helm-controller and kustomize-controller compile it once the dependency is read).
// 3. Else let N = the direct dependencies D for which some dependsOn entry of X is not ready
//    (isReady: readyExpr if the entry has one, else Flux's built-in check, both with the feature gate
//    AdditiveCELDependencyCheck; for a ResourceSet's
//    `ready: true` entry the Flux Operator's check, readiness.ts resourceSetVerdict; for a HelmRelease's or
//    Kustomization's entry naming another kind, or with `ready: false`, the Flux RFC's check where the
//    served schema has those fields, readiness.ts crossKindVerdict). N empty → Open.
//    - D of a kind outside the graph: D is the root cause, path [D]: Failed when kstatus says
//      Failed, else NotReady with the verdict's message; NotReady with the view's reason when it
//      cannot tell (the kind is not watched).
//    Each D in N gives a candidate:
//    - D's gate Open: D itself is the root cause; reason from healthOf(D): failed → Failed,
//      suspended → Suspended, progressing or ready (its readyExpr said no) → NotReady;
//      path [D]; rootCauseMessage = notReadyMessage(D, first not-ready entry for D).
//    - D's gate Blocked: X inherits D's reason, rootCause and rootCauseMessage, path [D, ...D.path].
//    A gate stores the path's first hop, its length and its last hops only (gate-path.ts).
//    X takes the candidate with the highest reason (Cycle > Missing > Failed > NotReady >
//    Suspended), ties broken by the shorter path, then the smaller rootCause key, then the smaller D.
//    A ready dependency never blocks, even when its own gate is blocked.
//
// Rule 3 reads the gates of X's dependencies, which are outside X's component (X is not on a
// cycle), so evaluating components dependencies-first (Tarjan's order) computes every gate once.

import { BUILTIN_READY, ENTRY_NAMES_KIND, ENTRY_READY_EXPR, EXISTS, HEALTH_FAILED, HEALTH_SUSPENDED } from "./dependency-graph.js";
import type { DependencyGraph } from "./dependency-graph.js";
import { fluxFeatureGates } from "./feature-gates.js";
import { tailThrough } from "./gate-path.js";
import { missingMessage, readyExprMessage } from "./messages.js";
import { isGraphKind, NO_EXTERNAL_OBJECTS } from "./external-objects.js";
import type { ExternalObjects } from "./external-objects.js";
import {
  crossKindVerdict,
  healthOf,
  isReady,
  NO_SOURCE_REVISIONS,
  notReadyMessage,
  ownNotReadyMessageOf,
  readyExprCompileError,
  resourceSetVerdict,
  unappliedRevision,
  unappliedRevisionMessage,
} from "./readiness.js";
import type { Health, SourceRevisions } from "./readiness.js";
import { entryNamespace, isCrossKindEntry, kindOfNode, objectKeyOf } from "./refs.js";
import type { BlockedGate, BlockedReason, FluxObject, GateState, NodeKey, ResolvedDependency } from "./types.js";

const OPEN: GateState = Object.freeze({ state: "open" });

/** Higher wins (docs/behaviour.md, Gate states: Cycle > Missing > Failed > NotReady > Suspended). */
const REASON_PRECEDENCE: Readonly<Record<BlockedReason, number>> = Object.freeze({
  Cycle: 5,
  Missing: 4,
  Failed: 3,
  NotReady: 2,
  Suspended: 1,
});

/** Rule 2. */
function missingGate(dependency: NodeKey): GateState {
  const message = missingMessage(kindOfNode(dependency), objectKeyOf(dependency));
  return { state: "blocked", reason: "Missing", rootCause: dependency, rootCauseMessage: message, via: dependency, depth: 1, tail: [dependency] };
}

interface Candidate {
  reason: BlockedReason;
  pathLength: number;
  rootCause: NodeKey;
  dependency: NodeKey;
  /** The dependency's own blocked gate when inherited; undefined when the dependency is the root cause. */
  inherited: BlockedGate | undefined;
  /** For a root-cause dependency: the message. */
  message: string;
  /** Instead of `message`: the id of the dependency whose own account is the message, found only if this candidate wins. */
  messageOf?: number;
  /** The object itself is the root cause (its readyExpr does not compile): no path. */
  self?: true;
}

function better(a: Candidate, b: Candidate): boolean {
  const byReason = REASON_PRECEDENCE[a.reason] - REASON_PRECEDENCE[b.reason];
  if (byReason !== 0) return byReason > 0;
  if (a.pathLength !== b.pathLength) return a.pathLength < b.pathLength;
  if (a.rootCause !== b.rootCause) return a.rootCause < b.rootCause;
  return a.dependency < b.dependency;
}

/**
 * Rules 2 and 3 for an object that is not on a cycle; `gateOf` must answer for every existing
 * dependency.
 */
export function evaluateAcyclicGate(
  graph: DependencyGraph,
  id: number,
  gateOf: (id: number) => GateState,
  builtinReady: (id: number) => boolean = (dep) => (graph.traitsOf(dep) & BUILTIN_READY) !== 0,
  revisions: SourceRevisions = NO_SOURCE_REVISIONS,
  externals: ExternalObjects = NO_EXTERNAL_OBJECTS,
  /** Each object's own account of why it is not ready, by id, kept across calls of one computation. */
  ownMessages?: (string | undefined)[],
): GateState {
  if (graph.kindOf(id) !== "ResourceSet" && (graph.traitsOf(id) & (ENTRY_READY_EXPR | ENTRY_NAMES_KIND)) === 0) {
    return evaluatePlainGate(graph, id, gateOf, builtinReady, revisions, ownMessages);
  }
  const self = graph.objectOf(id)!;
  // The Flux Operator compiles every `ready: true` entry's readyExpr before reading any dependency.
  if (self.kind === "ResourceSet") {
    for (let i = 0; i < self.dependsOn.length; i++) {
      const error = readyExprCompileError(self.kind, self.dependsOn[i]!);
      if (error !== undefined) return invalidExprGate(graph.keyOf(id), i, error);
    }
  }
  for (const dep of graph.dependencyIdsOf(id)) {
    if (graph.objectOf(dep) !== undefined) continue;
    const node = graph.keyOf(dep);
    // An object of the graph's own kinds is missing when absent; one of another kind when its watch says so.
    if (isGraphKind(kindOfNode(node))) return missingGate(node);
    const external = externals.stateOf(node);
    if (external.known && external.object === undefined) return missingGate(node);
  }
  const resourceSet = self.kind === "ResourceSet";
  const entries = self.dependsOn;
  const entryIds = graph.entryIdsOf(id);
  let best: Candidate | undefined;
  let considered: number[] | undefined;
  for (let i = 0; i < entries.length; i++) {
    const depId = entryIds[i]!;
    const raw = entries[i]!;
    const dep = graph.objectOf(depId);
    let candidate: Candidate;
    if (dep === undefined) {
      // Another kind (rule 2 passed: it exists, or releasegate cannot tell).
      const node = graph.keyOf(depId);
      const external = externals.stateOf(node);
      let reason: BlockedReason = "NotReady";
      let message: string;
      if (external.known) {
        if (resourceSet ? raw.ready !== true : raw.ready === false) continue;
        // A HelmRelease's or Kustomization's entry naming another kind: the Flux RFC's check (readiness.ts).
        const error = resourceSet ? undefined : readyExprCompileError(self.kind, raw);
        if (error !== undefined) {
          candidate = { reason: "Failed", pathLength: 0, rootCause: graph.keyOf(id), dependency: graph.keyOf(id), inherited: undefined, message: readyExprMessage(i, error), self: true };
          if (best === undefined || better(candidate, best)) best = candidate;
          continue;
        }
        const verdict = resourceSet
          ? resourceSetVerdict(external.object!, { readyExpr: raw.readyExpr, index: i }, self.namespace)
          : crossKindVerdict(external.object!, { readyExpr: raw.readyExpr, index: i }, self);
        if (verdict.ready) continue;
        if (verdict.failed) reason = "Failed";
        message = verdict.message;
      } else {
        message = external.why;
      }
      if (considered !== undefined && considered.includes(depId)) continue;
      (considered ??= []).push(depId);
      candidate = { reason, pathLength: 1, rootCause: node, dependency: node, inherited: undefined, message };
      if (best === undefined || better(candidate, best)) best = candidate;
      continue;
    }
    let stale: string | undefined;
    let entry: ResolvedDependency | undefined;
    if (resourceSet) {
      // The Flux Operator's check: existence alone, or with `ready: true` readyExpr or kstatus (readiness.ts).
      if (raw.ready !== true) continue;
      entry = resolvedEntry(graph, self, i, depId);
      if (resourceSetVerdict(dep, entry, self.namespace).ready) continue;
    } else if (raw.ready === false) {
      // The Flux RFC's `ready: false`: existing is enough, and the readyExpr is not evaluated.
      continue;
    } else if (isCrossKindEntry(self, raw)) {
      // A HelmRelease or Kustomization of the other kind, or a ResourceSet: the Flux RFC's check (readiness.ts).
      entry = resolvedEntry(graph, self, i, depId);
      const error = readyExprCompileError(self.kind, entry);
      if (error !== undefined) {
        candidate = { reason: "Failed", pathLength: 0, rootCause: graph.keyOf(id), dependency: graph.keyOf(id), inherited: undefined, message: readyExprMessage(i, error), self: true };
        if (best === undefined || better(candidate, best)) best = candidate;
        continue;
      }
      if (crossKindVerdict(dep, entry, self).ready) continue;
    } else {
      const readyExpr = raw.readyExpr;
      entry = readyExpr === undefined || readyExpr === "" ? undefined : resolvedEntry(graph, self, i, depId);
      // helm-controller and kustomize-controller compile the expression once the dependency is read: an
      // error stalls the dependent itself (InvalidCELExpression), which is then its own root cause.
      const error = entry === undefined ? undefined : readyExprCompileError(self.kind, entry);
      if (error !== undefined) {
        candidate = { reason: "Failed", pathLength: 0, rootCause: graph.keyOf(id), dependency: graph.keyOf(id), inherited: undefined, message: readyExprMessage(i, error), self: true };
        if (best === undefined || better(candidate, best)) best = candidate;
        continue;
      }
      // The built-in check is Ready and up to date, the source revision included (docs/architecture.md,
      // "Readiness"); with a readyExpr it applies only with the feature gate AdditiveCELDependencyCheck.
      const builtin = entry === undefined || fluxFeatureGates().additiveCelDependencyCheck;
      stale = builtin && builtinReady(depId) ? unappliedRevision(dep, self, revisions) : undefined;
      if (stale === undefined && (entry === undefined ? builtinReady(depId) : isReady(dep, self, entry))) continue;
    }
    // A dependency named twice gives one candidate, from its first not-ready entry.
    if (considered !== undefined && considered.includes(depId)) continue;
    (considered ??= []).push(depId);
    const depGate = gateOf(depId);
    if (depGate.state === "blocked") {
      candidate = {
        reason: depGate.reason,
        pathLength: depGate.depth + 1,
        rootCause: depGate.rootCause,
        dependency: graph.keyOf(depId),
        inherited: depGate,
        message: "",
      };
    } else if (stale !== undefined) {
      // Ready, but not at the source's revision: while suspended it never will be, so it is the root cause.
      candidate = {
        reason: dep.suspend === true ? "Suspended" : "NotReady",
        pathLength: 1,
        rootCause: graph.keyOf(depId),
        dependency: graph.keyOf(depId),
        inherited: undefined,
        message: unappliedRevisionMessage(dep, stale),
      };
    } else {
      const health = healthOf(dep);
      candidate = {
        reason: health === "failed" ? "Failed" : health === "suspended" ? "Suspended" : "NotReady",
        pathLength: 1,
        rootCause: graph.keyOf(depId),
        dependency: graph.keyOf(depId),
        inherited: undefined,
        message: notReadyMessage(dep, entry ?? resolvedEntry(graph, self, i, depId), self.kind, self),
      };
    }
    if (best === undefined || better(candidate, best)) best = candidate;
  }
  return gateOfCandidate(best);
}

/**
 * evaluateAcyclicGate for the usual object: no readyExpr, no entry naming a kind, not a ResourceSet.
 * Every entry on one dependency then says the same (Flux's built-in check), so the dependencies are
 * read once each, in dependsOn order, without the entries: the same answer for less memory touched.
 */
function evaluatePlainGate(
  graph: DependencyGraph,
  id: number,
  gateOf: (id: number) => GateState,
  builtinReady: (id: number) => boolean,
  revisions: SourceRevisions,
  ownMessages: (string | undefined)[] | undefined,
): GateState {
  let best: Candidate | undefined;
  // Kustomizations only: the source revision rule (readiness.ts, unappliedRevision); the kinds are read
  // from the graph so that a ready dependency costs no visit to its object (or to this one).
  const kustomization = graph.kindOf(id) === "Kustomization";
  const edges = graph.forwardEdges;
  for (let at = graph.forwardStart(id), end = graph.forwardEnd(id); at < end; at++) {
    const depId = edges[at]!;
    const traits = graph.traitsOf(depId);
    // The first missing dependency in dependsOn order (every entry names the object's own kind).
    if ((traits & EXISTS) === 0) return missingGate(graph.keyOf(depId));
    const ready = builtinReady(depId);
    const stale = ready && kustomization ? unappliedRevision(graph.objectOf(depId)!, graph.objectOf(id)!, revisions) : undefined;
    if (ready && stale === undefined) continue;
    const depGate = gateOf(depId);
    const key = graph.keyOf(depId);
    let candidate: Candidate;
    if (depGate.state === "blocked") {
      candidate = { reason: depGate.reason, pathLength: depGate.depth + 1, rootCause: depGate.rootCause, dependency: key, inherited: depGate, message: "" };
    } else if (stale !== undefined) {
      const dep = graph.objectOf(depId)!;
      const reason = dep.suspend === true ? "Suspended" : "NotReady";
      candidate = { reason, pathLength: 1, rootCause: key, dependency: key, inherited: undefined, message: unappliedRevisionMessage(dep, stale) };
    } else {
      // healthOf(dep), as the graph found it on upsert.
      const reason = (traits & HEALTH_FAILED) !== 0 ? "Failed" : (traits & HEALTH_SUSPENDED) !== 0 ? "Suspended" : "NotReady";
      candidate = { reason, pathLength: 1, rootCause: key, dependency: key, inherited: undefined, message: "", messageOf: depId };
    }
    if (best === undefined || better(candidate, best)) best = candidate;
  }
  if (best?.messageOf !== undefined) {
    const messageOf = best.messageOf;
    best.message = ownMessages?.[messageOf] ?? ownNotReadyMessageOf(graph.objectOf(messageOf)!, healthOfTraits(graph.traitsOf(messageOf)));
    if (ownMessages !== undefined) ownMessages[messageOf] = best.message;
  }
  return gateOfCandidate(best);
}

/** healthOf, as the graph found it on upsert (dependency-graph.ts, the health traits). */
function healthOfTraits(traits: number): Health {
  if ((traits & BUILTIN_READY) !== 0) return "ready";
  if ((traits & HEALTH_FAILED) !== 0) return "failed";
  return (traits & HEALTH_SUSPENDED) !== 0 ? "suspended" : "progressing";
}

function gateOfCandidate(best: Candidate | undefined): GateState {
  if (best === undefined) return OPEN;
  if (best.self === true) return invalidGate(best.rootCause, best.reason, best.message);
  if (best.inherited !== undefined) {
    const { reason, rootCause, rootCauseMessage, depth } = best.inherited;
    return { state: "blocked", reason, rootCause, rootCauseMessage, via: best.dependency, depth: depth + 1, tail: tailThrough(best.dependency, best.inherited) };
  }
  return { state: "blocked", reason: best.reason, rootCause: best.rootCause, rootCauseMessage: best.message, via: best.dependency, depth: 1, tail: [best.dependency] };
}

/** Deep equality of two gate states (what counts as a change). */
export function sameGate(a: GateState, b: GateState): boolean {
  if (a === b) return true;
  if (a.state === "open" || b.state === "open") return a.state === b.state;
  if (a.reason !== b.reason || a.rootCause !== b.rootCause || a.rootCauseMessage !== b.rootCauseMessage) return false;
  if (a.via !== b.via || a.depth !== b.depth || a.onCycle !== b.onCycle || a.tail.length !== b.tail.length) return false;
  // The tail is read without walking (the Events' words): a change in it is a change.
  if (a.tail !== b.tail) for (let i = 0; i < a.tail.length; i++) if (a.tail[i] !== b.tail[i]) return false;
  return true;
}

/** The i-th dependsOn entry of `self` as resolveDependencies would give it. */
/**
 * A readyExpr that its controller cannot compile: the object is Stalled (InvalidCELExpression) whatever
 * its dependencies do, so it is its own root cause, Failed, with an empty path (via itself, depth 0).
 */
function invalidExprGate(self: NodeKey, index: number, error: string): GateState {
  return invalidGate(self, "Failed", readyExprMessage(index, error));
}

function invalidGate(self: NodeKey, reason: BlockedReason, message: string): GateState {
  return { state: "blocked", reason, rootCause: self, rootCauseMessage: message, via: self, depth: 0, tail: [] };
}

function resolvedEntry(graph: DependencyGraph, self: FluxObject, index: number, depId: number): ResolvedDependency {
  const raw = self.dependsOn[index]!;
  const namespace = entryNamespace(self, raw);
  const node = graph.keyOf(depId);
  const entry: ResolvedDependency = { node, kind: kindOfNode(node), key: objectKeyOf(node), name: raw.name, namespace, index };
  if (raw.readyExpr !== undefined && raw.readyExpr !== "") entry.readyExpr = raw.readyExpr;
  if (raw.ready === true) entry.ready = true;
  if (raw.ready === false && self.kind !== "ResourceSet") entry.ready = false;
  return entry;
}
