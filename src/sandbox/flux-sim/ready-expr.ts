// `readyExpr` CEL expressions, evaluated as the Flux controllers do: HelmRelease and Kustomization
// (Flux 2.7+) bind the dependent as `self` and the dependency as `dep`, whole, and compile with type
// checking (only `self` and `dep` declared, the result must be typed bool: a bare field is dyn and is
// refused); the Flux Operator's ResourceSet only parses, and evaluates over the dependency object itself
// (its fields are the top-level variables). A compile error is terminal for the dependent (Ready=False and
// Stalled=True, reason InvalidCELExpression); an evaluation error only makes it wait.
// Evaluation uses @bufbuild/cel, a CEL library, not releasegate's code.
import { celEnv, CelScalar, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { isJson } from "./unstructured.js";
import type { Json } from "./unstructured.js";

type CelIn = null | boolean | string | number | bigint | CelIn[] | Map<string, CelIn>;

function toCel(v: unknown): CelIn {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(toCel);
  if (isJson(v)) return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return String(v);
}

type ReadyExprResult = { ok: true; ready: boolean } | { ok: false; compileError: string } | { ok: false; evalError: string };

const selfDepEnv = celEnv({ variables: { self: CelScalar.DYN, dep: CelScalar.DYN }, funcs: strings });

function compile(expression: string): ReturnType<typeof parse> | string {
  try {
    return parse(expression);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** cel-go names a key a map lacks "no such key: x" (the message Flux writes on the object); the CEL library here says "field not found". */
function inCelGoWords(message: string): string {
  return message.startsWith("field not found: ") ? `no such key: ${message.slice("field not found: ".length)}` : message;
}

function asResult(expression: string, value: unknown, attributeName?: (id: bigint) => string | undefined): ReadyExprResult {
  if (isCelError(value)) {
    // cel-go says which attribute it could not resolve (interpreter/attributes.go, missingAttribute).
    const name = value.message === "unresolved attribute" && value.exprId !== undefined ? attributeName?.(value.exprId) : undefined;
    const why = name === undefined ? inCelGoWords(value.message) : `no such attribute(s): ${name}`;
    return { ok: false, evalError: `failed to evaluate the CEL expression '${expression}': ${why}` };
  }
  if (typeof value !== "boolean") return { ok: false, evalError: `failed to evaluate CEL expression as boolean: '${expression}'` };
  return { ok: true, ready: value };
}

type Node = ReturnType<typeof parse>["expr"];

/**
 * What cel-go's checker says of an expression with only `self` and `dep` declared as Structs and bool
 * asked of the result, for the shapes a readyExpr takes: an identifier nobody declared, or a result
 * that is a field, an index or a literal that is not a bool.
 */
function typeProblem(root: Node): string | undefined {
  const free = (node: Node, bound: Set<string>): string | undefined => {
    const k = node.exprKind;
    switch (k.case) {
      case "identExpr":
        return bound.has(k.value.name) ? undefined : `undeclared reference to '${k.value.name}'`;
      case "selectExpr":
        return k.value.operand ? free(k.value.operand, bound) : undefined;
      case "callExpr": {
        for (const child of [k.value.target, ...k.value.args]) {
          const found = child ? free(child, bound) : undefined;
          if (found) return found;
        }
        return undefined;
      }
      case "listExpr":
        for (const e of k.value.elements) {
          const found = free(e, bound);
          if (found) return found;
        }
        return undefined;
      case "comprehensionExpr": {
        const c = k.value;
        const inner = new Set([...bound, c.iterVar, c.accuVar]);
        for (const [child, scope] of [[c.iterRange, bound], [c.accuInit, bound], [c.loopCondition, inner], [c.loopStep, inner], [c.result, inner]] as const) {
          const found = child ? free(child, scope) : undefined;
          if (found) return found;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  };
  const undeclared = free(root, new Set(["self", "dep"]));
  if (undeclared) return undeclared;
  const k = root.exprKind;
  if (k.case === "identExpr" || (k.case === "selectExpr" && !k.value.testOnly) || (k.case === "callExpr" && k.value.function === "_[_]")) {
    return "CEL expression output type mismatch: expected bool, got dyn";
  }
  if (k.case === "constExpr" && k.value.constantKind.case !== "boolValue") return "CEL expression output type mismatch: expected bool, got a literal that is not a bool";
  return undefined;
}

/** helm-controller / kustomize-controller: whether the expression compiles (undefined) or why not, in Flux's words. */
export function selfDepCompileError(expression: string): string | undefined {
  const parsed = compile(expression);
  if (typeof parsed === "string") return `failed to parse the CEL expression '${expression}': ${parsed}`;
  const problem = typeProblem(parsed.expr);
  if (problem === undefined) return undefined;
  return problem.startsWith("CEL expression output") ? problem : `failed to parse the CEL expression '${expression}': ${problem}`;
}

/** helm-controller / kustomize-controller: `readyExpr` over `self` (the dependent) and `dep`. */
export function evaluateSelfDep(expression: string, self: Json, dep: Json): ReadyExprResult {
  const problem = selfDepCompileError(expression);
  if (problem !== undefined) return { ok: false, compileError: problem };
  const parsed = compile(expression);
  if (typeof parsed === "string") return { ok: false, compileError: parsed };
  try {
    return asResult(expression, plan(selfDepEnv, parsed)({ self: toCel(self), dep: toCel(dep) }));
  } catch (err) {
    return { ok: false, evalError: `failed to evaluate the CEL expression '${expression}': ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Only the syntax: whether the expression compiles (checked before any dependency is read). */
export function compileError(expression: string): string | undefined {
  const parsed = compile(expression);
  return typeof parsed === "string" ? parsed : undefined;
}

/**
 * cel-go, the operator's evaluator, fails `has(x.y)` when the variable `x` is not in the activation ("no
 * such attribute(s)"); @bufbuild/cel answers false. Such a has() is turned into the plain selection
 * `x.y`, which fails in both libraries (names bound by a comprehension are left alone).
 */
function presenceThroughMissing(node: Node, present: ReadonlySet<string>, bound: ReadonlySet<string>): void {
  const k = node.exprKind;
  if (k.case === "selectExpr") {
    if (k.value.testOnly) {
      let root: Node | undefined = k.value.operand;
      while (root?.exprKind.case === "selectExpr") root = root.exprKind.value.operand;
      if (root?.exprKind.case === "identExpr" && !present.has(root.exprKind.value.name) && !bound.has(root.exprKind.value.name)) k.value.testOnly = false;
    }
    if (k.value.operand) presenceThroughMissing(k.value.operand, present, bound);
  } else if (k.case === "callExpr") {
    for (const child of [k.value.target, ...k.value.args]) if (child) presenceThroughMissing(child, present, bound);
  } else if (k.case === "listExpr") {
    for (const e of k.value.elements) presenceThroughMissing(e, present, bound);
  } else if (k.case === "comprehensionExpr") {
    const c = k.value;
    const inner = new Set([...bound, c.iterVar, c.accuVar]);
    for (const [child, scope] of [[c.iterRange, bound], [c.accuInit, bound], [c.loopCondition, inner], [c.loopStep, inner], [c.result, inner]] as const) {
      if (child) presenceThroughMissing(child, present, scope);
    }
  }
}

/**
 * The name cel-go gives an attribute it cannot resolve, for the node `id`: the variable, then each field
 * selected from it up to the first index that is not a constant string (`data.gate`, `status.conditions`),
 * the longest name its maybeAttribute tries first.
 */
function unresolvedName(root: Node, id: bigint): string | undefined {
  // The selection chain down to a variable that holds `id`, the outermost first (a variable's attribute
  // error may carry the id of the variable itself).
  const chainName = (top: Node): string | undefined => {
    const names: (string | undefined)[] = [];
    let holds = false;
    let at: Node | undefined = top;
    while (at) {
      holds ||= at.id === id;
      const k: Node["exprKind"] = at.exprKind;
      if (k.case === "identExpr") {
        if (!holds) return undefined;
        names.unshift(k.value.name);
        const cut = names.indexOf(undefined);
        return (cut < 0 ? names : names.slice(0, cut)).join(".");
      }
      if (k.case === "selectExpr") {
        names.unshift(k.value.field);
        at = k.value.operand;
      } else if (k.case === "callExpr" && k.value.function === "_[_]") {
        const index = k.value.args[1]?.exprKind;
        names.unshift(index?.case === "constExpr" && index.value.constantKind.case === "stringValue" ? index.value.constantKind.value : undefined);
        at = k.value.args[0];
      } else {
        return undefined;
      }
    }
    return undefined;
  };
  const search = (node: Node): string | undefined => {
    const found = chainName(node);
    if (found !== undefined) return found;
    const k = node.exprKind;
    const kids: (Node | undefined)[] =
      k.case === "selectExpr" ? [k.value.operand]
      : k.case === "callExpr" ? [k.value.target, ...k.value.args]
      : k.case === "listExpr" ? k.value.elements
      : k.case === "comprehensionExpr" ? [k.value.iterRange, k.value.accuInit, k.value.loopCondition, k.value.loopStep, k.value.result]
      : [];
    for (const kid of kids) {
      const name = kid ? search(kid) : undefined;
      if (name !== undefined) return name;
    }
    return undefined;
  };
  return search(root);
}

/** Flux Operator: `readyExpr` over the dependency object, its top-level fields as variables. */
export function evaluateOnObject(expression: string, object: Json): ReadyExprResult {
  const parsed = compile(expression);
  if (typeof parsed === "string") return { ok: false, compileError: parsed };
  presenceThroughMissing(parsed.expr, new Set(Object.keys(object)), new Set());
  const variables = Object.fromEntries(Object.keys(object).map((k) => [k, CelScalar.DYN]));
  const bindings = Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toCel(v)]));
  try {
    return asResult(expression, plan(celEnv({ variables, funcs: strings }), parsed)(bindings as never), (id) => unresolvedName(parsed.expr, id));
  } catch (err) {
    return { ok: false, evalError: `failed to evaluate the CEL expression '${expression}': ${err instanceof Error ? err.message : String(err)}` };
  }
}
