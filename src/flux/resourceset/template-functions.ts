// The functions a ResourceSet template can call: Go text/template's built-ins, the slim-sprig functions
// (HermeticTxtFuncMap: the repeatable ones) that the Flux Operator registers, its `slugify`, `toYaml` and
// `mustToYaml`, and `inputs`. Each follows the Go implementation's argument types and edge cases (e.g. `int`
// of a non-numeric string is 0, `get` of a missing key is "", `quote` skips nil). slim-sprig functions not
// implemented here are listed in UNSUPPORTED_SPRIG_FUNCTIONS: a template using one has an unknown output.

import { createHash } from "node:crypto";
import { ArgumentError, FunctionError, type TemplateFunction } from "./template-exec.js";
import { sprint, sprintf, sprintln } from "./go-printf.js";
import { compareGoStrings, formatGoValue, goQuote, goTypeName, GoFloat, isFloat, isGoMap, numberOf, toGoValue, truth, type GoMap, type GoValue } from "./go-values.js";
import { marshalGoYaml } from "./go-yaml.js";
import { slugify } from "./slugify.js";
import { adler32 } from "./adler32.js";

function arity(name: string, args: GoValue[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new ArgumentError(`wrong number of args for ${name}: want ${want} got ${args.length}`);
  }
}

function str(args: GoValue[], i: number): string {
  const v = args[i] ?? null;
  if (typeof v === "string") return v;
  if (v === null) throw new ArgumentError(`invalid value; expected string`);
  throw new ArgumentError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

function int(args: GoValue[], i: number): number {
  const v = args[i] ?? null;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (v === null) throw new ArgumentError(`invalid value; expected int`);
  throw new ArgumentError(`wrong type for value; expected int; got ${goTypeName(v)}`);
}

function bool(args: GoValue[], i: number): boolean {
  const v = args[i] ?? null;
  if (typeof v === "boolean") return v;
  if (v === null) throw new ArgumentError(`invalid value; expected bool`);
  throw new ArgumentError(`wrong type for value; expected bool; got ${goTypeName(v)}`);
}

function map(args: GoValue[], i: number): GoMap {
  const v = args[i] ?? null;
  if (isGoMap(v)) return v;
  if (v === null) throw new ArgumentError(`invalid value; expected map[string]interface {}`);
  throw new ArgumentError(`wrong type for value; expected map[string]interface {}; got ${goTypeName(v)}`);
}

/** sprig's strval: strings as they are, everything else through fmt's %v. */
function strval(v: GoValue): string {
  return typeof v === "string" ? v : formatGoValue(v);
}

/** sprig's toInt64: strings parsed in base 10 (0 on failure), floats truncated, bools 1/0, others 0. */
function toInt64(v: GoValue): number {
  if (typeof v === "string") return /^[+-]?[0-9]+$/.test(v) ? Math.trunc(Number(v)) : 0;
  const n = numberOf(v);
  if (n !== undefined) return Math.trunc(n);
  if (typeof v === "boolean") return v ? 1 : 0;
  return 0;
}

function toFloat64(v: GoValue): GoFloat {
  if (typeof v === "string") {
    const f = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i.test(v.trim()) && v.trim() === v ? Number(v) : 0;
    return new GoFloat(Number.isNaN(f) ? 0 : f);
  }
  const n = numberOf(v);
  if (n !== undefined) return new GoFloat(n);
  if (typeof v === "boolean") return new GoFloat(v ? 1 : 0);
  return new GoFloat(0);
}

/** sprig's empty. */
function empty(v: GoValue): boolean {
  if (v === null) return true;
  if (typeof v === "string") return v.length === 0;
  if (typeof v === "boolean") return !v;
  if (typeof v === "number") return v === 0;
  if (v instanceof GoFloat) return v.value === 0;
  if (Array.isArray(v)) return v.length === 0;
  return Object.keys(v).length === 0;
}

/** sprig's strslice: lists element-wise (nil skipped), nil as an empty list, anything else as one string. */
function strslice(v: GoValue): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v.filter((e) => e !== null).map(strval);
  return [strval(v)];
}

/** Go's encoding/json Marshal: sorted keys, HTML-safe escapes. */
function goJson(v: GoValue): string {
  const plain = (x: GoValue): unknown => {
    if (x instanceof GoFloat) return x.value;
    if (Array.isArray(x)) return x.map(plain);
    if (isGoMap(x)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort(compareGoStrings)) out[k] = plain(x[k] ?? null);
      return out;
    }
    return x;
  };
  return JSON.stringify(plain(v))
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** fromJson decodes numbers as float64, as Go's encoding/json does into interface{}. */
function fromJsonValue(v: unknown): GoValue {
  if (typeof v === "number") return new GoFloat(v);
  if (Array.isArray(v)) return v.map(fromJsonValue);
  if (typeof v === "object" && v !== null) {
    const out: GoMap = {};
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) out[k] = fromJsonValue(e);
    return out;
  }
  return toGoValue(v);
}

// --- comparison built-ins (text/template's eq, ne, lt, le, gt, ge) ---

type Basic = { kind: "bool" | "int" | "float" | "string"; value: boolean | number | string } | { kind: "nil" } | { kind: "other" };

function basic(v: GoValue): Basic {
  if (v === null) return { kind: "nil" };
  if (typeof v === "boolean") return { kind: "bool", value: v };
  if (typeof v === "string") return { kind: "string", value: v };
  if (v instanceof GoFloat) return { kind: "float", value: v.value };
  if (typeof v === "number") return { kind: Number.isInteger(v) ? "int" : "float", value: v };
  return { kind: "other" };
}

function eqPair(a: GoValue, b: GoValue): boolean {
  const ka = basic(a);
  const kb = basic(b);
  if (ka.kind === "other" || kb.kind === "other") {
    if (a === null || b === null) return false;
    throw new FunctionError("non-comparable types");
  }
  if (ka.kind === "nil" || kb.kind === "nil") return ka.kind === kb.kind;
  if (ka.kind !== kb.kind) throw new FunctionError("incompatible types for comparison");
  return ka.value === kb.value;
}

function less(a: GoValue, b: GoValue): boolean {
  const ka = basic(a);
  const kb = basic(b);
  if (ka.kind === "nil" || kb.kind === "nil" || ka.kind === "other" || kb.kind === "other" || ka.kind === "bool" || kb.kind === "bool") {
    throw new FunctionError("invalid type for comparison");
  }
  if (ka.kind !== kb.kind) throw new FunctionError("incompatible types for comparison");
  if (ka.kind === "string") return compareGoStrings(String(ka.value), String(kb.value)) < 0;
  return (ka.value as number) < (kb.value as number);
}

function goLen(v: GoValue): number {
  if (typeof v === "string") return Buffer.byteLength(v, "utf8");
  if (Array.isArray(v)) return v.length;
  if (isGoMap(v)) return Object.keys(v).length;
  throw new FunctionError(`len of type ${goTypeName(v)}`);
}

function goIndex(args: GoValue[]): GoValue {
  let item = args[0] ?? null;
  for (const key of args.slice(1)) {
    if (Array.isArray(item)) {
      if (typeof key !== "number" || !Number.isInteger(key)) throw new FunctionError(`cannot index slice/array with type ${goTypeName(key)}`);
      if (key < 0 || key >= item.length) throw new FunctionError(`index out of range: ${key}`);
      item = item[key] ?? null;
    } else if (isGoMap(item)) {
      if (typeof key !== "string") throw new FunctionError(`value has type ${goTypeName(key)}; should be string`);
      item = Object.prototype.hasOwnProperty.call(item, key) ? (item[key] ?? null) : null;
    } else if (typeof item === "string") {
      if (typeof key !== "number" || !Number.isInteger(key)) throw new FunctionError(`cannot index string with type ${goTypeName(key)}`);
      const bytes = Buffer.from(item, "utf8");
      if (key < 0 || key >= bytes.length) throw new FunctionError(`index out of range: ${key}`);
      item = bytes[key] ?? 0;
    } else if (item === null) {
      throw new FunctionError("index of untyped nil");
    } else {
      throw new FunctionError(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

/** strings.Title: upper-cases the first letter of each word. */
function title(s: string): string {
  let prev = " ";
  let out = "";
  for (const ch of s) {
    const separator = !/[\p{L}\p{N}_']/u.test(prev);
    out += separator ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}


function fn(name: string, min: number, max: number, body: (args: GoValue[]) => GoValue): [string, TemplateFunction] {
  return [
    name,
    (args) => {
      arity(name, args, min, max);
      return body(args);
    },
  ];
}

const ANY = Infinity;

/** Every function available to ResourceSet templates, except `inputs`, which the caller binds per input. */
export const RESOURCESET_FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map<string, TemplateFunction>([
  // text/template built-ins ("and"/"or" are evaluated lazily by the executor).
  fn("not", 1, 1, (a) => !truth(a[0] ?? null)),
  fn("len", 1, 1, (a) => goLen(a[0] ?? null)),
  fn("index", 1, ANY, goIndex),
  fn("print", 0, ANY, sprint),
  fn("printf", 1, ANY, (a) => sprintf(str(a, 0), a.slice(1))),
  fn("println", 0, ANY, sprintln),
  fn("eq", 1, ANY, (a) => {
    if (a.length < 2) throw new ArgumentError("missing argument for comparison");
    return a.slice(1).some((b) => eqPair(a[0] ?? null, b));
  }),
  fn("ne", 2, 2, (a) => !eqPair(a[0] ?? null, a[1] ?? null)),
  fn("lt", 2, 2, (a) => less(a[0] ?? null, a[1] ?? null)),
  fn("le", 2, 2, (a) => less(a[0] ?? null, a[1] ?? null) || eqPair(a[0] ?? null, a[1] ?? null)),
  fn("gt", 2, 2, (a) => !less(a[0] ?? null, a[1] ?? null) && !eqPair(a[0] ?? null, a[1] ?? null)),
  fn("ge", 2, 2, (a) => !less(a[0] ?? null, a[1] ?? null)),
  fn("html", 0, ANY, (a) =>
    sprint(a).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(/'/g, "&#39;").replace(/\0/g, "\ufffd"),
  ),
  fn("urlquery", 0, ANY, (a) => encodeURIComponent(sprint(a)).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)),

  // slim-sprig: strings.
  fn("trim", 1, 1, (a) => str(a, 0).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, "")),
  fn("upper", 1, 1, (a) => str(a, 0).toUpperCase()),
  fn("lower", 1, 1, (a) => str(a, 0).toLowerCase()),
  fn("title", 1, 1, (a) => title(str(a, 0))),
  fn("trimAll", 2, 2, (a) => trimChars(str(a, 1), str(a, 0))),
  fn("trimall", 2, 2, (a) => trimChars(str(a, 1), str(a, 0))),
  fn("trimPrefix", 2, 2, (a) => (str(a, 1).startsWith(str(a, 0)) ? str(a, 1).slice(str(a, 0).length) : str(a, 1))),
  fn("trimSuffix", 2, 2, (a) => {
    const s = str(a, 1);
    const suffix = str(a, 0);
    return suffix.length > 0 && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
  }),
  fn("contains", 2, 2, (a) => str(a, 1).includes(str(a, 0))),
  fn("hasPrefix", 2, 2, (a) => str(a, 1).startsWith(str(a, 0))),
  fn("hasSuffix", 2, 2, (a) => str(a, 1).endsWith(str(a, 0))),
  fn("quote", 0, ANY, (a) => a.filter((v) => v !== null).map((v) => goQuote(strval(v))).join(" ")),
  fn("squote", 0, ANY, (a) => a.filter((v) => v !== null).map((v) => `'${strval(v)}'`).join(" ")),
  fn("cat", 0, ANY, (a) => a.filter((v) => v !== null).map(strval).join(" ")),
  fn("indent", 2, 2, (a) => indent(int(a, 0), str(a, 1))),
  fn("nindent", 2, 2, (a) => `\n${indent(int(a, 0), str(a, 1))}`),
  fn("replace", 3, 3, (a) => str(a, 2).split(str(a, 0)).join(str(a, 1))),
  fn("repeat", 2, 2, (a) => {
    const count = int(a, 0);
    if (count < 0) throw new FunctionError("strings: negative Repeat count");
    if (count * str(a, 1).length > 1_000_000) throw new FunctionError("repeat result too large");
    return str(a, 1).repeat(count);
  }),
  fn("substr", 3, 3, (a) => substring(int(a, 0), int(a, 1), str(a, 2))),
  fn("trunc", 2, 2, (a) => {
    const c = int(a, 0);
    const s = str(a, 1);
    if (c < 0 && s.length + c > 0) return s.slice(s.length + c);
    if (c >= 0 && s.length > c) return s.slice(0, c);
    return s;
  }),
  fn("plural", 3, 3, (a) => (int(a, 2) === 1 ? str(a, 0) : str(a, 1))),
  fn("sha1sum", 1, 1, (a) => createHash("sha1").update(str(a, 0), "utf8").digest("hex")),
  fn("sha256sum", 1, 1, (a) => createHash("sha256").update(str(a, 0), "utf8").digest("hex")),
  fn("adler32sum", 1, 1, (a) => String(adler32(str(a, 0)))),
  fn("toString", 1, 1, (a) => strval(a[0] ?? null)),
  fn("slugify", 1, 1, (a) => slugify(str(a, 0))),
  fn("split", 2, 2, (a) => {
    const out: GoMap = {};
    str(a, 1).split(str(a, 0)).forEach((part, i) => (out[`_${i}`] = part));
    return out;
  }),
  fn("splitList", 2, 2, (a) => goSplit(str(a, 1), str(a, 0))),
  fn("splitn", 3, 3, (a) => {
    const out: GoMap = {};
    goSplitN(str(a, 2), str(a, 0), int(a, 1)).forEach((part, i) => (out[`_${i}`] = part));
    return out;
  }),
  fn("toStrings", 1, 1, (a) => strslice(a[0] ?? null)),
  fn("join", 2, 2, (a) => strslice(a[1] ?? null).join(str(a, 0))),
  fn("sortAlpha", 1, 1, (a) => strslice(a[0] ?? null).sort(compareGoStrings)),

  // slim-sprig: numbers.
  fn("atoi", 1, 1, (a) => (/^[+-]?[0-9]+$/.test(str(a, 0)) ? Number(str(a, 0)) : 0)),
  fn("int", 1, 1, (a) => toInt64(a[0] ?? null)),
  fn("int64", 1, 1, (a) => toInt64(a[0] ?? null)),
  fn("float64", 1, 1, (a) => toFloat64(a[0] ?? null)),
  fn("add1", 1, 1, (a) => toInt64(a[0] ?? null) + 1),
  fn("add", 0, ANY, (a) => a.reduce<number>((sum, v) => sum + toInt64(v), 0)),
  fn("sub", 2, 2, (a) => toInt64(a[0] ?? null) - toInt64(a[1] ?? null)),
  fn("mul", 1, ANY, (a) => a.slice(1).reduce<number>((p, v) => p * toInt64(v), toInt64(a[0] ?? null))),
  fn("div", 2, 2, (a) => {
    const d = toInt64(a[1] ?? null);
    if (d === 0) throw new FunctionError("runtime error: integer divide by zero");
    return Math.trunc(toInt64(a[0] ?? null) / d);
  }),
  fn("mod", 2, 2, (a) => {
    const d = toInt64(a[1] ?? null);
    if (d === 0) throw new FunctionError("runtime error: integer divide by zero");
    return toInt64(a[0] ?? null) % d;
  }),
  fn("max", 1, ANY, (a) => Math.max(...a.map(toInt64))),
  fn("biggest", 1, ANY, (a) => Math.max(...a.map(toInt64))),
  fn("min", 1, ANY, (a) => Math.min(...a.map(toInt64))),
  fn("until", 1, 1, (a) => range(0, int(a, 0), int(a, 0) >= 0 ? 1 : -1)),
  fn("untilStep", 3, 3, (a) => range(int(a, 0), int(a, 1), int(a, 2))),

  // slim-sprig: defaults and flow.
  fn("default", 1, ANY, (a) => (a.length < 2 || empty(a[1] ?? null) ? (a[0] ?? null) : (a[1] ?? null))),
  fn("empty", 1, 1, (a) => empty(a[0] ?? null)),
  fn("coalesce", 0, ANY, (a) => a.find((v) => !empty(v)) ?? null),
  fn("all", 0, ANY, (a) => a.every((v) => !empty(v))),
  fn("any", 0, ANY, (a) => a.some((v) => !empty(v))),
  fn("compact", 1, 1, (a) => listOf(a, 0, "compact").filter((v) => !empty(v))),
  fn("ternary", 3, 3, (a) => (bool(a, 2) ? (a[0] ?? null) : (a[1] ?? null))),
  fn("fail", 1, 1, (a) => {
    throw new FunctionError(str(a, 0));
  }),
  fn("toJson", 1, 1, (a) => goJson(a[0] ?? null)),
  fn("mustToJson", 1, 1, (a) => goJson(a[0] ?? null)),
  fn("toRawJson", 1, 1, (a) => JSON.stringify(sortedPlain(a[0] ?? null))),
  fn("mustToRawJson", 1, 1, (a) => JSON.stringify(sortedPlain(a[0] ?? null))),
  fn("toPrettyJson", 1, 1, (a) => goJsonIndent(a[0] ?? null)),
  fn("mustToPrettyJson", 1, 1, (a) => goJsonIndent(a[0] ?? null)),
  fn("fromJson", 1, 1, (a) => {
    try {
      return fromJsonValue(JSON.parse(str(a, 0)));
    } catch {
      return null;
    }
  }),
  fn("mustFromJson", 1, 1, (a) => {
    try {
      return fromJsonValue(JSON.parse(str(a, 0)));
    } catch (error) {
      throw new FunctionError((error as Error).message);
    }
  }),
  fn("toYaml", 1, 1, (a) => marshalGoYaml(a[0] ?? null)),
  fn("mustToYaml", 1, 1, (a) => marshalGoYaml(a[0] ?? null)),
  fn("b64enc", 1, 1, (a) => Buffer.from(str(a, 0), "utf8").toString("base64")),
  fn("b64dec", 1, 1, (a) => {
    const s = str(a, 0);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return "illegal base64 data at input byte 0";
    return Buffer.from(s, "base64").toString("utf8");
  }),
  fn("typeOf", 1, 1, (a) => goTypeName(a[0] ?? null)),
  fn("kindOf", 1, 1, (a) => kindOf(a[0] ?? null)),
  fn("kindIs", 2, 2, (a) => kindOf(a[1] ?? null) === str(a, 0)),
  fn("typeIs", 2, 2, (a) => goTypeName(a[1] ?? null) === str(a, 0)),
  fn("deepEqual", 2, 2, (a) => JSON.stringify(sortedPlain(a[0] ?? null)) === JSON.stringify(sortedPlain(a[1] ?? null)) && isFloat(a[0] ?? null) === isFloat(a[1] ?? null)),

  // slim-sprig: paths.
  fn("base", 1, 1, (a) => pathBase(str(a, 0))),
  fn("ext", 1, 1, (a) => {
    const b = str(a, 0);
    const i = b.lastIndexOf(".");
    return i >= 0 && !b.slice(i).includes("/") ? b.slice(i) : "";
  }),

  // slim-sprig: lists and dicts.
  fn("list", 0, ANY, (a) => [...a]),
  fn("tuple", 0, ANY, (a) => [...a]),
  fn("dict", 0, ANY, (a) => {
    const out: GoMap = {};
    for (let i = 0; i < a.length; i += 2) out[strval(a[i] ?? null)] = i + 1 < a.length ? (a[i + 1] ?? null) : "";
    return out;
  }),
  fn("get", 2, 2, (a) => {
    const d = map(a, 0);
    const k = str(a, 1);
    return Object.prototype.hasOwnProperty.call(d, k) ? (d[k] ?? null) : "";
  }),
  fn("set", 3, 3, (a) => {
    const d = map(a, 0);
    d[str(a, 1)] = a[2] ?? null;
    return d;
  }),
  fn("unset", 2, 2, (a) => {
    const d = map(a, 0);
    delete d[str(a, 1)];
    return d;
  }),
  fn("hasKey", 2, 2, (a) => Object.prototype.hasOwnProperty.call(map(a, 0), str(a, 1))),
  // Go's map order is random; sorted keys are one of the orders it can produce.
  fn("keys", 0, ANY, (a) => a.flatMap((_, i) => Object.keys(map(a, i))).sort(compareGoStrings)),
  fn("values", 1, 1, (a) => {
    const d = map(a, 0);
    return Object.keys(d).sort(compareGoStrings).map((k) => d[k] ?? null);
  }),
  fn("pick", 1, ANY, (a) => {
    const d = map(a, 0);
    const out: GoMap = {};
    for (let i = 1; i < a.length; i++) {
      const k = str(a, i);
      if (Object.prototype.hasOwnProperty.call(d, k)) out[k] = d[k] ?? null;
    }
    return out;
  }),
  fn("omit", 1, ANY, (a) => {
    const d = map(a, 0);
    const drop = new Set(a.slice(1).map((_, i) => str(a, i + 1)));
    const out: GoMap = {};
    for (const k of Object.keys(d)) if (!drop.has(k)) out[k] = d[k] ?? null;
    return out;
  }),
  fn("pluck", 1, ANY, (a) => {
    const k = str(a, 0);
    return a.slice(1).flatMap((_, i) => {
      const d = map(a, i + 1);
      return Object.prototype.hasOwnProperty.call(d, k) ? [d[k] ?? null] : [];
    });
  }),
  fn("dig", 3, ANY, (a) => {
    const d = map(a, a.length - 1);
    const keys = a.slice(0, -2).map((_, i) => str(a, i));
    let cur: GoValue = d;
    for (const k of keys) {
      if (!isGoMap(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) return a[a.length - 2] ?? null;
      cur = cur[k] ?? null;
    }
    return cur;
  }),
  fn("append", 2, 2, (a) => [...listOf(a, 0, "append"), a[1] ?? null]),
  fn("push", 2, 2, (a) => [...listOf(a, 0, "push"), a[1] ?? null]),
  fn("prepend", 2, 2, (a) => [a[1] ?? null, ...listOf(a, 0, "prepend")]),
  fn("first", 1, 1, (a) => listOf(a, 0, "first")[0] ?? null),
  fn("last", 1, 1, (a) => listOf(a, 0, "last").at(-1) ?? null),
  fn("rest", 1, 1, (a) => listOf(a, 0, "rest").slice(1)),
  fn("initial", 1, 1, (a) => listOf(a, 0, "initial").slice(0, -1)),
  fn("reverse", 1, 1, (a) => [...listOf(a, 0, "reverse")].reverse()),
  fn("uniq", 1, 1, (a) => {
    const seen = new Set<string>();
    return listOf(a, 0, "uniq").filter((v) => {
      const key = JSON.stringify(sortedPlain(v));
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }),
  fn("without", 1, ANY, (a) => {
    const drop = new Set(a.slice(1).map((v) => JSON.stringify(sortedPlain(v))));
    return listOf(a, 0, "without").filter((v) => !drop.has(JSON.stringify(sortedPlain(v))));
  }),
  fn("has", 2, 2, (a) => {
    const needle = JSON.stringify(sortedPlain(a[0] ?? null));
    const haystack = a[1] ?? null;
    if (haystack === null) return false;
    return listOf(a, 1, "has").some((v) => JSON.stringify(sortedPlain(v)) === needle);
  }),
  fn("concat", 0, ANY, (a) => a.flatMap((_, i) => listOf(a, i, "concat"))),

  // Regular expressions (Go's RE2 syntax shares most of its surface with JavaScript's).
  fn("regexMatch", 2, 2, (a) => regex(str(a, 0)).test(str(a, 1))),
  fn("regexFind", 2, 2, (a) => regex(str(a, 0)).exec(str(a, 1))?.[0] ?? ""),
  fn("regexReplaceAll", 3, 3, (a) => str(a, 1).replace(regex(str(a, 0), "g"), str(a, 2).replace(/\$\{?(\w+)\}?/g, "$$<$1>").replace(/\$<(\d+)>/g, "$$$1"))),
  fn("regexReplaceAllLiteral", 3, 3, (a) => str(a, 1).replace(regex(str(a, 0), "g"), () => str(a, 2))),
  fn("regexSplit", 3, 3, (a) => {
    const parts = str(a, 1).split(regex(str(a, 0), "g"));
    const n = int(a, 2);
    return n < 0 ? parts : parts.slice(0, n);
  }),
  fn("regexQuoteMeta", 1, 1, (a) => str(a, 0).replace(/[\\.+*?()|[\]{}^$]/g, "\\$&")),
]);

/** slim-sprig functions (hermetic set) and Go built-ins that exist for the Flux Operator but are not evaluated here. */
export const UNSUPPORTED_FUNCTIONS: ReadonlySet<string> = new Set([
  "call", "js", "slice", "hello", "ago", "duration", "durationRound", "must_date_modify", "mustDateModify",
  "mustToDate", "toDate", "unixEpoch", "seq", "toDecimal", "randInt", "maxf", "minf", "ceil", "floor", "round",
  "dir", "clean", "isAbs", "osBase", "osClean", "osDir", "osExt", "osIsAbs", "osAbs", "b32enc", "b32dec",
  "mustAppend", "mustPush", "mustPrepend", "mustFirst", "mustRest", "mustLast", "mustInitial", "mustReverse",
  "mustUniq", "mustWithout", "mustHas", "mustSlice", "chunk", "mustChunk", "mustCompact", "typeIsLike",
  "mustRegexMatch", "regexFindAll", "mustRegexFindAll", "mustRegexFind", "mustRegexReplaceAll",
  "mustRegexReplaceAllLiteral", "mustRegexSplit", "urlParse", "urlJoin",
]);

function trimChars(s: string, cutset: string): string {
  const set = new Set([...cutset]);
  const chars = [...s];
  let start = 0;
  let end = chars.length;
  while (start < end && set.has(chars[start] ?? "")) start++;
  while (end > start && set.has(chars[end - 1] ?? "")) end--;
  return chars.slice(start, end).join("");
}

function indent(spaces: number, v: string): string {
  const pad = " ".repeat(Math.max(0, spaces));
  return pad + v.split("\n").join(`\n${pad}`);
}

function substring(start: number, end: number, s: string): string {
  if (start < 0) return s.slice(0, end);
  if (end < 0 || end > s.length) return s.slice(start);
  return s.slice(start, end);
}

function goSplit(s: string, sep: string): string[] {
  if (sep === "") return [...s];
  return s.split(sep);
}

function goSplitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = goSplit(s, sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function range(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  if (step === 0) return out;
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
    out.push(i);
    if (out.length > 1_000_000) throw new FunctionError("sequence too long");
  }
  return out;
}

function listOf(args: GoValue[], i: number, name: string): GoValue[] {
  const v = args[i] ?? null;
  if (Array.isArray(v)) return v;
  if (v === null) return [];
  throw new FunctionError(`Cannot ${name} on type ${goTypeName(v)}`);
}

function sortedPlain(v: GoValue): unknown {
  if (v instanceof GoFloat) return v.value;
  if (Array.isArray(v)) return v.map(sortedPlain);
  if (isGoMap(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(compareGoStrings)) out[k] = sortedPlain(v[k] ?? null);
    return out;
  }
  return v;
}

function goJsonIndent(v: GoValue): string {
  return JSON.stringify(sortedPlain(v), null, "  ")
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026");
}

function kindOf(v: GoValue): string {
  if (v === null) return "invalid";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (isFloat(v)) return "float64";
  if (typeof v === "number") return "int";
  if (Array.isArray(v)) return "slice";
  return "map";
}

function pathBase(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

function regex(pattern: string, flags = ""): RegExp {
  try {
    return new RegExp(pattern, `u${flags}`);
  } catch (error) {
    throw new FunctionError(`error parsing regexp: ${(error as Error).message}`);
  }
}
