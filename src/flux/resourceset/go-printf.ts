// A subset of Go's fmt: Sprintf with the verbs templates use (%s %d %v %q %t %f %g %e %x %X %o %b %c %%,
// flags "-+ 0#", width and precision), Sprint and Sprintln, with Go's "%!verb(type=value)" markers for
// mismatched, missing and extra operands.

import { formatGoFloat, formatGoValue, goQuote, goTypeName, isFloat, numberOf, type GoValue } from "./go-values.js";

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width?: number;
  precision?: number;
}

export function sprintf(format: string, args: GoValue[]): string {
  let out = "";
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    const ch = format[i] ?? "";
    if (ch !== "%") {
      out += ch;
      i++;
      continue;
    }
    i++;
    const spec: Spec = { minus: false, plus: false, space: false, zero: false, sharp: false };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === " ") spec.space = true;
      else if (f === "0") spec.zero = true;
      else if (f === "#") spec.sharp = true;
      else break;
    }
    const readNumber = (): number | undefined => {
      if (format[i] === "*") {
        i++;
        const a = args[argIndex++];
        return typeof a === "number" ? a : undefined;
      }
      let digits = "";
      while (i < format.length && /[0-9]/.test(format[i] ?? "")) digits += format[i++];
      return digits.length > 0 ? Number(digits) : undefined;
    };
    spec.width = readNumber();
    if (format[i] === ".") {
      i++;
      spec.precision = readNumber() ?? 0;
    }
    const verb = format[i];
    i++;
    if (verb === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argIndex++] ?? null;
    out += pad(formatOne(verb, arg, spec), spec, verb, arg);
  }
  if (argIndex < args.length) {
    const extra = args.slice(argIndex).map((a) => `${goTypeName(a)}=${formatGoValue(a)}`);
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}

function bad(verb: string, arg: GoValue): string {
  if (arg === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(arg)}=${formatGoValue(arg)})`;
}

function formatOne(verb: string, arg: GoValue, spec: Spec): string {
  const num = numberOf(arg);
  const integer = num !== undefined && !isFloat(arg);
  switch (verb) {
    case "v":
      if (typeof arg === "string" && spec.sharp) return goQuote(arg);
      if (num !== undefined && spec.plus && num >= 0) return `+${formatGoValue(arg)}`;
      return formatGoValue(arg);
    case "s":
      if (typeof arg === "string") return spec.precision !== undefined ? [...arg].slice(0, spec.precision).join("") : arg;
      if (Array.isArray(arg) || (typeof arg === "object" && arg !== null && !(num !== undefined))) return formatGoValue(arg);
      return bad(verb, arg);
    case "q":
      if (typeof arg === "string") return goQuote(arg);
      if (integer) return `'${String.fromCodePoint(num)}'`;
      return bad(verb, arg);
    case "d":
      if (integer) return signed(String(Math.abs(num)), num < 0, spec);
      if (Array.isArray(arg)) return `[${arg.map((a) => formatOne(verb, a, spec)).join(" ")}]`;
      return bad(verb, arg);
    case "t":
      return typeof arg === "boolean" ? String(arg) : bad(verb, arg);
    case "c":
      return integer ? String.fromCodePoint(num) : bad(verb, arg);
    case "x":
    case "X":
    case "o":
    case "b": {
      const base = verb === "o" ? 8 : verb === "b" ? 2 : 16;
      let text: string;
      if (integer) text = Math.abs(num).toString(base);
      else if (typeof arg === "string" && base === 16) text = Buffer.from(arg, "utf8").toString("hex");
      else return bad(verb, arg);
      if (verb === "X") text = text.toUpperCase();
      if (spec.sharp && integer) text = (verb === "o" ? "0" : verb === "b" ? "0b" : verb === "X" ? "0X" : "0x") + text;
      return integer ? signed(text, num < 0, spec) : text;
    }
    case "f":
    case "F":
    case "e":
    case "E":
    case "g":
    case "G": {
      if (num === undefined || integer) return bad(verb, arg);
      let text: string;
      if (verb === "f" || verb === "F") text = Math.abs(num).toFixed(spec.precision ?? 6);
      else if (verb === "e" || verb === "E") text = goExponent(Math.abs(num).toExponential(spec.precision ?? 6));
      else text = spec.precision === undefined ? formatGoFloat(Math.abs(num)) : goExponentG(Math.abs(num), spec.precision);
      if (verb === "E" || verb === "G") text = text.toUpperCase();
      return signed(text, num < 0, spec);
    }
    default:
      return bad(verb, arg);
  }
}

function goExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, "e$10$2");
}

function goExponentG(f: number, precision: number): string {
  const p = precision === 0 ? 1 : precision;
  const exp = f === 0 ? 0 : Math.floor(Math.log10(f));
  if (exp < -4 || exp >= p) return goExponent(Number(f.toExponential(p - 1)).toExponential());
  return String(Number(f.toPrecision(p)));
}

function signed(text: string, negative: boolean, spec: Spec): string {
  if (negative) return `-${text}`;
  if (spec.plus) return `+${text}`;
  if (spec.space) return ` ${text}`;
  return text;
}

function pad(text: string, spec: Spec, verb: string, arg: GoValue): string {
  if (spec.width === undefined) return text;
  const length = [...text].length;
  if (length >= spec.width) return text;
  const fill = spec.width - length;
  if (spec.minus) return text + " ".repeat(fill);
  const numeric = numberOf(arg) !== undefined && "dfFeEgGxXobv".includes(verb);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(text) ? (text[0] ?? "") : "";
    return sign + "0".repeat(fill) + text.slice(sign.length);
  }
  return " ".repeat(fill) + text;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: GoValue[]): string {
  let out = "";
  args.forEach((arg, i) => {
    const prev = args[i - 1];
    if (i > 0 && typeof arg !== "string" && typeof prev !== "string") out += " ";
    out += formatGoValue(arg);
  });
  return out;
}

/** fmt.Sprintln: spaces always, and a newline. */
export function sprintln(args: GoValue[]): string {
  return `${args.map(formatGoValue).join(" ")}\n`;
}
