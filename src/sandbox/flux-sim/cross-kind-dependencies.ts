// The Flux RFC "Advanced Dependency Management" (fluxcd/flux2 PR 5988) as helm-controller and
// kustomize-controller would run it, written from the RFC's text alone: the simulated controllers use it
// only while the served CustomResourceDefinition of their kind declares `apiVersion` and `kind` on
// `spec.dependsOn` items (a Flux release shipping the RFC ships both the CRD and the controller).
//
// Defaulting: `kind` defaults to the dependent's kind; an entry of the dependent's kind takes its
// apiVersion and, without one, its namespace. An entry of another kind needs an apiVersion, and its
// namespace is used as written (none for a cluster-scoped kind). `ready` defaults to true.
// Evaluation, in order: the object must exist; `ready: false` ends there (the readyExpr is not evaluated);
// a readyExpr (CEL over `self` and `dep`) must be true, and replaces the built-in check unless the feature
// gate AdditiveCELDependencyCheck is on; the built-in check is kstatus Current, and for a
// `toolkit.fluxcd.io` kind a Ready condition True as well. A failing dependency holds the dependent with
// reason DependencyNotReady, polled again after the dependency requeue interval.
import type { DependencyVerdict } from "./helm-dependencies.js";
import { computeStatus } from "./kstatus.js";
import { evaluateSelfDep } from "./ready-expr.js";
import { condition, field, idOf, isJson } from "./unstructured.js";
import type { Json } from "./unstructured.js";

interface TypedDependency {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  ready: boolean;
  readyExpr: string | undefined;
  /** The dependent's own kind (the entry of today, with `ready`). */
  sameKind: boolean;
}

/** Whether a served CustomResourceDefinition object declares the RFC's fields on some served version. */
export function servesTypedDependsOn(crd: Json | undefined): boolean {
  const versions = field(crd, "spec", "versions");
  if (!Array.isArray(versions)) return false;
  return versions.some((v) => {
    if (!isJson(v) || v.served === false) return false;
    const item = field(v, "schema", "openAPIV3Schema", "properties", "spec", "properties", "dependsOn", "items", "properties");
    return isJson(item) && isJson(item.kind) && isJson(item.apiVersion);
  });
}

/** The entries with the RFC's defaults applied. */
export function typedDependencies(obj: Json): TypedDependency[] {
  const list = field(obj, "spec", "dependsOn");
  if (!Array.isArray(list)) return [];
  const own = idOf(obj).namespace;
  const ownKind = typeof obj.kind === "string" ? obj.kind : "";
  const ownApiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  return list.filter(isJson).map((e) => {
    const kind = typeof e.kind === "string" && e.kind !== "" ? e.kind : ownKind;
    const sameKind = kind === ownKind;
    const namespace = typeof e.namespace === "string" ? e.namespace : "";
    return {
      apiVersion: typeof e.apiVersion === "string" && e.apiVersion !== "" ? e.apiVersion : sameKind ? ownApiVersion : "",
      kind,
      name: typeof e.name === "string" ? e.name : "",
      namespace: sameKind && namespace === "" ? own : namespace,
      ready: e.ready !== false,
      readyExpr: typeof e.readyExpr === "string" && e.readyExpr !== "" ? e.readyExpr : undefined,
      sameKind,
    };
  });
}

function label(dep: TypedDependency): string {
  return dep.sameKind ? `${dep.namespace}/${dep.name}` : `${dep.kind}/${dep.namespace === "" ? "" : `${dep.namespace}/`}${dep.name}`;
}

function isToolkitGroup(apiVersion: string): boolean {
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  return group === "toolkit.fluxcd.io" || group.endsWith(".toolkit.fluxcd.io");
}

/** One entry of another kind against the object as read (undefined: not found). */
export function checkTypedDependency(self: Json, dep: TypedDependency, found: Json | undefined, additiveCel: boolean): DependencyVerdict {
  const key = label(dep);
  if (dep.apiVersion === "") return { kind: "wait", message: `dependency '${key}': apiVersion is required for a dependency of another kind` };
  if (found === undefined) return { kind: "wait", message: `unable to get '${key}' dependency: ${dep.kind} "${dep.name}" not found` };
  if (!dep.ready) return { kind: "ok" };
  if (dep.readyExpr !== undefined) {
    const result = evaluateSelfDep(dep.readyExpr, self, found);
    if (!result.ok) {
      if ("compileError" in result) return { kind: "terminal", reason: "InvalidCELExpression", message: `failed to evaluate dependency ${dep.name}: ${result.compileError}` };
      return { kind: "wait", message: result.evalError };
    }
    if (!result.ready) return { kind: "wait", message: `dependency '${key}' is not ready according to readyExpr eval` };
    if (!additiveCel) return { kind: "ok" };
  }
  const status = computeStatus(found);
  if (status !== "Current") return { kind: "wait", message: `dependency '${key}' is not ready: status ${status}` };
  if (isToolkitGroup(dep.apiVersion) && condition(found, "Ready")?.status !== "True") return { kind: "wait", message: `dependency '${key}' is not ready` };
  return { kind: "ok" };
}
