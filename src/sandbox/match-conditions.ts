// matchConditions of admissionregistration.k8s.io/v1 webhooks (GA in Kubernetes 1.30): CEL expressions that
// must all be true for kube-apiserver to call the webhook. Mirrors k8s.io/apiserver/pkg/admission/plugin/
// webhook/matchconditions (matcher.go) and plugin/cel (compile.go, filter.go): the variables `object`,
// `oldObject` (null when absent), `request` (the AdmissionRequest kube-apiserver builds for CEL) and
// `authorizer`; a false condition skips the webhook, even when another one failed; otherwise any error
// (compilation or evaluation) fails the request under failurePolicy Fail and skips the webhook under Ignore.
//
// Evaluation is @bufbuild/cel. Its type checker is not public, so `checkExpression` below does the part
// of cel-go's checking that decides whether kube-apiserver accepts an expression: undeclared references,
// fields the typed `request` does not have, and an output that is not bool ("must evaluate to bool").
// Not imitated: the `authorizer` library (expressions using it compile but fail when evaluated, so
// failurePolicy decides), kube's CEL libraries other than the strings extension, and cost limits.
import { celEnv, CelScalar, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";

/** validation.go validateMatchConditions: at most 64 conditions per webhook. */
export const MAX_MATCH_CONDITIONS = 64;

export interface MatchCondition {
  name: string;
  expression: string;
}

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr["expr"];

const env = celEnv({
  variables: { object: CelScalar.DYN, oldObject: CelScalar.DYN, request: CelScalar.DYN },
  funcs: strings,
});

type Program = ReturnType<typeof plan<{ object: typeof CelScalar.DYN; oldObject: typeof CelScalar.DYN; request: typeof CelScalar.DYN }>>;

/** A compiled expression, or the error detail kube-apiserver reports for it. */
type CompiledCondition = { ok: true; program: Program; usesAuthorizer: boolean } | { ok: false; error: string };

// ---------------------------------------------------------------------------------------------------
// Compilation: parse, check as cel-go would, plan; cached by expression text
// ---------------------------------------------------------------------------------------------------

/** A static type, as far as kube's declarations fix it (object types carry their fields). */
type StaticType = "bool" | "int" | "uint" | "double" | "string" | "bytes" | "null" | "list" | "map" | "type" | "dyn" | "unknown" | ObjectType;

interface ObjectType {
  name: string;
  fields: Record<string, StaticType>;
}

const GVK: ObjectType = { name: "kubernetes.GroupVersionKind", fields: { group: "string", version: "string", kind: "string" } };
const GVR: ObjectType = { name: "kubernetes.GroupVersionResource", fields: { group: "string", version: "string", resource: "string" } };

/** plugin/cel BuildRequestType: the fields of `request` expressions may name (no uid, object or oldObject). */
const REQUEST_TYPE: ObjectType = {
  name: "kubernetes.AdmissionRequest",
  fields: {
    kind: GVK,
    resource: GVR,
    subResource: "string",
    requestKind: GVK,
    requestResource: GVR,
    requestSubResource: "string",
    name: "string",
    namespace: "string",
    operation: "string",
    userInfo: { name: "kubernetes.UserInfo", fields: { username: "string", uid: "string", groups: "list", extra: "map" } },
    dryRun: "bool",
    options: "dyn",
  },
};

const AUTHORIZER_TYPE: ObjectType = { name: "kubernetes.authorization.Authorizer", fields: {} };

const VARIABLES: Record<string, StaticType> = {
  object: "dyn",
  oldObject: "dyn",
  request: REQUEST_TYPE,
  authorizer: AUTHORIZER_TYPE,
  // Type identifiers are values in CEL (`type(x) == string`).
  bool: "type",
  int: "type",
  uint: "type",
  double: "type",
  string: "type",
  bytes: "type",
  list: "type",
  map: "type",
  null_type: "type",
  type: "type",
  dyn: "type",
};

const BOOL_OPERATORS = new Set(["_&&_", "_||_", "!_", "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "@in", "@not_strictly_false"]);
const BOOL_FUNCTIONS = new Set(["startsWith", "endsWith", "contains", "matches", "bool"]);
const NUMBER_FUNCTIONS: Record<string, StaticType> = { size: "int", int: "int", uint: "uint", double: "double" };
const DYN_FUNCTIONS = new Set(["_[_]", "dyn"]);
const ARITHMETIC = new Set(["_+_", "_-_", "_*_", "_/_", "_%_", "-_"]);

interface Issue {
  offset: number;
  message: string;
}

function join(a: StaticType, b: StaticType): StaticType {
  if (a === b) return a;
  if (typeof a === "object" && typeof b === "object" && a.name === b.name) return a;
  return a === "unknown" || b === "unknown" ? "unknown" : "dyn";
}

/**
 * The part of cel-go's checker that decides acceptance: identifiers must be declared (variables, type
 * names, comprehension variables); selecting a field of a declared object type (`request.uid`) must name a
 * field; and the output type is computed so that a dyn or non-bool result can be refused. Functions it
 * does not know are left to evaluation.
 */
function checkExpression(parsed: ParsedExpr): { type: StaticType; issues: Issue[] } {
  const positions = parsed.sourceInfo?.positions ?? {};
  const issues: Issue[] = [];
  const offsetOf = (e: Expr): number => positions[Number(e.id)] ?? 0;
  const scopes: Array<Map<string, StaticType>> = [];
  const lookup = (name: string): StaticType | undefined => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const found = scopes[i]?.get(name);
      if (found !== undefined) return found;
    }
    return VARIABLES[name];
  };

  const visit = (e: Expr): StaticType => {
    const kind = e.exprKind;
    switch (kind.case) {
      case "constExpr": {
        const c = kind.value.constantKind.case;
        if (c === "boolValue") return "bool";
        if (c === "int64Value") return "int";
        if (c === "uint64Value") return "uint";
        if (c === "doubleValue") return "double";
        if (c === "stringValue") return "string";
        if (c === "bytesValue") return "bytes";
        if (c === "nullValue") return "null";
        return "dyn";
      }
      case "identExpr": {
        const t = lookup(kind.value.name);
        if (t === undefined) {
          issues.push({ offset: offsetOf(e), message: `undeclared reference to '${kind.value.name}' (in container '')` });
          return "dyn";
        }
        return t;
      }
      case "selectExpr": {
        const { operand, field, testOnly } = kind.value;
        const operandType = operand ? visit(operand) : "dyn";
        let t: StaticType = "dyn";
        if (typeof operandType === "object") {
          const fieldType = operandType.fields[field];
          if (fieldType === undefined) issues.push({ offset: offsetOf(e), message: `undefined field '${field}'` });
          else t = fieldType;
        }
        return testOnly ? "bool" : t;
      }
      case "callExpr": {
        const { target, function: fn, args } = kind.value;
        // `sets.contains(...)`, `optional.of(...)`: a namespaced function, not a selection on a variable.
        const namespaced = target?.exprKind.case === "identExpr" && lookup(target.exprKind.value.name) === undefined;
        if (target && !namespaced) visit(target);
        const argTypes = args.map(visit);
        if (fn === "has" && !target) {
          issues.push({ offset: offsetOf(e), message: "invalid argument to has() macro" });
          return "bool";
        }
        if (BOOL_OPERATORS.has(fn) || BOOL_FUNCTIONS.has(fn)) return "bool";
        if (fn === "_?_:_") return join(argTypes[1] ?? "dyn", argTypes[2] ?? "dyn");
        if (NUMBER_FUNCTIONS[fn] !== undefined) return NUMBER_FUNCTIONS[fn];
        if (fn === "string") return "string";
        if (fn === "bytes") return "bytes";
        if (fn === "type") return "type";
        if (DYN_FUNCTIONS.has(fn)) return "dyn";
        if (ARITHMETIC.has(fn)) {
          const first = argTypes[0] ?? "dyn";
          return typeof first === "string" && ["int", "uint", "double", "string", "bytes", "list"].includes(first) ? first : "dyn";
        }
        return "unknown";
      }
      case "listExpr":
        kind.value.elements.forEach(visit);
        return "list";
      case "structExpr":
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === "mapKey") visit(entry.keyKind.value);
          if (entry.value) visit(entry.value);
        }
        return kind.value.messageName ? "dyn" : "map";
      case "comprehensionExpr": {
        const c = kind.value;
        if (c.iterRange) visit(c.iterRange);
        const accuType = c.accuInit ? visit(c.accuInit) : "dyn";
        const scope = new Map<string, StaticType>([[c.iterVar, "dyn"]]);
        if (c.iterVar2) scope.set(c.iterVar2, "dyn");
        scope.set(c.accuVar, accuType);
        scopes.push(scope);
        if (c.loopCondition) visit(c.loopCondition);
        if (c.loopStep) visit(c.loopStep);
        const t = c.result ? visit(c.result) : "dyn";
        scopes.pop();
        return t;
      }
      default:
        return "dyn";
    }
  };
  const type = visit(parsed.expr);
  return { type, issues };
}

/** cel-go's issue format: `ERROR: <input>:L:C: message`, then the line and a caret under the column. */
function formatIssue(expression: string, offset: number, message: string): string {
  const before = expression.slice(0, offset);
  const line = before.split("\n").length;
  const lineStart = before.lastIndexOf("\n") + 1;
  const column = offset - lineStart;
  const lineEnd = expression.indexOf("\n", offset);
  const text = expression.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  return `ERROR: <input>:${line}:${column + 1}: ${message}\n | ${text}\n | ${".".repeat(column)}^`;
}

function syntaxErrorOf(expression: string, e: unknown): string {
  const err = e as { location?: { start?: { offset?: number } }; rawMessage?: string; message?: string };
  const offset = err.location?.start?.offset ?? 0;
  const message = err.rawMessage ?? String(err.message ?? e);
  return formatIssue(expression, offset, `Syntax error: ${message}`);
}

function usesIdentifier(e: Expr, name: string): boolean {
  const kind = e.exprKind;
  switch (kind.case) {
    case "identExpr":
      return kind.value.name === name;
    case "selectExpr":
      return kind.value.operand !== undefined && usesIdentifier(kind.value.operand, name);
    case "callExpr":
      return (kind.value.target !== undefined && usesIdentifier(kind.value.target, name)) || kind.value.args.some((a) => usesIdentifier(a, name));
    case "listExpr":
      return kind.value.elements.some((x) => usesIdentifier(x, name));
    case "structExpr":
      return kind.value.entries.some(
        (en) => (en.keyKind.case === "mapKey" && usesIdentifier(en.keyKind.value, name)) || (en.value !== undefined && usesIdentifier(en.value, name)),
      );
    case "comprehensionExpr": {
      const c = kind.value;
      return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].some((x) => x !== undefined && usesIdentifier(x, name));
    }
    default:
      return false;
  }
}

const compiled = new Map<string, CompiledCondition>();
/** Expressions come from stored configurations, so the cache only grows with distinct texts; bound it anyway. */
const CACHE_LIMIT = 4096;

function compileUncached(expression: string): CompiledCondition {
  let parsed: ParsedExpr;
  try {
    parsed = parse(expression);
  } catch (e) {
    return { ok: false, error: `compilation failed: ${syntaxErrorOf(expression, e)}` };
  }
  const { type, issues } = checkExpression(parsed);
  if (issues.length > 0) {
    return { ok: false, error: `compilation failed: ${issues.map((i) => formatIssue(expression, i.offset, i.message)).join("\n")}` };
  }
  // compile.go: ast.OutputType() must be exactly bool; dyn (a bare field) is refused too.
  if (type !== "bool" && type !== "unknown") return { ok: false, error: "must evaluate to bool" };
  return { ok: true, program: plan(env, parsed), usesAuthorizer: usesIdentifier(parsed.expr, "authorizer") };
}

/** Compiles a match condition expression once per distinct text. */
function compileMatchCondition(expression: string): CompiledCondition {
  let result = compiled.get(expression);
  if (result === undefined) {
    result = compileUncached(expression);
    if (compiled.size >= CACHE_LIMIT) compiled.clear();
    compiled.set(expression, result);
  }
  return result;
}

/** The detail kube-apiserver's validation reports for an expression that does not compile, if any. */
export function matchConditionCompileError(expression: string): string | undefined {
  const result = compileMatchCondition(expression);
  return result.ok ? undefined : result.error;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------

/** The AdmissionRequest fields kube-apiserver gives CEL (plugin/cel CreateAdmissionRequest). */
export interface CelRequestInput {
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name: string;
  namespace: string;
  operation: string;
  userInfo: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> };
  dryRun: boolean;
  options?: unknown;
}

/**
 * `request` as CEL sees it: the AdmissionRequest converted to unstructured, so omitempty fields that are
 * empty are absent (selecting them is a "no such key" error, `has()` is false), requestKind/requestResource
 * repeat kind/resource, and uid, object and oldObject are present but empty.
 */
export function celRequest(input: CelRequestInput): Record<string, unknown> {
  const userInfo: Record<string, unknown> = {};
  if (input.userInfo.username) userInfo.username = input.userInfo.username;
  if (input.userInfo.uid) userInfo.uid = input.userInfo.uid;
  if (input.userInfo.groups.length > 0) userInfo.groups = input.userInfo.groups;
  if (input.userInfo.extra && Object.keys(input.userInfo.extra).length > 0) userInfo.extra = input.userInfo.extra;
  const request: Record<string, unknown> = {
    uid: "",
    kind: { ...input.kind },
    resource: { ...input.resource },
  };
  if (input.subResource) request.subResource = input.subResource;
  request.requestKind = { ...input.kind };
  request.requestResource = { ...input.resource };
  if (input.subResource) request.requestSubResource = input.subResource;
  if (input.name) request.name = input.name;
  if (input.namespace) request.namespace = input.namespace;
  request.operation = input.operation;
  request.userInfo = userInfo;
  request.object = null;
  request.oldObject = null;
  request.dryRun = input.dryRun;
  request.options = input.options ?? null;
  return request;
}

type CelValueIn = null | boolean | string | number | bigint | CelValueIn[] | Map<string, CelValueIn>;

/** JSON into CEL values as kube's unstructured conversion does: whole numbers are int, the rest double. */
function toCel(v: unknown): CelValueIn {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(toCel);
  if (typeof v === "object") return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toCel(x)]));
  return null;
}

/** cel-go's words for the errors users meet most, so messages read as kube-apiserver's do. */
function celGoMessage(message: string): string {
  const missing = /^field not found: (.*)$/.exec(message);
  if (missing) return `no such key: ${missing[1]}`;
  return message;
}

export interface MatchConditionInput {
  object: unknown;
  oldObject: unknown;
  request: Record<string, unknown>;
}

type MatchConditionsResult =
  | { matches: true }
  /** A condition was false (`failedCondition`), or conditions failed under failurePolicy Ignore. */
  | { matches: false; failedCondition?: string }
  /** Conditions failed under failurePolicy Fail: kube-apiserver refuses the request (403). */
  | { matches: false; error: string };

/**
 * matcher.Match: evaluates every condition; a false one skips the webhook whatever else happened; if none
 * is false but some erred, failurePolicy decides (Fail: the aggregated error; Ignore: skip).
 */
export function evaluateMatchConditions(conditions: readonly MatchCondition[], input: MatchConditionInput, ignoreFailures: boolean): MatchConditionsResult {
  let bindings: { object: CelValueIn; oldObject: CelValueIn; request: CelValueIn } | undefined;
  const errors: string[] = [];
  for (const condition of conditions) {
    const compiledCondition = compileMatchCondition(condition.expression);
    if (!compiledCondition.ok) {
      errors.push(`compilation error: ${compiledCondition.error}`);
      continue;
    }
    if (compiledCondition.usesAuthorizer) {
      errors.push(`expression '${condition.expression}' resulted in error: the sandbox has no authorizer for CEL; use failurePolicy Ignore or avoid authorizer`);
      continue;
    }
    bindings ??= { object: toCel(input.object), oldObject: toCel(input.oldObject), request: toCel(input.request) };
    const result = compiledCondition.program(bindings);
    if (isCelError(result)) {
      errors.push(`expression '${condition.expression}' resulted in error: ${celGoMessage(result.message)}`);
    } else if (result === false) {
      return { matches: false, failedCondition: condition.name };
    } else if (result !== true) {
      errors.push(`expression '${condition.expression}' resulted in error: no such overload: result is not a bool`);
    }
  }
  if (errors.length === 0) return { matches: true };
  if (ignoreFailures) return { matches: false };
  // utilerrors.NewAggregate: one message alone, several as [a, b] without duplicates.
  const unique = [...new Set(errors)];
  return { matches: false, error: unique.length === 1 ? (unique[0] as string) : `[${unique.join(", ")}]` };
}
