// The webhook's one question to the graph (docs/architecture.md, "Each face asks one question"): an
// object's dependsOn goes from `old` (undefined for a CREATE) to `next`; which problems does that add,
// and which did the object have already? Only what a change adds may be denied; a kept problem (a
// cycle made while the webhook was off, a dependency deleted since) is at most a warning, so it never
// blocks finalizers, labels, suspend or deletion.
//
// Each dependsOn list is resolved once. The cycle search starts from the added dependencies only (the
// shortest cycle a new edge closes); only when they close none is the object's whole dependsOn
// searched, for a kept cycle to warn about.
//
// A ResourceSet's change may also make it wait for its own output (own-output.ts): given the objects it
// generates, the same split applies: through an added dependency it is added, else kept.

import type { CyclePath } from "./cycle-path.js";
import { cycleThrough } from "./cycles.js";
import type { GraphView } from "./dependency-graph.js";
import { ownOutputMessage } from "./messages.js";
import { findOwnOutputPath } from "./own-output.js";
import { cycleProblem, entryProblems } from "./problems.js";
import type { CheckOptions } from "./problems.js";
import { entryKind, nodeOf, resolveDependencies } from "./refs.js";
import type { FluxKind, FluxObject, NodeKey, Problem, ResolvedDependency } from "./types.js";

interface ChangeOptions extends CheckOptions {
  /** The nodes of the objects `next` generates (a ResourceSet's, when they are known). */
  generated?: ReadonlySet<NodeKey>;
}

interface ChangeCheck {
  /** Problems this change brings: the entries it adds (or whose readyExpr it changes), a cycle a new edge closes. */
  added: Problem[];
  /** Problems of the entries kept from `old`, and a cycle through kept entries: warnings only. */
  kept: Problem[];
  /** The cycle a new edge closes, when it closes one (the same as the cycle problem in `added`), bounded (cycle-path.ts). */
  cycle?: CyclePath;
  /** `next`'s dependsOn, resolved (the caller need not resolve it again). */
  dependencies: ResolvedDependency[];
}

/** The identity of an entry for "was it there before?": its target, and its readyExpr. */
function entryIdentity(dep: ResolvedDependency): string {
  const target = dep.ready === true ? `${dep.node}\u0000ready` : dep.ready === false ? `${dep.node}\u0000exists` : dep.node;
  return dep.readyExpr === undefined ? target : `${target}\u0000${dep.readyExpr}`;
}

/** The entry as written, for an invalid one (it names no key that could match). */
function rawIdentity(object: FluxObject, index: number): string {
  const entry = object.dependsOn[index]!;
  return `${entryKind(object, entry)}/${entry.namespace ?? ""}/${entry.name}`;
}

export function checkChange(graph: GraphView, old: FluxObject | undefined, next: FluxObject, options: ChangeOptions): ChangeCheck {
  const key = nodeOf(next);
  const dependencies = resolveDependencies(next);
  const problems = entryProblems(graph, next, key, options, dependencies);
  const added: Problem[] = [];
  const kept: Problem[] = [];

  const before = old === undefined ? undefined : resolveDependencies(old);
  const oldTargets = before === undefined ? undefined : new Set(before.map((d) => d.node));
  // Built only when there is a problem to place (most reviews have none).
  let oldEntries: Set<string> | undefined;
  let oldRaw: Set<string> | undefined;
  for (const problem of problems) {
    let isNew = true;
    if (old !== undefined && oldTargets !== undefined && problem.entry !== undefined) {
      const dep = dependencies[problem.entry]!;
      if (problem.type === "invalid") isNew = !(oldRaw ??= new Set(old.dependsOn.map((_, i) => rawIdentity(old, i)))).has(rawIdentity(next, problem.entry));
      else if (problem.type === "ready-expr") isNew = !(oldEntries ??= new Set(before!.map(entryIdentity))).has(entryIdentity(dep));
      else isNew = !oldTargets.has(dep.node);
    }
    (isNew ? added : kept).push(problem);
  }

  const targets = [...new Set(dependencies.map((d) => d.node))].filter((d) => d !== key);
  const newTargets = oldTargets === undefined ? targets : targets.filter((d) => !oldTargets.has(d));
  if (options.generated !== undefined && options.generated.size > 0) {
    const viaAdded = findOwnOutputPath(graph, key, newTargets, options.generated);
    const path = viaAdded ?? (newTargets.length < targets.length ? findOwnOutputPath(graph, key, targets, options.generated) : undefined);
    if (path !== undefined) {
      // An object it generates itself does not exist yet for its own reason: that is the problem to say.
      const generated = options.generated;
      for (const list of [added, kept]) {
        const rest = list.filter((p) => !(p.type === "missing" && p.dependencyNode !== undefined && generated.has(p.dependencyNode)));
        list.splice(0, list.length, ...rest);
      }
      (viaAdded !== undefined ? added : kept).push(ownOutputProblem(next.kind, path));
    }
  }
  const cycle = newTargets.length === 0 ? undefined : cycleThrough(graph, key, newTargets);
  if (cycle !== undefined) {
    added.push(cycleProblem(next.kind, cycle));
    return { added, kept, cycle, dependencies };
  }
  if (newTargets.length < targets.length) {
    const keptCycle = cycleThrough(graph, key, targets);
    if (keptCycle !== undefined) kept.push(cycleProblem(next.kind, keptCycle));
  }
  return { added, kept, dependencies };
}

/**
 * Waiting for one's own output as a cycle problem: the path from the ResourceSet to the object it
 * generates, closed by that object's coming from the ResourceSet.
 */
function ownOutputProblem(kind: FluxKind, path: readonly NodeKey[]): Problem {
  return cycleProblem(kind, [...path, path[0]!], ownOutputMessage(path));
}
