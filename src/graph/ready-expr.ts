// Flux's `dependsOn[].readyExpr`: a CEL expression over `self` (the dependent) and `dep` (the
// dependency) that replaces the built-in readiness check (HelmRelease v2 and Kustomization v1 CRDs:
// "When specified, the built-in readiness check is replaced by the logic defined in the CEL
// expression"). Flux compiles it with both variables as dynamic maps and requires a bool result;
// an evaluation error or `false` means "not ready".
//
// releasegate keeps only some fields of each object, so the maps CEL sees hold exactly these
// (absent fields are absent, as in the real object):
//   apiVersion, kind,
//   metadata: {name, namespace, generation, labels, annotations},
//   spec: {suspend, dependsOn: [{name, namespace, readyExpr}]},
//   status: {observedGeneration, conditions: [{type, status, reason, message, observedGeneration}]}
// Integers are CEL ints, as in Kubernetes' unstructured objects. An expression reading any other
// field (e.g. `dep.status.history`) fails with "no such key", i.e. the dependency counts as not ready.

import { celEnv, CelScalar, isCelError, parse, plan } from "@bufbuild/cel";
import type { CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import type { ExternalObject, JsonValue } from "./external-objects.js";
import type { FluxObject } from "./types.js";

export type CompiledReadyExpr =
  | { ok: true; evaluate(self: FluxObject, dep: FluxObject): boolean }
  | { ok: false; error: string };

type Expr = ReturnType<typeof parse>["expr"];

const env = celEnv({ variables: { self: CelScalar.DYN, dep: CelScalar.DYN }, funcs: strings });

/** Compiled programs by expression text: an expression is compiled once per process. */
const cache = new Map<string, CompiledReadyExpr>();
const CACHE_LIMIT = 10_000;

export function compileReadyExpr(expr: string): CompiledReadyExpr {
  let compiled = cache.get(expr);
  if (compiled === undefined) {
    compiled = compile(expr);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(expr, compiled);
  }
  return compiled;
}

function compile(expr: string): CompiledReadyExpr {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expr);
  } catch (err) {
    return { ok: false, error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
  const problem = staticCheck(parsed.expr);
  if (problem !== undefined) return { ok: false, error: problem };
  let program: (bindings: { self: CelInput; dep: CelInput }) => unknown;
  try {
    program = plan(env, parsed);
  } catch (err) {
    return { ok: false, error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
  return {
    ok: true,
    evaluate(self: FluxObject, dep: FluxObject): boolean {
      try {
        const result = program({ self: celObject(self), dep: celObject(dep) });
        return !isCelError(result) && result === true;
      } catch {
        return false;
      }
    },
  };
}

// --- the Flux Operator's readyExpr: over the dependency object itself ---
//
// A ResourceSet's `dependsOn[].readyExpr` (evaluated only with `ready: true`) sees the dependency's
// top-level fields as variables (`status.conditions.filter(c, c.type == 'Ready')...`, `metadata.name`):
// the operator parses the expression (a parse error stalls the ResourceSet, reason InvalidCELExpression)
// and evaluates it on the object as read; an unknown field or a non-bool result is an evaluation error,
// which the operator treats as "not ready" and retries. The object seen holds the fields celObject
// keeps of a Flux kind, or the fields an external cache keeps of another kind (external-objects.ts).

export type ObjectReadyResult = { ready: true } | { ready: false; error?: string };

export type CompiledObjectReadyExpr =
  | { ok: true; evaluate(object: FluxObject | ExternalObject): ObjectReadyResult }
  | { ok: false; error: string };

const OBJECT_VARIABLES = ["apiVersion", "kind", "metadata", "spec", "status"] as const;
const objectEnv = celEnv({ variables: Object.fromEntries(OBJECT_VARIABLES.map((name) => [name, CelScalar.DYN])), funcs: strings });
const objectCache = new Map<string, CompiledObjectReadyExpr>();

export function compileObjectReadyExpr(expr: string): CompiledObjectReadyExpr {
  let compiled = objectCache.get(expr);
  if (compiled === undefined) {
    compiled = compileOnObject(expr);
    if (objectCache.size >= CACHE_LIMIT) objectCache.clear();
    objectCache.set(expr, compiled);
  }
  return compiled;
}

function compileOnObject(expr: string): CompiledObjectReadyExpr {
  let program: (bindings: Record<string, CelInput>) => unknown;
  try {
    program = plan(objectEnv, parse(expr));
  } catch (err) {
    return { ok: false, error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
  return {
    ok: true,
    evaluate(object): ObjectReadyResult {
      try {
        const result = program(objectBindings(object));
        if (isCelError(result)) return { ready: false, error: oneLine(result.message) };
        if (typeof result !== "boolean") return { ready: false, error: "the expression does not evaluate to a bool" };
        return result ? { ready: true } : { ready: false };
      } catch (err) {
        return { ready: false, error: oneLine(err instanceof Error ? err.message : String(err)) };
      }
    },
  };
}

const externalCel = new WeakMap<ExternalObject, Record<string, CelInput>>();

function objectBindings(object: FluxObject | ExternalObject): Record<string, CelInput> {
  if ("dependsOn" in object) return celObject(object) as Record<string, CelInput>;
  let bindings = externalCel.get(object);
  if (bindings === undefined) {
    const metadata: Record<string, CelInput> = { name: object.name };
    if (object.namespace !== "") metadata.namespace = object.namespace;
    if (object.generation !== undefined) metadata.generation = BigInt(object.generation);
    bindings = { apiVersion: object.apiVersion, kind: object.kind, metadata };
    if (object.spec !== undefined) bindings.spec = celJson(object.spec);
    if (object.status !== undefined) bindings.status = celJson(object.status);
    externalCel.set(object, bindings);
  }
  return bindings;
}

/** JSON as CEL sees Kubernetes' unstructured objects: whole numbers are ints. */
function celJson(value: JsonValue): CelInput {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(celJson);
  const out: Record<string, CelInput> = {};
  for (const [key, item] of Object.entries(value)) out[key] = celJson(item);
  return out;
}

// --- what cel-go's checker would reject at compile time, for the subset we can see without types ---

/** Functions the CEL planner implements itself rather than through the function registry. */
const SPECIAL_FUNCTIONS = new Set(["_&&_", "_||_", "_?_:_", "_[_]", "@not_strictly_false", "not_strictly_false", "_?._", "_[?_]"]);
const TYPE_IDENTIFIERS = new Set(["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn"]);
const BOOL_FUNCTIONS = new Set([
  "_&&_", "_||_", "!_", "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "@in", "@not_strictly_false",
  "contains", "startsWith", "endsWith", "matches",
]);
const NON_BOOL_FUNCTIONS = new Set([
  "_+_", "_-_", "_*_", "_/_", "_%_", "-_", "size", "int", "uint", "double", "string", "bytes", "timestamp",
  "duration", "type", "charAt", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "replace", "split",
  "substring", "trim", "join", "format", "strings.quote",
]);

/**
 * Flux compiles readyExpr with cel-go (declared variables `self` and `dep`, output type bool), so an
 * unknown identifier, an unknown function or a result that can never be a bool is a compile error
 * there. @bufbuild/cel only finds those at evaluation; catch them here.
 */
function staticCheck(root: Expr): string | undefined {
  const type = inferType(root, new Set(["self", "dep"]));
  if (typeof type === "object") return type.error;
  if (type !== "bool" && type !== "dyn") return `expression must evaluate to a bool, not ${type}`;
  return undefined;
}

type Inferred = "bool" | "dyn" | "int" | "double" | "string" | "list" | "map" | "null" | "other" | { error: string };

function inferType(root: Expr, scope: ReadonlySet<string>): Inferred {
  // Iterative over the tree (no deep recursion on long && chains), results by node.
  const stack: { expr: Expr; scope: ReadonlySet<string>; done: boolean }[] = [{ expr: root, scope, done: false }];
  const types = new Map<Expr, Inferred>();
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const { expr } = frame;
    const kind = expr.exprKind;
    if (!frame.done) {
      frame.done = true;
      for (const [child, childScope] of children(expr, frame.scope)) stack.push({ expr: child, scope: childScope, done: false });
      continue;
    }
    stack.pop();
    const typeOf = (child: Expr | undefined): Inferred => (child === undefined ? "dyn" : (types.get(child) ?? "dyn"));
    let result: Inferred = "dyn";
    for (const [child] of children(expr, frame.scope)) {
      const t = types.get(child);
      if (typeof t === "object") {
        result = t;
        break;
      }
    }
    if (typeof result !== "object") {
      switch (kind.case) {
        case "constExpr": {
          const c = kind.value.constantKind.case;
          result =
            c === "boolValue" ? "bool" : c === "stringValue" ? "string" : c === "doubleValue" ? "double" : c === "nullValue" ? "null" : c === "int64Value" || c === "uint64Value" ? "int" : "other";
          break;
        }
        case "identExpr": {
          const name = kind.value.name;
          if (!frame.scope.has(name) && !TYPE_IDENTIFIERS.has(name)) result = { error: `undeclared reference to '${name}'` };
          break;
        }
        case "callExpr": {
          const fn = kind.value.function;
          if (!SPECIAL_FUNCTIONS.has(fn) && env.funcs.find(fn) === undefined) {
            result = { error: `undeclared reference to function '${fn}'` };
          } else if (fn === "_?_:_") {
            const a = typeOf(kind.value.args[1]);
            const b = typeOf(kind.value.args[2]);
            result = a === b ? a : "dyn";
          } else if (BOOL_FUNCTIONS.has(fn)) {
            result = "bool";
          } else if (NON_BOOL_FUNCTIONS.has(fn)) {
            result = "other";
          }
          break;
        }
        case "listExpr":
          result = "list";
          break;
        case "structExpr":
          result = "map";
          break;
        case "comprehensionExpr":
          // exists/all/exists_one fold a bool accumulator; map/filter a list.
          result = typeOf(kind.value.accuInit);
          break;
        case "selectExpr":
          result = kind.value.testOnly ? "bool" : "dyn";
          break;
        default:
          result = "dyn";
      }
    }
    types.set(expr, result);
  }
  return types.get(root) ?? "dyn";
}

/** Sub-expressions with the variables in scope for each (comprehension variables are local). */
function children(expr: Expr, scope: ReadonlySet<string>): [Expr, ReadonlySet<string>][] {
  const kind = expr.exprKind;
  const out: [Expr, ReadonlySet<string>][] = [];
  const add = (child: Expr | undefined, s: ReadonlySet<string> = scope): void => {
    if (child !== undefined) out.push([child, s]);
  };
  switch (kind.case) {
    case "selectExpr":
      add(kind.value.operand);
      break;
    case "callExpr":
      add(kind.value.target);
      for (const arg of kind.value.args) add(arg);
      break;
    case "listExpr":
      for (const element of kind.value.elements) add(element);
      break;
    case "structExpr":
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === "mapKey") add(entry.keyKind.value);
        add(entry.value);
      }
      break;
    case "comprehensionExpr": {
      const c = kind.value;
      const withAccu = new Set(scope).add(c.accuVar);
      const withIter = new Set(withAccu).add(c.iterVar);
      if (c.iterVar2 !== "") withIter.add(c.iterVar2);
      add(c.iterRange);
      add(c.accuInit);
      add(c.loopCondition, withIter);
      add(c.loopStep, withIter);
      add(c.result, withAccu);
      break;
    }
    default:
      break;
  }
  return out;
}

// --- objects as CEL sees them ---

const celObjects = new WeakMap<FluxObject, CelInput>();

/** The Kubernetes-shaped map of a FluxObject (see the header for the fields), cached per object. */
export function celObject(obj: FluxObject): CelInput {
  let value = celObjects.get(obj);
  if (value === undefined) {
    value = toCel(obj);
    celObjects.set(obj, value);
  }
  return value;
}

function toCel(obj: FluxObject): CelInput {
  const metadata: Record<string, CelInput> = { name: obj.name, namespace: obj.namespace };
  if (obj.generation !== undefined) metadata.generation = BigInt(obj.generation);
  if (obj.labels !== undefined) metadata.labels = { ...obj.labels };
  if (obj.annotations !== undefined) metadata.annotations = { ...obj.annotations };
  const spec: Record<string, CelInput> = {
    dependsOn: obj.dependsOn.map((entry) => {
      const e: Record<string, CelInput> = { name: entry.name };
      if (entry.namespace !== undefined) e.namespace = entry.namespace;
      if (entry.readyExpr !== undefined) e.readyExpr = entry.readyExpr;
      return e;
    }),
  };
  if (obj.suspend !== undefined) spec.suspend = obj.suspend;
  const result: Record<string, CelInput> = { kind: obj.kind, metadata, spec };
  if (obj.apiVersion !== undefined) result.apiVersion = obj.apiVersion;
  if (obj.status !== undefined) {
    const status: Record<string, CelInput> = {};
    if (obj.status.observedGeneration !== undefined) status.observedGeneration = BigInt(obj.status.observedGeneration);
    if (obj.status.conditions !== undefined) {
      status.conditions = obj.status.conditions.map((c) => {
        const condition: Record<string, CelInput> = { type: c.type, status: c.status };
        if (c.reason !== undefined) condition.reason = c.reason;
        if (c.message !== undefined) condition.message = c.message;
        if (c.observedGeneration !== undefined) condition.observedGeneration = BigInt(c.observedGeneration);
        return condition;
      });
    }
    result.status = status;
  }
  return result;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
