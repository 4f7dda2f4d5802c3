// `readyExpr` CEL expressions, evaluated as the Flux controllers do: HelmRelease and Kustomization
// (Flux 2.7+) bind the dependent as `self` and the dependency as `dep`; the Flux Operator's ResourceSet
// evaluates the expression over the dependency object itself (its fields are the top-level variables).
// A compile error is terminal for the dependent (Ready=False and Stalled=True, reason InvalidCELExpression).
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

function asResult(value: unknown): ReadyExprResult {
  if (isCelError(value)) return { ok: false, evalError: value.message };
  if (typeof value !== "boolean") return { ok: false, evalError: `expression must evaluate to a bool, got ${typeof value}` };
  return { ok: true, ready: value };
}

/** helm-controller / kustomize-controller: `readyExpr` over `self` (the dependent) and `dep`. */
export function evaluateSelfDep(expression: string, self: Json, dep: Json): ReadyExprResult {
  const parsed = compile(expression);
  if (typeof parsed === "string") return { ok: false, compileError: parsed };
  try {
    return asResult(plan(selfDepEnv, parsed)({ self: toCel(self), dep: toCel(dep) }));
  } catch (err) {
    return { ok: false, evalError: err instanceof Error ? err.message : String(err) };
  }
}

/** Only the syntax: whether the expression compiles (checked before any dependency is read). */
export function compileError(expression: string): string | undefined {
  const parsed = compile(expression);
  return typeof parsed === "string" ? parsed : undefined;
}

/** Flux Operator: `readyExpr` over the dependency object, its top-level fields as variables. */
export function evaluateOnObject(expression: string, object: Json): ReadyExprResult {
  const parsed = compile(expression);
  if (typeof parsed === "string") return { ok: false, compileError: parsed };
  const variables = Object.fromEntries(Object.keys(object).map((k) => [k, CelScalar.DYN]));
  const bindings = Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toCel(v)]));
  try {
    return asResult(plan(celEnv({ variables, funcs: strings }), parsed)(bindings as never));
  } catch (err) {
    return { ok: false, evalError: err instanceof Error ? err.message : String(err) };
  }
}
