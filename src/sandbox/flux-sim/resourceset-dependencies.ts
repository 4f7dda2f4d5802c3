// The Flux Operator's dependency check for a ResourceSet (fluxcd.controlplane.io/v1), from its documented
// behaviour: `spec.dependsOn` entries `{apiVersion, kind, name, namespace?, ready?, readyExpr?}` name
// objects of any kind. Each must exist; with `ready: true` it must also be ready: by `readyExpr` (CEL over
// the dependency object) when given, by the operator's own expression for ResourceSets and
// ResourceSetInputProviders (every Ready condition True at the object's generation), by kstatus for every
// other kind. `readyExpr` without `ready: true` is not evaluated. An expression never sees the kubectl
// last-applied annotation, nor a Secret's data unless the Secret is in the ResourceSet's namespace. On failure the
// ResourceSet gets Ready=False reason DependencyNotReady, "Retrying dependency check: <why>", and the
// operator checks again after 5 s. An expression that does not compile is terminal (InvalidCELExpression).
import type { DependencyVerdict } from "./helm-dependencies.js";
import { computeStatus } from "./kstatus.js";
import { compileError, evaluateOnObject } from "./ready-expr.js";
import { field, isJson } from "./unstructured.js";
import type { Json } from "./unstructured.js";

interface ResourceSetDependency {
  apiVersion: string;
  kind: string;
  name: string;
  /** Empty for cluster-scoped kinds; as written (the operator does not default it). */
  namespace: string;
  ready: boolean;
  readyExpr: string | undefined;
}

export function resourceSetDependencies(obj: Json): ResourceSetDependency[] {
  const list = field(obj, "spec", "dependsOn");
  if (!Array.isArray(list)) return [];
  return list.filter(isJson).map((e) => ({
    apiVersion: typeof e.apiVersion === "string" ? e.apiVersion : "",
    kind: typeof e.kind === "string" ? e.kind : "",
    name: typeof e.name === "string" ? e.name : "",
    namespace: typeof e.namespace === "string" ? e.namespace : "",
    ready: e.ready === true,
    readyExpr: typeof e.readyExpr === "string" && e.readyExpr !== "" ? e.readyExpr : undefined,
  }));
}

/** How the operator names a dependency in its messages: apiVersion/Kind/namespace/name. */
function dependencyLabel(dep: ResourceSetDependency): string {
  return [dep.apiVersion, dep.kind, ...(dep.namespace ? [dep.namespace] : []), dep.name].join("/");
}

export function invalidResourceSetExpr(deps: readonly ResourceSetDependency[]): DependencyVerdict | undefined {
  for (const dep of deps) {
    if (!dep.ready || dep.readyExpr === undefined) continue;
    const error = compileError(dep.readyExpr);
    if (error !== undefined) {
      return { kind: "terminal", reason: "InvalidCELExpression", message: `failed to parse expression for dependency ${dependencyLabel(dep)}: ${error}` };
    }
  }
  return undefined;
}

const OPERATOR_KINDS = new Set(["ResourceSet", "ResourceSetInputProvider"]);

/** The operator's readiness expression for its own kinds. */
const OPERATOR_READY = "status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True' && c.observedGeneration == metadata.generation)";

/** The object as a readiness expression sees it. */
function visible(found: Json, ownerNamespace: string): Json {
  const copy: Json = structuredClone(found);
  const annotations = field(copy, "metadata", "annotations");
  if (isJson(annotations)) delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
  if (copy.apiVersion === "v1" && copy.kind === "Secret" && field(copy, "metadata", "namespace") !== ownerNamespace) delete copy.data;
  return copy;
}

export function checkResourceSetDependency(dep: ResourceSetDependency, found: Json | undefined, ownerNamespace = ""): DependencyVerdict {
  const label = dependencyLabel(dep);
  if (found === undefined) return { kind: "wait", message: `dependency ${label} not found` };
  if (!dep.ready) return { kind: "ok" };
  if (dep.readyExpr !== undefined) {
    const result = evaluateOnObject(dep.readyExpr, visible(found, ownerNamespace));
    if (!result.ok) return { kind: "wait", message: "compileError" in result ? result.compileError : result.evalError };
    return result.ready ? { kind: "ok" } : { kind: "wait", message: `dependency ${label} not ready: expression '${dep.readyExpr}'` };
  }
  if (OPERATOR_KINDS.has(dep.kind)) {
    const result = evaluateOnObject(OPERATOR_READY, visible(found, ownerNamespace));
    if (!result.ok) return { kind: "wait", message: "compileError" in result ? result.compileError : result.evalError };
    return result.ready ? { kind: "ok" } : { kind: "wait", message: `dependency ${label} not ready` };
  }
  const status = computeStatus(found);
  return status === "Current" ? { kind: "ok" } : { kind: "wait", message: `dependency ${label} not ready: status ${status}` };
}
