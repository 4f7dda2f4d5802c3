// Problems in dependsOn, as the admission webhook (one object about to be written) and
// `releasegate check` (a whole graph) report them. Each problem's message comes from its one builder
// in messages.ts.

import { cyclePathOf, isCyclePath } from "./cycle-path.js";
import type { CyclePath } from "./cycle-path.js";
import { cycleThrough, findCycles } from "./cycles.js";
import { DependencyGraph } from "./dependency-graph.js";
import type { GraphView } from "./dependency-graph.js";
import {
  crossNamespaceMessage,
  cycleProblemMessage,
  duplicateMessage,
  sharedNameIn,
  invalidNameMessage,
  invalidNamespaceMessage,
  missingProblemMessage,
  controllerOf,
  namespaceNeededMessage,
  readyExprMessage,
  selfDependencyMessage,
} from "./messages.js";
import { readyExprCompileError } from "./readiness.js";
import { isCrossKindEntry, isValidNamespaceName, isValidObjectName, knownNamespaced, nodeOf, objectKeyOf, resolveDependencies } from "./refs.js";
import { suggestKeys, SUGGESTIONS_SHOWN } from "./suggest.js";
import type { FluxKind, FluxObject, NodeKey, Problem, ResolvedDependency } from "./types.js";

export interface CheckOptions {
  /** "deny": a dependsOn entry in another namespace is a problem. */
  crossNamespace: "allow" | "deny";
  /** Do not report dependencies that are not in the graph (checking part of a repository). */
  ignoreMissing?: boolean;
  /** false: a missing dependency's message goes without "did you mean" (a first look whose messages
   *  are not shown: the webhook's before its consistent read). Default true. */
  suggest?: boolean;
}

/**
 * The problems of one object about to be written (it may or may not be in `graph` already; `obj`
 * replaces it): per dependsOn entry, in order, an invalid name or namespace, a self-dependency, a
 * duplicate, a cross-namespace reference (when denied), a readyExpr that does not compile, a
 * missing dependency (with suggestions); then a cycle closed by obj's edges. The cycle search visits
 * only what obj's dependencies reach.
 */
export function checkObject(graph: GraphView, obj: FluxObject, options: CheckOptions): Problem[] {
  const key = nodeOf(obj);
  const problems = entryProblems(graph, obj, key, options);
  const edges = [...new Set(resolveDependencies(obj).map((d) => d.node))].filter((d) => d !== key);
  const cycle = cycleThrough(graph, key, edges);
  if (cycle !== undefined) {
    const shared = sharedNameIn((node) => graph.has(node));
    problems.push(cycleProblem(obj.kind, cycle, cycleProblemMessage(cycle, mayShareNames(graph) ? shared : undefined)));
  }
  return problems;
}

/**
 * Whether two objects of different kinds may share a `ns/name` in `graph`: only the graph itself counts
 * such pairs (a view, e.g. with a pending batch, may add one). Spares a long cycle's message the
 * question for each of its members.
 */
function mayShareNames(graph: GraphView): boolean {
  return !(graph instanceof DependencyGraph) || graph.mayShareNames();
}

/**
 * Every problem in the graph: each object's entry problems, plus one problem per cycle (its object
 * the cycle's first, smallest member; self-dependencies are reported as such, not again as cycles).
 * Sorted by object, then as checkObject orders them.
 */
export function findProblems(graph: DependencyGraph, options: CheckOptions): Problem[] {
  const byObject = new Map<NodeKey, Problem[]>();
  for (const obj of graph.values()) {
    const key = nodeOf(obj);
    const problems = entryProblems(graph, obj, key, options);
    if (problems.length > 0) byObject.set(key, problems);
  }
  for (const cycle of findCycles(graph)) {
    if (cycle.length <= 2) continue; // [a, a]: already a self-dependency problem
    const first = cycle[0]!;
    const list = byObject.get(first) ?? [];
    list.push(cycleProblem(graph.get(first)!.kind, cycle, cycleProblemMessage(cycle, sharedNameIn((node) => graph.has(node)))));
    byObject.set(first, list);
  }
  return [...byObject.keys()].sort().flatMap((key) => byObject.get(key)!);
}

/** The problems of each dependsOn entry of `obj` (no cycle search); `resolved` is its dependsOn, resolved. */
export function entryProblems(
  graph: GraphView,
  obj: FluxObject,
  key: NodeKey,
  options: CheckOptions,
  resolved: readonly ResolvedDependency[] = resolveDependencies(obj),
): Problem[] {
  const problems: Problem[] = [];
  const kind = obj.kind;
  const object = objectKeyOf(key);
  const seen = new Map<NodeKey, number>();
  for (const dep of resolved) {
    const entry = obj.dependsOn[dep.index]!;
    const problem = (type: Problem["type"], message: string, extra: Partial<Problem> = {}): void => {
      problems.push({ type, kind, object, node: key, dependency: dep.key, dependencyNode: dep.node, ...extra, message, entry: dep.index });
    };
    const invalid = (message: string): void => {
      problems.push({ type: "invalid", kind, object, node: key, message, entry: dep.index });
    };
    if (entry.namespace !== undefined && entry.namespace !== "" && !isValidNamespaceName(entry.namespace)) {
      invalid(invalidNamespaceMessage(dep.index, entry.namespace));
      continue;
    }
    if (!isValidObjectName(entry.name)) {
      invalid(invalidNameMessage(dep.index, entry.name));
      continue;
    }
    // A dependency of another kind (a ResourceSet's entry) is named with its kind.
    const named = dep.kind === kind ? dep.key : `${dep.kind} ${dep.key}`;
    const first = seen.get(dep.node);
    if (first !== undefined) {
      problem("duplicate", duplicateMessage(dep.index, first, named));
      continue;
    }
    seen.set(dep.node, dep.index);
    if (dep.node === key) {
      problem("self-dependency", selfDependencyMessage(object));
      continue;
    }
    // The Flux Operator looks a ResourceSet's entry up with its namespace as written: none never finds a namespaced kind.
    // So does the Flux RFC for a HelmRelease's or Kustomization's entry naming another kind.
    if ((kind === "ResourceSet" || isCrossKindEntry(obj, entry)) && dep.namespace === "" && knownNamespaced(dep.kind) === true) {
      invalid(namespaceNeededMessage(dep.index, dep.kind, obj.namespace, controllerOf(kind)));
      continue;
    }
    if (options.crossNamespace === "deny" && dep.namespace !== "" && dep.namespace !== obj.namespace) {
      problem("cross-namespace", crossNamespaceMessage(object, named));
    }
    // The Flux Operator evaluates a ResourceSet entry's readyExpr only with `ready: true`.
    // Its readyExpr is CEL over the dependency's own fields, only parsed (readiness.ts, readyExprCompileError).
    const exprError = readyExprCompileError(kind, dep);
    if (exprError !== undefined) problem("ready-expr", readyExprMessage(dep.index, exprError));
    if (options.ignoreMissing !== true && !graph.has(dep.node)) {
      const suggestions = options.suggest === false ? [] : suggestKeys(dep.node, graph.suggestionCandidates?.(dep.node) ?? graph.keys(), SUGGESTIONS_SHOWN, key).map(objectKeyOf);
      problem("missing", missingProblemMessage(dep.kind, dep.key, suggestions), suggestions.length > 0 ? { suggestions } : {});
    }
  }
  return problems;
}

/**
 * A cycle as the problem of its first object, of `kind`; the message says it unless given. A whole closed
 * path of nodes is kept as such (`check` reports it); a CyclePath (the webhook's) is kept bounded.
 */
export function cycleProblem(kind: FluxKind, cycle: NodeKey[] | CyclePath, message: string = cycleProblemMessage(cycle)): Problem {
  const path = isCyclePath(cycle) ? cycle : cyclePathOf(cycle);
  const [first, second] = path.shown;
  return {
    type: "cycle",
    kind,
    object: objectKeyOf(first!),
    node: first!,
    dependency: objectKeyOf(second!),
    dependencyNode: second!,
    ...(isCyclePath(cycle) ? {} : { cycle: cycle.map(objectKeyOf), cycleNodes: cycle }),
    cyclePath: path,
    message,
  };
}
