// Flux's `dependsOn[].readyExpr` (docs/behaviour.md, "Gate states").
//
// HelmRelease and Kustomization (helm-controller and kustomize-controller, checkDependencies and
// evalReadyExpr): CEL over `self` (the dependent) and `dep` (the dependency), both bound to the whole
// objects as unstructured maps — of the Go-typed objects, so with the typed defaults flux-typed-view.ts
// lays over them. Flux compiles with cel-go, both variables declared as
// google.protobuf.Struct and the output type bool, so an undeclared identifier, an unknown function or an
// expression whose type is not bool (a bare field, `dep.spec.suspend`, is `dyn`: "CEL expression output
// type mismatch: expected bool, got dyn") is a compile error: terminal, the dependent Stalled with reason
// InvalidCELExpression. An evaluation error ("no such key") or `false` means "not ready", retried.
//
// ResourceSet (the Flux Operator, resourceset_controller.go checkDependencies): CEL over the dependency
// object's own top-level fields (`status`, `data`, `metadata`...), parsed but not type-checked, so only a
// syntax error is terminal; a field the object lacks or a non-bool result is an evaluation error.
//
// releasegate does not keep whole objects: field-paths.ts reads which fields an expression reads, and
// the decoder keeps those (FluxObject.fields, ExternalObject.fields) besides what it always keeps.
// Integers are CEL ints, as in Kubernetes' unstructured objects.

import { celEnv, CelScalar, isCelError, parse, plan } from "@bufbuild/cel";
import type { CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import type { ExternalObject, JsonValue } from "./external-objects.js";
import { fieldsRead } from "./field-paths.js";
import { fluxTypedView } from "./flux-typed-view.js";
import type { Keep } from "./field-paths.js";
import type { FluxObject } from "./types.js";

/** The outcome of one evaluation: ready, or not with Flux's error when the evaluation failed. */
type ReadyExprResult = { ready: true } | { ready: false; error?: string };

type CompiledReadyExpr =
  | {
      ok: true;
      /** What the expression reads of the dependent and of the dependency (undefined: nothing). */
      selfFields: Keep | undefined;
      depFields: Keep | undefined;
      /** `dep` may be of a kind outside the graph (the Flux RFC's cross-kind entries): bound as the object it is. */
      evaluate(self: FluxObject, dep: FluxObject | ExternalObject): ReadyExprResult;
    }
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

/** pkg/runtime/cel NewExpression's words for an expression that does not compile. */
function parseFailure(expr: string, why: string): string {
  return `failed to parse the CEL expression '${expr}': ${oneLine(why)}`;
}

/** pkg/runtime/cel EvaluateBoolean's words for an evaluation error, in cel-go's terms. */
function evalFailure(expr: string, why: string): string {
  return `failed to evaluate the CEL expression '${expr}': ${celGoWords(oneLine(why))}`;
}

/** @bufbuild/cel's error texts as cel-go says them (the messages a Flux user sees on the object). */
function celGoWords(message: string): string {
  const field = /^field not found: (.*)$/.exec(message);
  if (field !== null) return `no such key: ${field[1]}`;
  if (message === "unresolved attribute") return "no such attribute(s)";
  return message;
}

function compile(expr: string): CompiledReadyExpr {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expr);
  } catch (err) {
    return { ok: false, error: parseFailure(expr, err instanceof Error ? err.message : String(err)) };
  }
  const problem = staticCheck(parsed.expr);
  if (problem !== undefined) return { ok: false, error: problem.outputType ? problem.message : parseFailure(expr, problem.message) };
  let program: (bindings: { self: CelInput; dep: CelInput }) => unknown;
  try {
    program = plan(env, parsed);
  } catch (err) {
    return { ok: false, error: parseFailure(expr, err instanceof Error ? err.message : String(err)) };
  }
  const read = fieldsRead(parsed.expr, ["self", "dep"]);
  return {
    ok: true,
    selfFields: read.get("self"),
    depFields: read.get("dep"),
    evaluate(self: FluxObject, dep: FluxObject | ExternalObject): ReadyExprResult {
      try {
        // The Go-typed views the controllers bind, not the stored JSON (flux-typed-view.ts); an object of a
        // kind outside Flux (the Flux RFC's cross-kind entries) is read as unstructured, bound as it is.
        const depView = "dependsOn" in dep ? fluxTypedView(dep.kind, celObject(dep), "dep") : objectBindings(dep);
        const result = program({ self: fluxTypedView(self.kind, celObject(self), "self"), dep: depView });
        if (isCelError(result)) return { ready: false, error: evalFailure(expr, result.message) };
        if (typeof result !== "boolean") return { ready: false, error: `failed to evaluate CEL expression as boolean: '${expr}'` };
        return result ? READY : NOT_READY;
      } catch (err) {
        return { ready: false, error: evalFailure(expr, err instanceof Error ? err.message : String(err)) };
      }
    },
  };
}

const READY: ReadyExprResult = Object.freeze({ ready: true });
const NOT_READY: ReadyExprResult = Object.freeze({ ready: false });

// --- the Flux Operator's readyExpr: over the dependency object itself ---

type CompiledObjectReadyExpr =
  | {
      ok: true;
      /** What the expression reads of the object (its top-level fields and below). */
      fields: Keep | undefined;
      evaluate(object: FluxObject | ExternalObject, options?: ObjectEvalOptions): ReadyExprResult;
    }
  | { ok: false; error: string };

interface ObjectEvalOptions {
  /** A Secret's `data` is hidden (a Secret outside the ResourceSet's namespace). */
  hideSecretData?: boolean;
}

// No variables declared: the operator only parses, and every identifier is looked up in the object.
const objectEnv = celEnv({ funcs: strings });
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
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expr);
    program = plan(objectEnv, parsed);
  } catch (err) {
    return { ok: false, error: parseFailure(expr, err instanceof Error ? err.message : String(err)) };
  }
  const attributes = freeAttributes(parsed.expr);
  // Programs for objects lacking some field a has() tests at its root, by the missing fields (few: planned once each).
  const variants = new Map<string, (bindings: Record<string, CelInput>) => unknown>();
  const programFor = (bindings: Record<string, CelInput>): ((bindings: Record<string, CelInput>) => unknown) => {
    const missing = [...attributes.testedRoots].filter((root) => !(root in bindings)).sort();
    if (missing.length === 0) return program;
    const key = missing.join("\u0000");
    let variant = variants.get(key);
    if (variant === undefined) {
      const reparsed = parse(expr);
      strictPresence(reparsed.expr, new Set(missing));
      variant = plan(objectEnv, reparsed);
      if (variants.size < 16) variants.set(key, variant);
    }
    return variant;
  };
  return {
    ok: true,
    fields: fieldsRead(parsed.expr, undefined).get(""),
    evaluate(object, options = {}): ReadyExprResult {
      try {
        let bindings = objectBindings(object);
        if (options.hideSecretData === true && "data" in bindings) {
          bindings = { ...bindings };
          delete bindings.data;
        }
        const result = programFor(bindings)(bindings);
        if (isCelError(result)) {
          // cel-go names the attribute it could not resolve: the variable and the field names after it.
          const name = result.message === "unresolved attribute" && result.exprId !== undefined ? attributes.names.get(result.exprId) : undefined;
          return { ready: false, error: evalFailure(expr, name === undefined ? result.message : `no such attribute(s): ${name}`) };
        }
        if (typeof result !== "boolean") return { ready: false, error: `failed to evaluate CEL expression as boolean: '${expr}'` };
        return result ? READY : NOT_READY;
      } catch (err) {
        return { ready: false, error: evalFailure(expr, err instanceof Error ? err.message : String(err)) };
      }
    },
  };
}

/**
 * The attributes an expression over an object reads from its free variables (the object's top-level
 * fields): for each node of such an attribute, the name cel-go gives it when it cannot be resolved (the
 * variable and the constant field names after it: `data.gate`; interpreter/attributes.go, maybeAttribute),
 * and the variables a has() tests through (`has(data.token)` tests through `data`).
 */
function freeAttributes(root: Expr): { names: Map<bigint, string>; testedRoots: Set<string> } {
  const names = new Map<bigint, string>();
  const testedRoots = new Set<string>();
  const stack: [Expr, ReadonlySet<string>][] = [[root, new Set()]];
  while (stack.length > 0) {
    const [expr, scope] = stack.pop()!;
    const chain = attributeChain(expr, scope);
    if (chain !== undefined) {
      for (const id of chain.ids) if (!names.has(id)) names.set(id, chain.name);
      if (expr.exprKind.case === "selectExpr" && expr.exprKind.value.testOnly) testedRoots.add(chain.root);
    }
    for (const child of children(expr, scope)) stack.push(child);
  }
  return { names, testedRoots };
}

/** A chain of selections (and constant string indexes) down to a free identifier: its node ids, root and cel-go name. */
function attributeChain(expr: Expr, scope: ReadonlySet<string>): { ids: bigint[]; root: string; name: string } | undefined {
  const ids: bigint[] = [];
  const fields: (string | undefined)[] = [];
  let at: Expr | undefined = expr;
  for (;;) {
    if (at === undefined) return undefined;
    const kind: Expr["exprKind"] = at.exprKind;
    ids.push(at.id);
    if (kind.case === "identExpr") {
      if (scope.has(kind.value.name)) return undefined;
      // The name runs to the first qualifier that is not a constant string.
      const constant = fields.reverse();
      const end = constant.indexOf(undefined);
      return { ids, root: kind.value.name, name: [kind.value.name, ...(end < 0 ? constant : constant.slice(0, end))].join(".") };
    }
    if (kind.case === "selectExpr") {
      fields.push(kind.value.field);
      at = kind.value.operand;
    } else if (kind.case === "callExpr" && kind.value.function === "_[_]" && kind.value.args.length === 2) {
      const index = kind.value.args[1]!.exprKind;
      fields.push(index.case === "constExpr" && index.value.constantKind.case === "stringValue" ? index.value.constantKind.value : undefined);
      at = kind.value.args[0];
    } else {
      return undefined;
    }
  }
}

/**
 * cel-go resolves a has() through a variable the activation lacks as an error ("no such attribute(s)"),
 * where @bufbuild/cel answers false: the has() tests through `missing` become plain selections, which fail
 * the same way (and are absorbed by && and || as cel-go absorbs errors).
 */
function strictPresence(root: Expr, missing: ReadonlySet<string>): void {
  const stack: [Expr, ReadonlySet<string>][] = [[root, new Set()]];
  while (stack.length > 0) {
    const [expr, scope] = stack.pop()!;
    const kind = expr.exprKind;
    if (kind.case === "selectExpr" && kind.value.testOnly) {
      const chain = attributeChain(expr, scope);
      if (chain !== undefined && missing.has(chain.root)) kind.value.testOnly = false;
    }
    for (const child of children(expr, scope)) stack.push(child);
  }
}

/**
 * The operator's built-in check of a ResourceSet or ResourceSetInputProvider dependency (fluxcd.controlplane.io
 * api/v1 HealthCheckExpr): every Ready condition True at the object's generation. No Ready condition at all
 * passes, as `filter(...).all(...)` over an empty list does; an object without status fails to evaluate.
 */
export const OPERATOR_HEALTH_CHECK_EXPR =
  "status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True' && c.observedGeneration == metadata.generation)";

/** The object's top-level fields as CEL variables, the kubectl last-applied annotation left out (made per evaluation, as celObject). */
function objectBindings(object: FluxObject | ExternalObject): Record<string, CelInput> {
  if ("dependsOn" in object) return celObject(object) as Record<string, CelInput>;
  let bindings: Record<string, CelInput>;
  {
    const metadata: Record<string, CelInput> = { name: object.name };
    if (object.namespace !== "") metadata.namespace = object.namespace;
    if (object.generation !== undefined) metadata.generation = BigInt(object.generation);
    const base: Record<string, CelInput> = { apiVersion: object.apiVersion, kind: object.kind, metadata };
    if (object.spec !== undefined) base.spec = celJson(object.spec);
    if (object.status !== undefined) base.status = celJson(object.status);
    bindings = object.fields === undefined ? base : (mergeCel(base, celJson(object.fields)) as Record<string, CelInput>);
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

/** `extra` laid over `base` (maps merged key by key; elsewhere `extra` wins: it is the fuller copy of the same object). */
function mergeCel(base: CelInput, extra: CelInput): CelInput {
  if (!isCelMap(base) || !isCelMap(extra)) return extra;
  const out: Record<string, CelInput> = { ...base };
  for (const [key, value] of Object.entries(extra)) out[key] = key in out ? mergeCel(out[key]!, value) : value;
  return out;
}

function isCelMap(value: CelInput): value is Record<string, CelInput> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
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
function staticCheck(root: Expr): { message: string; outputType: boolean } | undefined {
  const type = inferType(root, new Set(["self", "dep"]));
  if (typeof type === "object") return { message: type.error, outputType: false };
  // cel-go gives a field of a Struct the type dyn, and Flux asks for bool exactly.
  if (type !== "bool") return { message: `CEL expression output type mismatch: expected bool, got ${type === "other" ? "a value that is not a bool" : type}`, outputType: true };
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
          // exists/all fold a bool accumulator and return it; exists_one compares a count; map/filter a list.
          result = isIdent(kind.value.result, kind.value.accuVar) ? typeOf(kind.value.accuInit) : typeOf(kind.value.result);
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

function isIdent(expr: Expr | undefined, name: string): boolean {
  return expr?.exprKind.case === "identExpr" && expr.exprKind.value.name === name;
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

/**
 * The Kubernetes-shaped map of a FluxObject (see the header for the fields), made for each evaluation:
 * kept per object it would cost about a KiB a release at 10,000 releases for maps read once per change.
 */
function celObject(obj: FluxObject): CelInput {
  return toCel(obj);
}

function toCel(obj: FluxObject): CelInput {
  const base = baseCel(obj);
  return obj.fields === undefined ? base : mergeCel(base, celJson(obj.fields));
}

/** The fields every FluxObject keeps. */
function baseCel(obj: FluxObject): CelInput {
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
