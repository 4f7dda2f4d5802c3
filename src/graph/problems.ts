// Problems in dependsOn, as the admission webhook (one object about to be written) and
// `releasegate check` (a whole graph) report them. Each problem's message comes from its one builder
// in messages.ts.

import { findCycles, findCycleThrough } from "./cycles.js";
import type { DependencyGraph, GraphView } from "./dependency-graph.js";
import {
  crossNamespaceMessage,
  cycleProblemMessage,
  duplicateMessage,
  invalidNameMessage,
  invalidNamespaceMessage,
  missingProblemMessage,
  readyExprMessage,
  selfDependencyMessage,
} from "./messages.js";
import { compileReadyExpr } from "./ready-expr.js";
import { isValidNamespaceName, isValidObjectName, objectKey, resolveDependencies } from "./refs.js";
import { suggestKeys } from "./suggest.js";
import type { FluxKind, FluxObject, ObjectKey, Problem, ResolvedDependency } from "./types.js";

export interface CheckOptions {
  /** "deny": a dependsOn entry in another namespace is a problem. */
  crossNamespace: "allow" | "deny";
  /** Do not report dependencies that are not in the graph (checking part of a repository). */
  ignoreMissing?: boolean;
}

/**
 * The problems of one object about to be written (it may or may not be in `graph` already; `obj`
 * replaces it): per dependsOn entry, in order, an invalid name or namespace, a self-dependency, a
 * duplicate, a cross-namespace reference (when denied), a readyExpr that does not compile, a
 * missing dependency (with suggestions); then a cycle closed by obj's edges. The cycle search visits
 * only what obj's dependencies reach.
 */
export function checkObject(graph: GraphView, obj: FluxObject, options: CheckOptions): Problem[] {
  const key = objectKey(obj.namespace, obj.name);
  const problems = entryProblems(graph, obj, key, options);
  const edges = [...new Set(resolveDependencies(obj).map((d) => d.key))].filter((d) => d !== key);
  const cycle = findCycleThrough(graph, key, edges);
  if (cycle !== undefined) problems.push(cycleProblem(graph.kind, cycle));
  return problems;
}

/**
 * Every problem in the graph: each object's entry problems, plus one problem per cycle (its object
 * the cycle's first, smallest member; self-dependencies are reported as such, not again as cycles).
 * Sorted by object, then as checkObject orders them.
 */
export function findProblems(graph: DependencyGraph, options: CheckOptions): Problem[] {
  const byObject = new Map<ObjectKey, Problem[]>();
  for (const obj of graph.values()) {
    const key = objectKey(obj.namespace, obj.name);
    const problems = entryProblems(graph, obj, key, options);
    if (problems.length > 0) byObject.set(key, problems);
  }
  for (const cycle of findCycles(graph)) {
    if (cycle.length <= 2) continue; // [a, a]: already a self-dependency problem
    const first = cycle[0]!;
    const list = byObject.get(first) ?? [];
    list.push(cycleProblem(graph.kind, cycle));
    byObject.set(first, list);
  }
  return [...byObject.keys()].sort().flatMap((key) => byObject.get(key)!);
}

/** The problems of each dependsOn entry of `obj` (no cycle search); `resolved` is its dependsOn, resolved. */
export function entryProblems(
  graph: GraphView,
  obj: FluxObject,
  key: ObjectKey,
  options: CheckOptions,
  resolved: readonly ResolvedDependency[] = resolveDependencies(obj),
): Problem[] {
  const problems: Problem[] = [];
  const kind = obj.kind;
  const seen = new Map<ObjectKey, number>();
  for (const dep of resolved) {
    const entry = obj.dependsOn[dep.index]!;
    const problem = (type: Problem["type"], message: string, extra: Partial<Problem> = {}): void => {
      problems.push({ type, kind, object: key, dependency: dep.key, ...extra, message, entry: dep.index });
    };
    if (entry.namespace !== undefined && entry.namespace !== "" && !isValidNamespaceName(entry.namespace)) {
      problems.push({ type: "invalid", kind, object: key, message: invalidNamespaceMessage(dep.index, entry.namespace), entry: dep.index });
      continue;
    }
    if (!isValidObjectName(entry.name)) {
      problems.push({ type: "invalid", kind, object: key, message: invalidNameMessage(dep.index, entry.name), entry: dep.index });
      continue;
    }
    const first = seen.get(dep.key);
    if (first !== undefined) {
      problem("duplicate", duplicateMessage(dep.index, first, dep.key));
      continue;
    }
    seen.set(dep.key, dep.index);
    if (dep.key === key) {
      problem("self-dependency", selfDependencyMessage(key));
      continue;
    }
    if (options.crossNamespace === "deny" && dep.namespace !== obj.namespace) {
      problem("cross-namespace", crossNamespaceMessage(key, dep.key));
    }
    if (dep.readyExpr !== undefined) {
      const compiled = compileReadyExpr(dep.readyExpr);
      if (!compiled.ok) problem("ready-expr", readyExprMessage(dep.index, compiled.error));
    }
    if (options.ignoreMissing !== true && !graph.has(dep.key)) {
      const suggestions = suggestKeys(dep.key, withoutKey(graph.suggestionCandidates?.(dep.key) ?? graph.keys(), key));
      problem("missing", missingProblemMessage(kind, dep.key, suggestions), suggestions.length > 0 ? { suggestions } : {});
    }
  }
  return problems;
}

export function cycleProblem(kind: FluxKind, cycle: ObjectKey[]): Problem {
  return { type: "cycle", kind, object: cycle[0]!, dependency: cycle[1]!, cycle, message: cycleProblemMessage(cycle) };
}

function* withoutKey(keys: Iterable<ObjectKey>, excluded: ObjectKey): Iterable<ObjectKey> {
  for (const key of keys) if (key !== excluded) yield key;
}
