// helm-controller's dependency check (Flux 2.9, helm-controller 1.6), from its documentation:
// each `spec.dependsOn` entry names a HelmRelease (namespace defaults to the dependent's own). A
// dependency that does not exist, or is not Ready=True at its current generation
// (`status.observedGeneration == metadata.generation`), holds the dependent with Ready=False reason
// DependencyNotReady and the message "dependency 'ns/name' is not ready"; the controller then polls again
// after `--requeue-dependency`. With `readyExpr`, the CEL expression replaces the built-in check (both
// must pass with the feature gate AdditiveCELDependencyCheck). The expression is compiled when its entry is
// reached, the dependency read: a compile error is terminal, an evaluation error or `false` only waits.
import { goTypedObject } from "./go-typed.js";
import { evaluateSelfDep, selfDepCompileError } from "./ready-expr.js";
import { condition, field, idOf, isJson, observedCurrentGeneration } from "./unstructured.js";
import type { Json } from "./unstructured.js";

export interface DependencyEntry {
  name: string;
  namespace: string;
  readyExpr: string | undefined;
}

/** Why the dependent cannot proceed: wait and poll again, or a terminal error. */
export type DependencyVerdict = { kind: "ok" } | { kind: "wait"; message: string } | { kind: "terminal"; reason: string; message: string };

export interface CheckOptions {
  /** Flux's feature gate AdditiveCELDependencyCheck: readyExpr and the built-in check must both pass. */
  additiveCel?: boolean;
}

/** The `spec.dependsOn` entries of a HelmRelease or Kustomization, namespaces resolved. */
export function dependsOnEntries(obj: Json): DependencyEntry[] {
  const list = field(obj, "spec", "dependsOn");
  if (!Array.isArray(list)) return [];
  const own = idOf(obj).namespace;
  return list.filter(isJson).map((e) => ({
    name: typeof e.name === "string" ? e.name : "",
    namespace: typeof e.namespace === "string" && e.namespace !== "" ? e.namespace : own,
    readyExpr: typeof e.readyExpr === "string" && e.readyExpr !== "" ? e.readyExpr : undefined,
  }));
}

/** The first readyExpr that does not compile, for a look before any reconcile (the controllers find it when they reach its entry). */
export function invalidReadyExpr(entries: readonly DependencyEntry[]): DependencyVerdict | undefined {
  for (const entry of entries) {
    if (entry.readyExpr === undefined) continue;
    const error = selfDepCompileError(entry.readyExpr);
    if (error !== undefined) return { kind: "terminal", reason: "InvalidCELExpression", message: `failed to evaluate dependency ${entry.name}: ${error}` };
  }
  return undefined;
}

/** Ready=True at the current generation: the built-in readiness of a Flux dependency. */
function builtInReady(dep: Json): boolean {
  return observedCurrentGeneration(dep) && condition(dep, "Ready")?.status === "True";
}

/** One entry against the dependency as read (undefined: it does not exist). */
export function checkEntry(self: Json, entry: DependencyEntry, dep: Json | undefined, resource: string, options: CheckOptions = {}): DependencyVerdict {
  const key = `${entry.namespace}/${entry.name}`;
  if (dep === undefined) return { kind: "wait", message: `unable to get '${key}' dependency: ${resource} "${entry.name}" not found` };
  if (entry.readyExpr !== undefined) {
    // Over the Go-typed objects the controllers bind, not the stored JSON (go-typed.ts).
    const result = evaluateSelfDep(entry.readyExpr, goTypedObject(self, "self"), goTypedObject(dep, "dep"));
    if (!result.ok) {
      if ("compileError" in result) {
        return { kind: "terminal", reason: "InvalidCELExpression", message: `failed to evaluate dependency ${entry.name}: ${result.compileError}` };
      }
      return { kind: "wait", message: result.evalError };
    }
    if (!result.ready) return { kind: "wait", message: `dependency '${key}' is not ready according to readyExpr eval` };
    if (options.additiveCel !== true) return { kind: "ok" };
  }
  if (!builtInReady(dep)) return { kind: "wait", message: `dependency '${key}' is not ready` };
  return { kind: "ok" };
}
