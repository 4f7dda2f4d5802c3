// The values a ResourceSet template sees, modelled on what Go's text/template sees: the inputs decoded from
// JSON into `map[string]any` (integral numbers become int64, others float64), plus the values template
// functions return. `null` stands for Go's nil and for a missing map key alike (text/template prints both as
// "<no value>"); `GoFloat` marks a float64 whose value happens to be integral (Go prints 3.0 as "3" but keeps
// it a float for comparisons).

export class GoFloat {
  constructor(readonly value: number) {}
}

export type GoMap = { [key: string]: GoValue };
export type GoValue = string | number | boolean | null | GoFloat | GoValue[] | GoMap;

export function isGoMap(value: unknown): value is GoMap {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof GoFloat);
}

/** A value from the YAML/JSON boundary, converted to the Go model (non-JSON leaves become strings). */
export function toGoValue(value: unknown): GoValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof GoFloat) return value;
  if (value instanceof Date) return value.toISOString().replace(/\.000Z$/, "Z");
  if (Array.isArray(value)) return value.map(toGoValue);
  if (typeof value === "object") {
    const out: GoMap = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toGoValue(v);
    return out;
  }
  return String(value);
}

export function isFloat(value: GoValue): boolean {
  return value instanceof GoFloat || (typeof value === "number" && !Number.isInteger(value));
}

export function numberOf(value: GoValue): number | undefined {
  if (value instanceof GoFloat) return value.value;
  if (typeof value === "number") return value;
  return undefined;
}

/** Go's type name for a value, as error messages print it. */
export function goTypeName(value: GoValue): string {
  if (value === null) return "<nil>";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  if (value instanceof GoFloat) return "float64";
  if (Array.isArray(value)) return "[]interface {}";
  return "map[string]interface {}";
}

/** text/template's truth: false, 0, nil and empty strings, slices and maps are false. */
export function truth(value: GoValue): boolean {
  if (value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") return value.length > 0;
  if (typeof value === "number") return value !== 0;
  if (value instanceof GoFloat) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value).length > 0;
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64), which fmt's %v uses for float64. */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Infinity) return "+Inf";
  if (f === -Infinity) return "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const [mantissa = "0", expText = "0"] = f.toExponential().split("e");
  const exp = Number(expText);
  // %v decides on the exponent with precision 6 when printing the shortest digits.
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? "-" : "+";
    const digits = String(Math.abs(exp)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  // Plain notation with the shortest digits.
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let text: string;
  if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    const frac = digits.slice(exp + 1);
    text = frac.length > 0 ? `${intPart}.${frac}` : intPart;
  } else {
    text = `0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

/** fmt's %v of a value (inside containers nil prints "<nil>"). */
export function formatGoValue(value: GoValue): string {
  if (value === null) return "<nil>";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : formatGoFloat(value);
  if (value instanceof GoFloat) return formatGoFloat(value.value);
  if (Array.isArray(value)) return `[${value.map(formatGoValue).join(" ")}]`;
  const keys = Object.keys(value).sort(compareGoStrings);
  return `map[${keys.map((k) => `${k}:${formatGoValue(value[k] ?? null)}`).join(" ")}]`;
}

/** Byte-wise (UTF-8) string order, as Go's sort of map keys. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ba = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  return Buffer.compare(ba, bb);
}

/** Go's strconv.Quote (fmt's %q of a string). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, "0")}`;
    } else if (cp === 0xfffd && ch !== "\ufffd") {
      out += "\\ufffd";
    } else if (!isPrintable(cp)) {
      out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

function isPrintable(cp: number): boolean {
  if (cp < 0x7f) return cp >= 0x20;
  if (cp >= 0x80 && cp < 0xa0) return false;
  if (cp === 0xad) return false;
  if (cp >= 0x2028 && cp <= 0x2029) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  if (cp === 0xfeff) return false;
  return !/\p{C}/u.test(String.fromCodePoint(cp));
}
