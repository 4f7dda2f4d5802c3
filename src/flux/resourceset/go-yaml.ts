// YAML as Go's sigs.k8s.io/yaml writes it (go-yaml v2 emitter): keys sorted in go-yaml's natural order, two
// spaces a level, sequences flush with their parent key, strings plain when go-yaml allows, else single- or
// double-quoted, multi-line strings as literal blocks. The Flux Operator turns each `spec.resources` entry into
// such text before templating it and `toYaml` produces it, so `nindent` and quoting behave as they do there.

import { formatGoFloat, GoFloat, isGoMap, type GoValue } from "./go-values.js";

export function marshalGoYaml(value: GoValue): string {
  if (isGoMap(value) && Object.keys(value).length > 0) return mapping(value, 0);
  if (Array.isArray(value) && value.length > 0) return sequence(value, 0);
  return `${scalar(value, 0, false)}\n`;
}

function mapping(map: { [key: string]: GoValue }, indent: number): string {
  let out = "";
  const pad = " ".repeat(indent);
  for (const key of Object.keys(map).sort(compareGoYamlKeys)) {
    const value = map[key] ?? null;
    const k = scalar(key, indent, true);
    if (isGoMap(value) && Object.keys(value).length > 0) {
      out += `${pad}${k}:\n${mapping(value, indent + 2)}`;
    } else if (Array.isArray(value) && value.length > 0) {
      out += `${pad}${k}:\n${sequence(value, indent)}`;
    } else {
      out += `${pad}${k}: ${scalar(value, indent + 2, false)}\n`;
    }
  }
  return out;
}

function sequence(list: GoValue[], indent: number): string {
  let out = "";
  const pad = " ".repeat(indent);
  for (const item of list) {
    if (isGoMap(item) && Object.keys(item).length > 0) {
      const body = mapping(item, indent + 2);
      out += `${pad}- ${body.slice(indent + 2)}`;
    } else if (Array.isArray(item) && item.length > 0) {
      const body = sequence(item, indent + 2);
      out += `${pad}- ${body.slice(indent + 2)}`;
    } else {
      out += `${pad}- ${scalar(item, indent + 2, false)}\n`;
    }
  }
  return out;
}

function scalar(value: GoValue, indent: number, isKey: boolean): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof GoFloat) return floatText(value.value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : floatText(value);
  if (Array.isArray(value)) return "[]";
  if (typeof value !== "string") return "{}";
  return stringScalar(value, indent, isKey);
}

function floatText(f: number): string {
  if (Number.isNaN(f)) return ".nan";
  if (f === Infinity) return ".inf";
  if (f === -Infinity) return "-.inf";
  return formatGoFloat(f);
}

const BOOL_OR_NULL = new Set([
  "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
  "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", "", "<<",
]);

/** Whether go-yaml v2 would read the plain scalar as something other than a string. */
function resolvesToNonString(s: string): boolean {
  if (BOOL_OR_NULL.has(s)) return true;
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s) || /^\.(nan|NaN|NAN)$/.test(s)) return true;
  const plain = s.replace(/_/g, "");
  if (/^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/.test(plain)) return true;
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(s)) return true;
  if (/^\d{4}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.test(s)) return true;
  return false;
}

function isBase60Float(s: string): boolean {
  return /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s);
}

interface Analysis {
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
  multiline: boolean;
}

function isPrintableChar(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  return (
    cp === 0x09 || cp === 0x0a || cp === 0x0d || (cp >= 0x20 && cp <= 0x7e) || cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** go-yaml v2's analysis of which scalar styles a string allows (block context). */
function analyze(s: string): Analysis {
  const result: Analysis = { blockPlain: true, singleQuoted: true, block: true, multiline: false };
  if (s.length === 0) return { blockPlain: false, singleQuoted: true, block: false, multiline: false };
  if ((s.startsWith("---") || s.startsWith("...")) && (s.length === 3 || /[ \t\r\n]/.test(s[3] ?? ""))) {
    result.blockPlain = false;
  }
  const chars = [...s];
  let blockIndicators = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let special = false;
  let lineBreaks = false;
  let precededByWhitespace = true;
  chars.forEach((ch, i) => {
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || /[ \t\r\n]/.test(next);
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) blockIndicators = true;
      if ((ch === "?" || ch === ":") && followedByWhitespace) blockIndicators = true;
      if (ch === "-" && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ":" && followedByWhitespace) blockIndicators = true;
      if (ch === "#" && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintableChar(ch) || ch === "\ufeff") special = true;
    const isBreak = ch === "\n" || ch === "\r" || ch === "\u0085" || ch === "\u2028" || ch === "\u2029";
    if (isBreak) lineBreaks = true;
    if (ch === " ") {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = /[ \t\r\n]/.test(ch);
  });
  result.multiline = lineBreaks;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) result.blockPlain = false;
  if (trailingSpace) result.block = false;
  if (breakSpace) {
    result.blockPlain = false;
    result.singleQuoted = false;
  }
  if (spaceBreak || special) {
    result.blockPlain = false;
    result.singleQuoted = false;
    result.block = false;
  }
  if (lineBreaks) result.blockPlain = false;
  if (blockIndicators) result.blockPlain = false;
  return result;
}

function stringScalar(s: string, indent: number, isKey: boolean): string {
  const a = analyze(s);
  if (s.includes("\n") && !isKey && a.block) return literal(s, indent);
  if (s.includes("\n")) return doubleQuoted(s);
  const canUsePlain = !resolvesToNonString(s) && !isBase60Float(s);
  if (canUsePlain && a.blockPlain && !(isKey && a.multiline)) return s;
  if (!canUsePlain && !a.blockPlain) {
    // go-yaml asks for double quotes when the plain form would not read back as a string.
    return doubleQuoted(s);
  }
  if (!canUsePlain) return doubleQuoted(s);
  if (a.singleQuoted && !(isKey && a.multiline)) return `'${s.replace(/'/g, "''")}'`;
  return doubleQuoted(s);
}

function literal(s: string, indent: number): string {
  let hints = "|";
  if (s.startsWith(" ") || s.startsWith("\n")) hints += "2";
  if (!s.endsWith("\n")) hints += "-";
  else if (s === "\n" || s.endsWith("\n\n")) hints += "+";
  const body = s.endsWith("\n") ? s.slice(0, -1) : s;
  const pad = " ".repeat(indent);
  const lines = body.split("\n").map((line) => (line.length > 0 ? pad + line : ""));
  return `${hints}\n${lines.join("\n")}`;
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case "\0": out += "\\0"; continue;
      case "\x07": out += "\\a"; continue;
      case "\b": out += "\\b"; continue;
      case "\t": out += "\\t"; continue;
      case "\n": out += "\\n"; continue;
      case "\v": out += "\\v"; continue;
      case "\f": out += "\\f"; continue;
      case "\r": out += "\\r"; continue;
      case "\x1b": out += "\\e"; continue;
      case '"': out += '\\"'; continue;
      case "\\": out += "\\\\"; continue;
      case "\u0085": out += "\\N"; continue;
      case "\u00a0": out += "\\_"; continue;
      case "\u2028": out += "\\L"; continue;
      case "\u2029": out += "\\P"; continue;
    }
    if (!isPrintableChar(ch) || cp === 0xfeff) {
      out += cp <= 0xff ? `\\x${cp.toString(16).toUpperCase().padStart(2, "0")}` : cp <= 0xffff ? `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}` : `\\U${cp.toString(16).toUpperCase().padStart(8, "0")}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

/** go-yaml v2's key order: runs of digits compare as numbers, letters before other characters. */
export function compareGoYamlKeys(a: string, b: string): number {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string): boolean => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined): boolean => c !== undefined && /[0-9]/.test(c);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ca = ar[i] ?? "";
    const cb = br[i] ?? "";
    if (ca === cb) continue;
    const al = isLetter(ca);
    const bl = isLetter(cb);
    if (al && bl) return ca < cb ? -1 : 1;
    if (al || bl) return bl ? -1 : 1;
    let an = 0;
    let bn = 0;
    if (ca === "0" || cb === "0") {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== "0") {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn ? -1 : 1;
    if (ai !== bi) return ai < bi ? -1 : 1;
    return ca < cb ? -1 : 1;
  }
  return ar.length - br.length;
}
