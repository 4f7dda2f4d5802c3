// The admission rules (DESIGN.md, Admission rules), as one pure function from a typed request, the graph
// of the kind (cache plus pending batch) and the policy to a Decision. No I/O, no clock: the handler
// gathers the inputs and renders the result.
//
// The principle behind the rows: the webhook must never be the reason Flux or Kubernetes gets stuck.
// Only what a request *adds* to dependsOn can be denied; an old problem (a cycle made while the webhook
// was off, a dependency deleted since) never blocks finalizers, labels, suspend, spec changes, deletion
// or namespace teardown — it is at most a warning.
import { FLUX_RESOURCES } from "../cluster/resources.js";
import { findCycleThrough } from "../graph/cycles.js";
import type { GraphView } from "../graph/dependency-graph.js";
import { checkObject } from "../graph/problems.js";
import { cycleMessage, cycleProblemMessage, missingProblemMessage, selfDependencyMessage } from "../graph/messages.js";
import { dependencySetKey, isValidNamespaceName, isValidObjectName, objectKey, resolveDependencies } from "../graph/refs.js";
import type { FluxObject, ObjectKey, Problem, ProblemType } from "../graph/types.js";
import { allow, deny } from "./decision.js";
import type { AllowReason, Decision, DenyReason } from "./decision.js";
import { batchApplyHint } from "./batch-hint.js";
import { deleteProtectedMessage, deleteWarning, pendingDependencyWarning, unknownVersionWarning } from "./messages.js";
import { PendingGraphView } from "./pending-batch.js";
import type { AdmissionPolicy } from "./policy.js";
import type { AdmissionRequest } from "./review.js";

export interface DecideInput {
  /** The kind's graph as the webhook sees it: the cache plus the pending batch. */
  graph: GraphView;
  /** Reverse edges of the cache (a DependencyGraph): who depends on an object about to be deleted. */
  dependents: { dependentsOf(key: ObjectKey): ObjectKey[] };
  policy: AdmissionPolicy;
  /**
   * Whether a namespace is terminating, when the caller watches namespaces. Delete protection never
   * denies in a terminating namespace; see systemDeleter for the signal the request itself carries.
   */
  namespaceTerminating?: (namespace: string) => boolean;
}

/**
 * Identities of kube-controller-manager's controllers that delete objects on their own: the namespace
 * controller empties a terminating namespace (this is how "namespace deletion" reaches the webhook: as a
 * DELETE of each object, by this user), and the garbage collector deletes dependents of deleted owners.
 * Without --use-service-account-credentials both run as system:kube-controller-manager. Denying them
 * would stall namespace deletion, so delete protection never does — even before a namespace watch has
 * seen the namespace terminate.
 */
export const SYSTEM_DELETERS: ReadonlySet<string> = new Set([
  "system:serviceaccount:kube-system:namespace-controller",
  "system:serviceaccount:kube-system:generic-garbage-collector",
  "system:kube-controller-manager",
]);

/** Precedence of the deny reason when several problems are found: the first line says the worst. */
const DENY_ORDER: readonly ProblemType[] = ["self-dependency", "cycle", "invalid", "cross-namespace", "ready-expr", "missing", "duplicate"];

/** Problems that only ever warn. */
const WARN_ONLY: ReadonlySet<ProblemType> = new Set(["duplicate"]);

export function decide(request: AdmissionRequest, input: DecideInput): Decision {
  if (request.subResource !== undefined) return allow("subresource");
  if (input.policy.exemptNamespaces.includes(request.namespace)) return allow("exempt");
  if (request.operation === "CONNECT") return allow("unchecked");
  const flux = FLUX_RESOURCES[request.kind];
  if (!flux.versions.includes(request.version)) return allow("unchecked", [unknownVersionWarning(flux.resource, request.version)]);
  if (request.operation === "DELETE") return decideDelete(request, input);

  const object = request.object;
  // The parser guarantees an object for CREATE and UPDATE of the main resource.
  if (object === undefined) return allow("unchecked");
  if (request.operation === "UPDATE") {
    const old = request.oldObject;
    if (object.deleting === true || old?.deleting === true) return allow("deleting");
    if (old !== undefined && dependencySetKey(old) === dependencySetKey(object)) {
      return allow("unchanged", unchangedWarnings(object, input));
    }
    return decideChange(request, object, old, input);
  }
  return decideChange(request, object, undefined, input);
}

/** An allowed dry-run CREATE joins the pending batch (DESIGN.md, The pending batch). */
export function shouldRecordPending(request: AdmissionRequest, decision: Decision): boolean {
  return request.dryRun && request.operation === "CREATE" && request.subResource === undefined && request.object !== undefined && decision.allowed;
}

function checkProblems(object: FluxObject, input: DecideInput): Problem[] {
  return checkObject(input.graph, object, {
    crossNamespace: input.policy.crossNamespace,
    ignoreMissing: input.policy.missingDependencies === "ignore",
  });
}

/**
 * Warnings for an UPDATE that keeps dependsOn: the object's existing problems, without the "did you mean"
 * search (it scans every key, and this path answers every finalizer, label and annotation write).
 */
function unchangedWarnings(object: FluxObject, input: DecideInput): string[] {
  const warnings = checkObject(input.graph, object, { crossNamespace: input.policy.crossNamespace, ignoreMissing: true }).map(warningOf);
  if (input.policy.missingDependencies !== "ignore") {
    const key = objectKey(object.namespace, object.name);
    for (const dep of new Set(resolveDependencies(object).map((d) => d.key))) {
      if (dep !== key && !input.graph.has(dep)) warnings.push(missingProblemMessage(object.kind, dep));
    }
  }
  return warnings;
}

/** A problem as a warning: cycles name their path without the "remove an entry" advice. */
function warningOf(problem: Problem): string {
  return problem.type === "cycle" && problem.cycle !== undefined ? cycleMessage(problem.cycle) : problem.message;
}

/**
 * CREATE, or an UPDATE that changes dependsOn. On UPDATE only the entries it adds (or whose readyExpr
 * it changes) can deny; problems of entries kept from the stored object become warnings.
 */
function decideChange(request: AdmissionRequest, object: FluxObject, old: FluxObject | undefined, input: DecideInput): Decision {
  const key = objectKey(object.namespace, object.name);
  const problems = checkProblems(object, input);
  const blocking: Problem[] = [];
  const warnings: string[] = [];
  const unresolved: ObjectKey[] = [];
  let warnedType: ProblemType | undefined;

  const oldEntries = old === undefined ? undefined : new Map(resolveDependencies(old).map((d) => [d.key, d.readyExpr ?? ""]));
  const newEntries = resolveDependencies(object);
  const added = oldEntries === undefined ? undefined : newEntries.filter((d) => !oldEntries.has(d.key)).map((d) => d.key);
  // Invalid entries name no dependency key: an UPDATE adds one when it has an invalid entry the stored
  // object did not have.
  const addsInvalid = old === undefined || invalidEntries(object).some((entry) => !invalidEntries(old).includes(entry));
  const isNew = (problem: Problem): boolean => {
    if (oldEntries === undefined) return true;
    if (problem.type === "invalid") return addsInvalid;
    if (problem.dependency === undefined) return true;
    if (!oldEntries.has(problem.dependency)) return true;
    if (problem.type !== "ready-expr") return false;
    // A readyExpr problem is new when the expression on that dependency changed.
    const before = oldEntries.get(problem.dependency);
    return newEntries.some((d) => d.key === problem.dependency && (d.readyExpr ?? "") !== before);
  };

  for (const problem of problems) {
    if (problem.type === "cycle" && added !== undefined) {
      // For an UPDATE the cycle check below looks at the added edges only.
      warnings.push(warningOf(problem));
      continue;
    }
    if (!isNew(problem) || WARN_ONLY.has(problem.type)) {
      warnings.push(warningOf(problem));
      warnedType ??= problem.type;
      continue;
    }
    if (problem.type === "missing") {
      if (input.policy.missingDependencies === "warn" || request.dryRun) {
        // A dry-run is answered as the real request would be, except a missing dependency: Flux's
        // batch dry-runs everything before applying anything (DESIGN.md, The pending batch).
        warnings.push(problem.message);
        warnedType ??= "missing";
        continue;
      }
      if (problem.dependency !== undefined) unresolved.push(problem.dependency);
    }
    blocking.push(problem);
  }

  if (added !== undefined) {
    // The shortest cycle a new edge closes, searched from the added dependencies only, so a cycle the
    // object was already on (through kept entries) is not counted against this change.
    const cycle = findCycleThrough(
      input.graph,
      key,
      added.filter((dep) => dep !== key),
    );
    if (cycle !== undefined) {
      const warningText = cycleMessage(cycle);
      const at = warnings.indexOf(warningText);
      if (at >= 0) warnings.splice(at, 1);
      blocking.push({ type: "cycle", kind: object.kind, object: key, cycle, message: cycleProblemMessage(cycle) });
    }
    if (added.includes(key) && !blocking.some((p) => p.type === "self-dependency")) {
      blocking.push({ type: "self-dependency", kind: object.kind, object: key, dependency: key, message: selfDependencyMessage(key) });
    }
  }

  // Dependencies that exist only as pending dry-runs: allowed, but say so.
  const view = input.graph;
  if (view instanceof PendingGraphView) {
    for (const dep of newEntries) {
      if (view.pending(dep.key) !== undefined) warnings.push(pendingDependencyWarning(object.kind, dep.key));
    }
  }

  if (blocking.length > 0) {
    blocking.sort((a, b) => DENY_ORDER.indexOf(a.type) - DENY_ORDER.indexOf(b.type));
    const reason = blocking[0]!.type as DenyReason;
    const message = [...new Set(blocking.map((p) => p.message)), ...(reason === "missing" ? [batchApplyHint(input.policy.pendingTtlSeconds)] : [])].join("\n");
    const onlyMissing = blocking.every((p) => p.type === "missing");
    return deny(reason, message, warnings, onlyMissing && unresolved.length > 0 ? unresolved : undefined);
  }
  const pendingSeen = warnings.length > 0 && view instanceof PendingGraphView && newEntries.some((d) => view.pending(d.key) !== undefined);
  const reason: AllowReason = pendingSeen ? "pending" : (warnedType ?? "ok");
  return allow(reason, warnings);
}

/** The dependsOn entries that can never match an object (as text, to compare old and new). */
function invalidEntries(object: FluxObject): string[] {
  return object.dependsOn
    .filter((d) => !isValidObjectName(d.name) || (d.namespace !== undefined && d.namespace !== "" && !isValidNamespaceName(d.namespace)))
    .map((d) => `${d.namespace ?? ""}/${d.name}`);
}

function decideDelete(request: AdmissionRequest, input: DecideInput): Decision {
  const policy = input.policy.deleteProtection;
  // Deleting twice (kubectl delete on an object already waiting for its finalizers) changes nothing.
  if (policy === "off" || request.oldObject?.deleting === true) return allow("delete");
  const key = objectKey(request.namespace, request.name);
  const dependents = input.dependents
    .dependentsOf(key)
    .filter((d) => d !== key && input.graph.get(d)?.deleting !== true)
    .sort();
  if (dependents.length === 0) return allow("delete");
  const warnings = dependents.map((d) => deleteWarning(key, d));
  const terminating =
    input.namespaceTerminating?.(request.namespace) === true || (request.username !== undefined && SYSTEM_DELETERS.has(request.username));
  if (policy === "deny" && !terminating) return deny("delete-protected", deleteProtectedMessage(key, dependents), warnings);
  return allow("delete", warnings);
}
