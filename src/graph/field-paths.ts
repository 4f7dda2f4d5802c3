// Which fields of an object a readyExpr reads, so that releasegate keeps only those (docs/behaviour.md,
// "Gate states": readyExpr sees the whole object, releasegate keeps a projection of it). Flux binds
// `self` and `dep` to the whole objects (helm-controller and kustomize-controller checkDependencies), and
// the Flux Operator the dependency's own top-level fields; keeping every object whole would cost each
// HelmRelease its Helm values. A compiled expression is read statically: each chain of field selections
// from a variable (`dep.spec.values.version`, `dep.?spec`, `data['gate']`) keeps the subtree where the
// chain stops being static (an index, a `.filter`, `has()`, the end of the chain). A variable used
// whole (`dep == self`, `dep[key]`) cannot be narrowed: that object keeps its metadata, spec and status.

import type { parse } from "@bufbuild/cel";
import type { JsonMap, JsonValue } from "./external-objects.js";

/** What to keep of a JSON value: all of it (`true`), or these fields, each with what to keep of it. */
export type Keep = true | { readonly [field: string]: Keep };

/** The whole object (an expression that uses a variable whole). */
export const WHOLE_OBJECT: Keep = Object.freeze({ metadata: true, spec: true, status: true });

type Expr = ReturnType<typeof parse>["expr"];

const TYPE_IDENTIFIERS = new Set(["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn"]);

/**
 * The fields each variable's chains read, by variable. `variables`: the variables of interest (self and
 * dep), or undefined for the Flux Operator's form, where every free identifier is a top-level field of
 * the object and the result is a Keep of the object (under the key "" of the answer).
 */
export function fieldsRead(root: Expr, variables: readonly string[] | undefined): Map<string, Keep> {
  const out = new Map<string, Keep>();
  const wanted = (name: string, shadowed: ReadonlySet<string>): boolean =>
    !shadowed.has(name) && (variables === undefined ? !TYPE_IDENTIFIERS.has(name) : variables.includes(name));
  const record = (name: string, path: readonly string[]): void => {
    // Operator form: the identifier is itself a top-level field.
    const [key, full] = variables === undefined ? ["", [name, ...path]] : [name, path];
    const keep: Keep = variables !== undefined && full.length === 0 ? WHOLE_OBJECT : pathKeep(full);
    const before = out.get(key);
    out.set(key, before === undefined ? keep : mergeKeep(before, keep));
  };
  const stack: { expr: Expr; shadowed: ReadonlySet<string> }[] = [{ expr: root, shadowed: new Set() }];
  while (stack.length > 0) {
    const { expr, shadowed } = stack.pop()!;
    const chain = chainOf(expr);
    if (chain !== undefined) {
      if (wanted(chain.root, shadowed)) {
        record(chain.root, chain.path);
        continue;
      }
    }
    const kind = expr.exprKind;
    switch (kind.case) {
      case "identExpr":
        if (wanted(kind.value.name, shadowed)) record(kind.value.name, []);
        break;
      case "selectExpr":
        if (kind.value.operand !== undefined) stack.push({ expr: kind.value.operand, shadowed });
        break;
      case "callExpr":
        if (kind.value.target !== undefined) stack.push({ expr: kind.value.target, shadowed });
        for (const arg of kind.value.args) stack.push({ expr: arg, shadowed });
        break;
      case "listExpr":
        for (const element of kind.value.elements) stack.push({ expr: element, shadowed });
        break;
      case "structExpr":
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === "mapKey" && entry.keyKind.value !== undefined) stack.push({ expr: entry.keyKind.value, shadowed });
          if (entry.value !== undefined) stack.push({ expr: entry.value, shadowed });
        }
        break;
      case "comprehensionExpr": {
        const c = kind.value;
        const inner = new Set(shadowed).add(c.accuVar).add(c.iterVar);
        if (c.iterVar2 !== "") inner.add(c.iterVar2);
        for (const child of [c.iterRange, c.accuInit]) if (child !== undefined) stack.push({ expr: child, shadowed });
        for (const child of [c.loopCondition, c.loopStep, c.result]) if (child !== undefined) stack.push({ expr: child, shadowed: inner });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** `a.b.c`, `a['b']`, `a.?b`: the root identifier and the static field names after it. */
function chainOf(expr: Expr): { root: string; path: string[] } | undefined {
  const path: string[] = [];
  let at: Expr | undefined = expr;
  for (;;) {
    const kind: Expr["exprKind"] | undefined = at?.exprKind;
    if (kind === undefined) return undefined;
    if (kind.case === "identExpr") return { root: kind.value.name, path: path.reverse() };
    if (kind.case === "selectExpr") {
      // has(a.b) is a test of presence: keep the field (its subtree, as for any chain's end).
      path.push(kind.value.field);
      at = kind.value.operand;
      continue;
    }
    if (kind.case === "callExpr" && (kind.value.function === "_[_]" || kind.value.function === "_?._" || kind.value.function === "_[?_]") && kind.value.args.length === 2) {
      const key = kind.value.args[1]?.exprKind;
      if (key?.case === "constExpr" && key.value.constantKind.case === "stringValue") {
        path.push(key.value.constantKind.value);
        at = kind.value.args[0];
        continue;
      }
    }
    return undefined;
  }
}

function pathKeep(path: readonly string[]): Keep {
  let keep: Keep = true;
  for (let i = path.length - 1; i >= 0; i--) keep = { [path[i]!]: keep };
  return keep;
}

/** Both. */
export function mergeKeep(a: Keep, b: Keep): Keep {
  if (a === true || b === true) return true;
  if (a === b) return a;
  const out: Record<string, Keep> = { ...a };
  for (const [field, keep] of Object.entries(b)) {
    const mine = out[field];
    out[field] = mine === undefined ? keep : mergeKeep(mine, keep);
  }
  return out;
}

/** Whether keeping `have` keeps at least what `need` asks. */
export function coversKeep(have: Keep | undefined, need: Keep | undefined): boolean {
  if (need === undefined) return true;
  if (have === undefined) return false;
  if (have === true) return true;
  if (need === true) return false;
  for (const [field, keep] of Object.entries(need)) if (!coversKeep(have[field], keep)) return false;
  return true;
}

/** The kept part of a raw object, copied (nothing refers into `raw`); undefined when nothing is kept. */
export function projectFields(raw: unknown, keep: Keep): JsonMap | undefined {
  if (keep === true || !isPlainObject(raw)) return undefined;
  let out: JsonMap | undefined;
  for (const [field, sub] of Object.entries(keep)) {
    if (!Object.hasOwn(raw, field)) continue;
    const value = raw[field];
    if (sub === true) {
      const copied = copyJson(value);
      if (copied !== undefined) (out ??= {})[field] = copied;
    } else {
      const nested = projectFields(value, sub);
      // A scalar where an object was expected is kept as it is: the expression sees the same mistake Flux would.
      if (nested !== undefined) (out ??= {})[field] = nested;
      else if (!isPlainObject(value)) {
        const copied = copyJson(value);
        if (copied !== undefined) (out ??= {})[field] = copied;
      } else (out ??= {})[field] = {};
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A fresh copy of a JSON value (strings re-made, so no slice of the raw text stays alive). */
function copyJson(value: unknown): JsonValue | undefined {
  if (value === null || typeof value === "boolean" || typeof value === "number") return value;
  if (typeof value === "string") return (" " + value).slice(1);
  if (Array.isArray(value)) return value.map((item) => copyJson(item) ?? null);
  if (isPlainObject(value)) {
    const out: JsonMap = {};
    for (const [key, item] of Object.entries(value)) {
      const copied = copyJson(item);
      if (copied !== undefined) out[key] = copied;
    }
    return out;
  }
  return undefined;
}
