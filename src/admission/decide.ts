// The admission rules (docs/behaviour.md, Admission rules), as one pure function from a typed request, the graph
// of the kind (cache plus pending batch) and the policy to a Decision. No I/O, no clock: the handler
// gathers the inputs and renders the result.
//
// The principle behind the rows: the webhook must never be the reason Flux or Kubernetes gets stuck.
// Only what a request *adds* to dependsOn can be denied; an old problem (a cycle made while the webhook
// was off, a dependency deleted since) never blocks finalizers, labels, suspend, spec changes, deletion
// or namespace teardown — it is at most a warning.
import type { MissingDependency, ReadOutcome } from "../cluster/missing-read.js";
import { FLUX_KIND_INFO, GUARDED_KINDS } from "../flux/kinds.js";
import { checkChange } from "../graph/check-change.js";
import type { GraphView } from "../graph/dependency-graph.js";
import { checkObject } from "../graph/problems.js";
import { controllerOf, cycleMessage, denialMessage, missingProblemMessage, namespaceNeededMessage, readyExprIgnoredMessage, readyExprNotEvaluatedMessage, unservedKindMessage } from "../graph/messages.js";
import { dependencySetKey, isCrossKindEntry, kindOfNode, nodeKey, nodeOf, objectKey, objectKeyOf, resolveDependencies, splitNodeKey } from "../graph/refs.js";
import type { DependencyEntry, FluxObject, NodeKey, Problem, ProblemType, ResolvedDependency } from "../graph/types.js";
import { allow, deny } from "./decision.js";
import type { AllowReason, Decision, DenyReason } from "./decision.js";
import { batchApplyHint } from "./batch-hint.js";
import { generatedNodes } from "./generated-objects.js";
import { deleteProtectedMessage, deleteWarning, pendingDependencyWarning, unconfirmedDependencyMessage, unknownVersionWarning, unreadableDependencyWarning } from "./messages.js";
import { resourceSetEntryProblems } from "./resourceset-entries.js";
import type { AdmissionPolicy } from "./policy.js";
import type { AdmissionRequest } from "./review.js";

interface DecideInput {
  /** The graph as the webhook sees it (every kind, nodes `Kind/ns/name`): the cache plus the pending batch. */
  graph: GraphView;
  /** Reverse edges of the cache (a DependencyGraph): who depends on an object about to be deleted. */
  dependents: { dependentsOf(key: NodeKey): NodeKey[] };
  policy: AdmissionPolicy;
  /** Whether a node exists only as a pending dry-run (the pending batch; docs/behaviour.md, "The pending batch"). */
  isPending?: (key: NodeKey) => boolean;
  /**
   * Whether a namespace is terminating, when the caller watches namespaces. Delete protection never
   * denies in a terminating namespace; see systemDeleter for the signal the request itself carries.
   */
  namespaceTerminating?: (namespace: string) => boolean;
  /**
   * What the deny path's consistent reads found out about missing dependencies (cluster/missing-read.ts):
   * those found exist in `graph` already; here a kind the server does not serve becomes an invalid entry,
   * and a read that failed for a kind releasegate does not cache says so.
   */
  confirmed?: ReadonlyMap<NodeKey, ReadOutcome>;
  /** false: leave "did you mean" out of missing-dependency messages (a first look the deny path will
   *  take again after its reads); the decision then says whether it left any out. Default true. */
  suggest?: boolean;
}

/**
 * Identities of kube-controller-manager's controllers that delete objects on their own: the namespace
 * controller empties a terminating namespace (this is how "namespace deletion" reaches the webhook: as a
 * DELETE of each object, by this user), and the garbage collector deletes dependents of deleted owners.
 * Without --use-service-account-credentials both run as system:kube-controller-manager. Denying them
 * would stall namespace deletion, so delete protection never does — even before a namespace watch has
 * seen the namespace terminate.
 */
const SYSTEM_DELETERS: ReadonlySet<string> = new Set([
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
  const flux = FLUX_KIND_INFO[request.kind];
  if (!flux.versions.includes(request.version)) return allow("unchecked", [unknownVersionWarning(flux.resource, request.version)]);
  if (request.operation === "DELETE") return decideDelete(request, input);

  const object = request.object;
  // The parser guarantees an object for CREATE and UPDATE of the main resource.
  if (object === undefined) return allow("unchecked");
  if (request.operation === "UPDATE") {
    const old = request.oldObject;
    if (object.deleting === true || old?.deleting === true) return allow("deleting");
    if (old !== undefined && (sameEntries(old, object) || dependencySetKey(old) === dependencySetKey(object))) {
      return allow("unchanged", unchangedWarnings(object, input));
    }
    return decideChange(request, object, old, input);
  }
  return decideChange(request, object, undefined, input);
}

/**
 * Whether two versions of one object list the same dependsOn entries in the same order: the usual
 * UPDATE (a label, an annotation, a values change), told apart without building dependencySetKey's
 * sorted keys. A reordered or rewritten list goes on to that comparison.
 */
function sameEntries(a: FluxObject, b: FluxObject): boolean {
  if (a.kind !== b.kind || a.namespace !== b.namespace || a.dependsOn.length !== b.dependsOn.length) return false;
  for (let i = 0; i < a.dependsOn.length; i++) {
    const x = a.dependsOn[i]!;
    const y = b.dependsOn[i]!;
    if (x.name !== y.name || x.namespace !== y.namespace || x.kind !== y.kind || x.apiVersion !== y.apiVersion || x.readyExpr !== y.readyExpr || x.ready !== y.ready) return false;
  }
  return true;
}

/** An allowed dry-run CREATE joins the pending batch (docs/behaviour.md, "The pending batch"). */
export function shouldRecordPending(request: AdmissionRequest, decision: Decision): boolean {
  return request.dryRun && request.operation === "CREATE" && request.subResource === undefined && request.object !== undefined && decision.allowed;
}

/**
 * Warnings for an UPDATE that keeps dependsOn: the object's existing problems, without the "did you mean"
 * search (it scans every key, and this path answers every finalizer, label and annotation write).
 */
function unchangedWarnings(object: FluxObject, input: DecideInput): string[] {
  const warnings = checkObject(input.graph, object, { crossNamespace: input.policy.crossNamespace, ignoreMissing: true }).map(warningOf);
  if (input.policy.missingDependencies !== "ignore") {
    const key = nodeOf(object);
    for (const dep of new Set(resolveDependencies(object).map((d) => d.node))) {
      // A kind releasegate does not cache is only known by a read, which this path never makes.
      if (dep !== key && isCachedKind(kindOfNode(dep)) && !input.graph.has(dep)) warnings.push(missingProblemMessage(kindOfNode(dep), objectKeyOf(dep)));
    }
  }
  return warnings;
}

/** A problem as a warning: cycles name their path without the "remove an entry" advice. */
function warningOf(problem: Problem): string {
  return problem.type === "cycle" && problem.cyclePath !== undefined ? cycleMessage(problem.cyclePath) : problem.message;
}

/**
 * CREATE, or an UPDATE that changes dependsOn: one question to the graph (checkChange), then the policy
 * says which of the added problems deny. Problems of entries kept from the stored object are warnings.
 */
function decideChange(request: AdmissionRequest, object: FluxObject, old: FluxObject | undefined, input: DecideInput): Decision {
  const resourceSet = object.kind === "ResourceSet" && object.dependsOn.length > 0;
  // A HelmRelease's or Kustomization's entries naming other kinds (the Flux RFC, where the schema has it) get the same rules.
  const typed = resourceSet || object.dependsOn.some((entry) => isCrossKindEntry(object, entry));
  const check = checkChange(input.graph, old, object, {
    crossNamespace: input.policy.crossNamespace,
    ignoreMissing: input.policy.missingDependencies === "ignore",
    ...(input.suggest === false ? { suggest: false } : {}),
    ...(resourceSet && request.rawObject !== undefined ? { generated: generatedNodes(request.rawObject, object.namespace, object.name) } : {}),
  });
  const { added, kept, extraWarnings } = typed ? withResourceSetRules(object, old, check.added, check.kept, input.confirmed) : { added: check.added, kept: check.kept, extraWarnings: [] };
  const decision = decideProblems(request, object, added, kept, extraWarnings, check.dependencies, input);
  const leftOut = input.suggest === false && (added.some((p) => p.type === "missing") || kept.some((p) => p.type === "missing"));
  return leftOut ? { ...decision, suggestionsLeftOut: true } : decision;
}

/** The policy over the problems a change adds and keeps: which deny, which warn. */
function decideProblems(
  request: AdmissionRequest,
  object: FluxObject,
  added: readonly Problem[],
  kept: readonly Problem[],
  extraWarnings: readonly string[],
  dependencies: readonly ResolvedDependency[],
  input: DecideInput,
): Decision {
  const blocking: Problem[] = [];
  const warnings: string[] = [...kept.map(warningOf), ...extraWarnings];
  const unresolved: MissingDependency[] = [];
  let warnedType: ProblemType | undefined = kept.find((p) => p.type !== "cycle")?.type;

  for (const problem of added) {
    if (WARN_ONLY.has(problem.type)) {
      warnings.push(warningOf(problem));
      warnedType ??= problem.type;
      continue;
    }
    if (problem.type === "missing") {
      if (input.policy.missingDependencies === "warn" || request.dryRun) {
        // A dry-run is answered as the real request would be, except a missing dependency: Flux's
        // batch dry-runs everything before applying anything (docs/behaviour.md, "The pending batch").
        warnings.push(problem.message);
        warnedType ??= "missing";
        continue;
      }
      if (problem.dependencyNode !== undefined) unresolved.push(missingDependencyOf(object, problem));
    }
    blocking.push(problem);
  }

  // Dependencies that exist only as pending dry-runs: allowed, but say so.
  const pendingSeen = input.isPending !== undefined && dependencies.some((dep) => input.isPending!(dep.node));
  if (pendingSeen) {
    for (const dep of dependencies) if (input.isPending!(dep.node)) warnings.push(pendingDependencyWarning(dep.kind, dep.key));
  }

  if (blocking.length > 0) {
    blocking.sort((a, b) => DENY_ORDER.indexOf(a.type) - DENY_ORDER.indexOf(b.type));
    const reason = blocking[0]!.type as DenyReason;
    const message = [denialMessage([...new Set(blocking.map((p) => p.message))]), ...(reason === "missing" ? [batchApplyHint(input.policy.pendingTtlSeconds)] : [])].join("\n");
    const onlyMissing = blocking.every((p) => p.type === "missing");
    return deny(reason, message, warnings, onlyMissing && unresolved.length > 0 ? unresolved : undefined);
  }
  const reason: AllowReason = pendingSeen && warnings.length > 0 ? "pending" : (warnedType ?? "ok");
  return allow(reason, warnings);
}

function decideDelete(request: AdmissionRequest, input: DecideInput): Decision {
  const policy = input.policy.deleteProtection;
  // Deleting twice (kubectl delete on an object already waiting for its finalizers) changes nothing.
  if (policy === "off" || request.oldObject?.deleting === true) return allow("delete");
  const key = objectKey(request.namespace, request.name);
  const node = nodeKey(request.kind, request.namespace, request.name);
  // A dependent of another kind (a ResourceSet) is named with its kind.
  const dependents = input.dependents
    .dependentsOf(node)
    .filter((d) => d !== node && input.graph.get(d)?.deleting !== true)
    .sort()
    .map((d) => (kindOfNode(d) === request.kind ? objectKeyOf(d) : `${kindOfNode(d)} ${objectKeyOf(d)}`));
  if (dependents.length === 0) return allow("delete");
  const warnings = dependents.map((d) => deleteWarning(key, d));
  const terminating =
    input.namespaceTerminating?.(request.namespace) === true || (request.username !== undefined && SYSTEM_DELETERS.has(request.username));
  if (policy === "deny" && !terminating) return deny("delete-protected", deleteProtectedMessage(key, dependents), warnings);
  return allow("delete", warnings);
}

/** Whether releasegate caches objects of this kind (a guarded Flux kind): for the others only a read can tell. */
function isCachedKind(kind: string): boolean {
  return (GUARDED_KINDS as readonly string[]).includes(kind);
}

/** The missing dependency of a problem, with the entry's apiVersion when it names one (a ResourceSet's). */
function missingDependencyOf(object: FluxObject, problem: Problem): MissingDependency {
  const apiVersion = problem.entry === undefined ? undefined : object.dependsOn[problem.entry]?.apiVersion;
  return apiVersion === undefined ? { node: problem.dependencyNode! } : { node: problem.dependencyNode!, apiVersion };
}

/** An entry as written, for "was it there before?" */
function entryText(entry: DependencyEntry): string {
  return JSON.stringify([entry.apiVersion ?? "", entry.kind ?? "", entry.namespace ?? "", entry.name, entry.ready ?? null, entry.readyExpr ?? ""]);
}

/**
 * The ResourceSet rules on top of those of every kind (docs/behaviour.md, Admission rules): entries
 * whose apiVersion or kind cannot name a served kind are invalid (and nothing else is said about them);
 * a missing dependency of a kind releasegate does not cache is judged by the deny path's read; a kept
 * entry of such a kind is never called missing (only a read could tell, and old problems only warn).
 */
function withResourceSetRules(
  object: FluxObject,
  old: FluxObject | undefined,
  added: readonly Problem[],
  kept: readonly Problem[],
  confirmed: ReadonlyMap<NodeKey, ReadOutcome> | undefined,
): { added: Problem[]; kept: Problem[]; extraWarnings: string[] } {
  const node = nodeOf(object);
  const invalid = resourceSetEntryProblems(object, node);
  const badEntries = new Set(invalid.map((p) => p.entry));
  const before = old === undefined ? undefined : new Set(old.dependsOn.map(entryText));
  const valid = (p: Problem): boolean => p.entry === undefined || !badEntries.has(p.entry);
  const outAdded: Problem[] = [];
  const outKept = kept.filter((p) => valid(p) && !(p.type === "missing" && !isCachedKind(kindOfNode(p.dependencyNode ?? ""))));
  for (const problem of invalid) (before?.has(entryText(object.dependsOn[problem.entry!]!)) === true ? outKept : outAdded).push(problem);
  const extraWarnings: string[] = [];
  for (const problem of added) {
    if (!valid(problem)) continue;
    const outcome = problem.type === "missing" ? confirmed?.get(problem.dependencyNode ?? "") : undefined;
    // Without the right to read the kind there is nothing to judge by: a warning, never a denial.
    if (outcome?.state === "forbidden") {
      extraWarnings.push(unreadableDependencyWarning(kindOfNode(problem.dependencyNode!), problem.dependency ?? "", outcome.resource));
      continue;
    }
    outAdded.push(problem.type === "missing" ? confirmedMissing(object, problem, outcome) : problem);
  }
  object.dependsOn.forEach((entry, index) => {
    if (entry.readyExpr === undefined) return;
    if (object.kind === "ResourceSet" && entry.ready !== true) extraWarnings.push(readyExprIgnoredMessage(index));
    if (object.kind !== "ResourceSet" && entry.ready === false) extraWarnings.push(readyExprNotEvaluatedMessage(index));
  });
  return { added: outAdded, kept: outKept, extraWarnings };
}

/** A missing problem as the consistent read has it: not served (invalid), cluster-scoped (named without a namespace), or not confirmed. */
function confirmedMissing(object: FluxObject, problem: Problem, outcome: ReadOutcome | undefined): Problem {
  const index = problem.entry!;
  const { kind, name } = splitNodeKey(problem.dependencyNode!);
  if (outcome?.state === "unserved") {
    return { type: "invalid", kind: object.kind, object: problem.object, node: problem.node, entry: index, message: unservedKindMessage(index, outcome.apiVersion, outcome.kind) };
  }
  if (outcome?.state === "missing" && outcome.clusterScoped) return { ...problem, dependency: name, message: missingProblemMessage(kind, name) };
  if (outcome?.state === "missing" && splitNodeKey(problem.dependencyNode!).namespace === "") {
    return { type: "invalid", kind: object.kind, object: problem.object, node: problem.node, entry: index, message: namespaceNeededMessage(index, kind, object.namespace, controllerOf(object.kind)) };
  }
  if (outcome?.state === "unknown" && !isCachedKind(kind)) return { ...problem, message: unconfirmedDependencyMessage(kind, problem.dependency ?? name, outcome.error) };
  return problem;
}
