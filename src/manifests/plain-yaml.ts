// A fast reader for the plain YAML most manifests are written in: block mappings and sequences of
// one-line scalars and one-line flow collections. It builds the same value the `yaml` library builds
// with the options manifests are read with (src/runtime/yaml-library.ts: YAML 1.2 core schema, as
// go-yaml v3 reads manifests), many times faster: a 20 MB file of HelmReleases must be read in a few
// seconds (docs/behaviour.md, Performance targets), and `yaml` with its node positions takes ten times
// that and more memory than the target allows.
//
// Anything outside that subset — anchors, aliases, tags, block scalars, a scalar over several lines,
// merge keys, escapes, duplicate keys, tabs, odd indentation — makes it give up (NOT_PLAIN) and the
// caller parses the document with `yaml`, which also reports every error. So it never has to be
// right about hard YAML, only about recognising it. plain-yaml.test.ts compares both on generated
// documents of every style and on every document of the real repositories.

/** Returned when the text uses YAML this reader does not handle: parse it with `yaml` instead. */
export const NOT_PLAIN: unique symbol = Symbol("not plain YAML");

/**
 * Where, in a document the reader read, the two fields a report places things at are written: 0-based
 * rows of the text (-1: not written, or not on a row of its own the reader is sure of). `check` reports an
 * object at its `metadata.name` and a dependency problem at its `spec.dependsOn` entry; recording these
 * while reading spares it parsing each reported document again with `yaml` to find them
 * (manifest-document.ts). A row is the line `yaml` puts the node's start on (plain-yaml.test.ts).
 */
export interface PlainPlaces {
  /** Row of the value of `metadata.name`. */
  nameRow: number;
  /** Row of each `spec.dependsOn` entry, in order. */
  entryRows: number[];
}

// What the block being read is, for PlainPlaces: only these few paths are followed.
const ELSEWHERE = 0;
const ROOT = 1;
const METADATA = 2;
const SPEC = 3;
const DEPENDS_ON = 4;

// The YAML 1.2 core schema's plain scalars (the `yaml` library's core tags).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const INT_OCTAL = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** Thrown inside the reader to give up; caught once at the top. */
class NotPlain extends Error {}
const GIVE_UP = new NotPlain();

function giveUp(): never {
  throw GIVE_UP;
}

/** `yaml` refuses these characters anywhere in a stream; let it say so. */
// eslint-disable-next-line no-control-regex
const NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;

/** Whether `text` holds characters that rule the fast reader out for every chunk in it (tested once per file). */
export function ruledOut(text: string): boolean {
  return text.includes("\t") || text.includes("\r") || NON_PRINTABLE.test(text);
}

/** The plain scalar `text` as the core schema reads it: null, bool, int, float or string. */
function resolvePlain(text: string): unknown {
  const c = text.charCodeAt(0);
  // Only these can start a null, bool or number; everything else is a string.
  if (c === 0x7e /* ~ */ || c === 0x6e /* n */ || c === 0x4e /* N */) {
    if (NULL.test(text)) return null;
  } else if (c === 0x74 /* t */ || c === 0x54 /* T */ || c === 0x66 /* f */ || c === 0x46 /* F */) {
    if (BOOL.test(text)) return c === 0x74 || c === 0x54;
  } else if ((c >= 0x30 && c <= 0x39) || c === 0x2b /* + */ || c === 0x2d /* - */ || c === 0x2e /* . */) {
    if (INT.test(text)) return parseInt(text, 10);
    if (INT_OCTAL.test(text)) return parseInt(text.slice(2), 8);
    if (INT_HEX.test(text)) return parseInt(text.slice(2), 16);
    if (FLOAT_SPECIAL.test(text)) return text.endsWith("an") || text.endsWith("AN") ? NaN : text.startsWith("-") ? -Infinity : Infinity;
    if (FLOAT_EXP.test(text) || FLOAT.test(text)) return parseFloat(text);
  }
  return text;
}

/** Characters that may not start a plain scalar (or that start YAML this reader leaves to `yaml`). */
function badPlainStart(c: number, next: number): boolean {
  switch (c) {
    case 0x26: // & anchor
    case 0x2a: // * alias
    case 0x21: // ! tag
    case 0x7c: // | block scalar
    case 0x3e: // > block scalar
    case 0x25: // %
    case 0x40: // @
    case 0x60: // `
    case 0x23: // #
    case 0x2c: // ,
    case 0x5b: // [
    case 0x5d: // ]
    case 0x7b: // {
    case 0x7d: // }
    case 0x22: // "
    case 0x27: // '
      return true;
    case 0x2d: // -
    case 0x3f: // ?
    case 0x3a: // :
      return next === 0x20 || next === 0x0a || Number.isNaN(next);
    default:
      return false;
  }
}

const NO_ROWS: number[] = [];

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * text[start, end) as a string of its own. V8 makes a slice of 13 characters or more a view into the
 * string it came from, so one name kept from a 20 MB file would keep the whole file's text alive for the
 * run (`check` keeps every object's names). Prefixing a character and slicing it off again makes V8 copy
 * the characters into a new string (flattening the concatenation) that the view points into instead.
 */
function detached(text: string, start: number, end: number): string {
  return end - start < 13 ? text.slice(start, end) : (" " + text.slice(start, end)).slice(1);
}

/** Offset of `code` in text[from, to), or -1: a search that never runs past the line. */
function indexIn(text: string, code: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === code) return i;
  return -1;
}

/**
 * Strings met again and again (keys such as `metadata`, values such as `flux-system`), kept once: taken
 * from the cache they need neither a new string nor, as property keys, a lookup in V8's string table.
 * A slot holds the text and what it reads as; a collision just replaces it.
 */
const CACHE_SLOTS = 4096;
const cachedText: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS);
const cachedValue: unknown[] = new Array<unknown>(CACHE_SLOTS);
const CACHED_LENGTH = 24;

function slotOf(text: string, start: number, end: number): number {
  return (text.charCodeAt(start) * 31 + (end - start) * 131 + text.charCodeAt(end - 1) * 7 + text.charCodeAt((start + end) >> 1)) & (CACHE_SLOTS - 1);
}


/** One line with content: where its content starts and ends (comments not yet removed). */
interface Line {
  indent: number;
  /** Offset in the text of the first content character. */
  start: number;
  /** Offset just past the line's last character. */
  end: number;
  /** 0-based row of the line in the text. */
  row: number;
}

/**
 * Parses `text` (one YAML document, with no `---` inside but perhaps one at its start) into what `yaml`
 * would return, or NOT_PLAIN. Call `ruledOut` on the file first. With `places`, also where the document
 * writes `metadata.name` and its `spec.dependsOn` entries (left unchanged when it returns NOT_PLAIN).
 */
export function parsePlainYaml(text: string, places?: PlainPlaces): unknown {
  try {
    const reader = new PlainReader(text);
    const value = reader.document();
    if (places !== undefined) {
      places.nameRow = reader.nameRow;
      places.entryRows = reader.entryRows;
    }
    return value;
  } catch (error) {
    if (error instanceof NotPlain) return NOT_PLAIN;
    throw error;
  }
}

class PlainReader {
  private readonly lines: Line[] = [];
  private at = 0;

  /** The first `#` at or after `hashFrom` (Infinity: none), so comments are found without rescanning. */
  private hashFrom = 0;
  private hashAt = -1;

  /** Which block is being read (ROOT, METADATA, ...): set by the entry holding it, read as it starts. */
  private place = ROOT;
  nameRow = -1;
  entryRows: number[] = NO_ROWS;

  constructor(private readonly text: string) {
    let position = 0;
    const length = text.length;
    let first = true;
    let row = 0;
    for (; position < length; row++) {
      let end = text.indexOf("\n", position);
      if (end === -1) end = length;
      let start = position;
      while (start < end && text.charCodeAt(start) === 0x20) start++;
      if (start < end) {
        const c = text.charCodeAt(start);
        if (c === 0x23 /* # */) {
          // a comment line
        } else if (start === position && (c === 0x2d || c === 0x2e || c === 0x25) && this.isMarker(start)) {
          // `---` may open the document (splitDocuments keeps it on the chunk); anything else (`...`,
          // a directive, `--- value`) is left to `yaml`.
          if (!first || !this.isBareMarker(start, end)) giveUp();
        } else {
          this.lines.push({ indent: start - position, start, end, row });
        }
      }
      first = first && start === end;
      position = end + 1;
    }
  }

  private isMarker(start: number): boolean {
    const c = this.text.charCodeAt(start);
    if (c === 0x25) return true;
    // `---` or `...` opening a line is a marker to `yaml` even with more after it (`---:`).
    const three = this.text.slice(start, start + 3);
    return three === "---" || three === "...";
  }

  /** `---` alone, perhaps with a comment. */
  private isBareMarker(start: number, end: number): boolean {
    if (this.text.slice(start, start + 3) !== "---") return false;
    // A marker ends at a blank: `---#x` is a plain scalar, not a marker and a comment.
    if (start + 3 < end && this.text.charCodeAt(start + 3) !== 0x20) return false;
    const rest = this.text.slice(start + 3, end).trim();
    return rest === "" || rest.startsWith("#");
  }

  /** Offset of " #" (a comment) in text[from, to), or -1. */
  private commentIn(from: number, to: number): number {
    const text = this.text;
    let hash = this.nextHash(from);
    while (hash < to) {
      if (hash > 0 && text.charCodeAt(hash - 1) === 0x20) return hash - 1;
      hash = this.nextHash(hash + 1);
    }
    return -1;
  }

  private nextHash(from: number): number {
    if (this.hashAt === -1 || from < this.hashFrom || (this.hashAt < from)) {
      const found = this.text.indexOf("#", from);
      this.hashFrom = from;
      this.hashAt = found === -1 ? Infinity : found;
    }
    return this.hashAt;
  }

  /** The plain scalar text[start, end) as the core schema reads it, cached when short. */
  private plain(start: number, end: number): unknown {
    const text = this.text;
    if (end - start > CACHED_LENGTH) return resolvePlain(detached(text, start, end));
    const slot = slotOf(text, start, end);
    const known = cachedText[slot];
    if (known !== undefined && known.length === end - start && text.startsWith(known, start)) return cachedValue[slot];
    const raw = detached(text, start, end);
    const value = resolvePlain(raw);
    cachedText[slot] = raw;
    cachedValue[slot] = value;
    return value;
  }

  document(): unknown {
    // Whether `yaml` reads an empty document as null or undefined depends on its blank lines: its call.
    if (this.lines.length === 0) giveUp();
    const first = this.lines[0]!;
    const c = this.text.charCodeAt(first.start);
    if (first.indent !== 0) giveUp();
    if (!(c === 0x2d && this.isSequenceItem(first)) && this.keyEnd(first) === -1) giveUp(); // a top-level scalar
    this.place = ROOT;
    const value = this.block(0);
    if (this.at !== this.lines.length) giveUp();
    return value;
  }

  private isSequenceItem(line: Line): boolean {
    if (this.text.charCodeAt(line.start) !== 0x2d) return false;
    const next = line.start + 1;
    return next === line.end || this.text.charCodeAt(next) === 0x20;
  }

  /** The block (mapping or sequence) whose first line is the current one, at indent `indent`. */
  private block(indent: number): unknown {
    const line = this.lines[this.at]!;
    return this.isSequenceItem(line) ? this.sequence(indent) : this.mapping(indent);
  }

  /** Offset of the `:` ending the key on `line`, or -1 when the line is not `key:` / `key: …`. */
  private keyEnd(line: Line): number {
    const text = this.text;
    const c = text.charCodeAt(line.start);
    if (c === 0x22 || c === 0x27) {
      const close = indexIn(text, c, line.start + 1, line.end);
      if (close === -1) giveUp();
      if (text.charCodeAt(close + 1) !== 0x3a) return -1;
      const after = close + 2;
      return after === line.end || text.charCodeAt(after) === 0x20 ? close + 1 : -1;
    }
    let colon = indexIn(text, 0x3a, line.start, line.end);
    while (colon !== -1) {
      const after = colon + 1;
      if (after === line.end || text.charCodeAt(after) === 0x20) return colon;
      colon = indexIn(text, 0x3a, after, line.end);
    }
    return -1;
  }

  private key(line: Line, colon: number): string {
    const text = this.text;
    const c = text.charCodeAt(line.start);
    if (c === 0x22 || c === 0x27) return this.quoted(line.start, colon);
    if (badPlainStart(c, text.charCodeAt(line.start + 1))) giveUp();
    // `key :`, `a #b:`, merge keys, and the one key `yaml` stores specially.
    if (text.charCodeAt(colon - 1) === 0x20 || this.commentIn(line.start, colon) !== -1) giveUp();
    const value = this.plain(line.start, colon);
    // A null key: `yaml` turns it into "" where other readers say "null"; not worth agreeing on.
    if (value === "<<" || value === null) giveUp();
    return typeof value === "string" ? value : String(value);
  }

  /** A quoted scalar from `open` to just past its closing quote at `close - 1`; only the simple forms. */
  private quoted(open: number, end: number): string {
    const text = this.text;
    const quote = text.charCodeAt(open);
    const body = detached(text, open + 1, end - 1);
    if (text.charCodeAt(end - 1) !== quote) giveUp();
    if (quote === 0x22) {
      if (body.includes("\\") || body.includes('"')) giveUp();
      return body;
    }
    // '' inside single quotes is one quote; a lone ' would have closed the scalar.
    return body.includes("'") ? body.replaceAll("''", "'") : body;
  }

  private mapping(indent: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    const lines = this.lines;
    const place = this.place;
    while (this.at < lines.length) {
      const line = lines[this.at]!;
      if (line.indent < indent) break;
      if (line.indent > indent || this.isSequenceItem(line)) giveUp();
      const colon = this.keyEnd(line);
      if (colon === -1) giveUp();
      const key = this.key(line, colon);
      // `yaml` reports a duplicate, and stores __proto__ as an own key.
      if (key === "__proto__" || Object.hasOwn(result, key)) giveUp();
      const after = ++this.at;
      if (place === ELSEWHERE) {
        result[key] = this.valueAfter(colon + 1, line.end, indent, true);
        continue;
      }
      const inner = place === ROOT ? (key === "metadata" ? METADATA : key === "spec" ? SPEC : ELSEWHERE) : place === SPEC && key === "dependsOn" ? DEPENDS_ON : ELSEWHERE;
      this.place = inner;
      const value = this.valueAfter(colon + 1, line.end, indent, true);
      this.place = place;
      // A value that took no line of its own is on the key's line (an empty one is not placed), else
      // it is the block on the lines after.
      const inline = this.at === after;
      if (place === METADATA && key === "name") this.nameRow = !inline ? lines[after]!.row : value === null ? -1 : line.row;
      if (inline) {
        // A one-line flow collection (`metadata: {name: a}`) holds its fields on that line too.
        const name = inner === METADATA && isMapping(value) ? value["name"] : undefined;
        if (name !== null && name !== undefined) this.nameRow = line.row;
        const entries = inner === SPEC && isMapping(value) ? value["dependsOn"] : inner === DEPENDS_ON ? value : undefined;
        if (Array.isArray(entries)) this.entryRows = entries.map((entry) => (entry === null ? -1 : line.row));
      }
      result[key] = value;
    }
    return result;
  }

  private sequence(indent: number): unknown[] {
    const result: unknown[] = [];
    const lines = this.lines;
    const place = this.place;
    const rows: number[] | undefined = place === DEPENDS_ON ? [] : undefined;
    if (rows !== undefined) this.entryRows = rows;
    this.place = ELSEWHERE;
    while (this.at < lines.length) {
      const line = lines[this.at]!;
      if (line.indent < indent) break;
      if (line.indent > indent) giveUp();
      if (!this.isSequenceItem(line)) break; // the mapping holding this sequence goes on
      let start = line.start + 1;
      while (start < line.end && this.text.charCodeAt(start) === 0x20) start++;
      if (start < line.end && this.text.charCodeAt(start) !== 0x23) {
        const c = this.text.charCodeAt(start);
        const inner: Line = { indent: line.indent + (start - line.start), start, end: line.end, row: line.row };
        const flow = c === 0x7b || c === 0x5b;
        const nested = c === 0x2d && this.isSequenceItem(inner);
        // `- -` with nothing after: `yaml` reads the lines after it in its own way.
        if (nested && /^\s*(?:#.*)?$/.test(this.text.slice(start + 1, line.end))) giveUp();
        if (nested || (!flow && this.keyEnd(inner) !== -1)) {
          // `- key: value` or `- - item`: a block that starts on this line, at the item's column.
          lines[this.at] = inner;
          rows?.push(line.row);
          result.push(this.block(inner.indent));
          continue;
        }
      }
      const after = ++this.at;
      const value = this.valueAfter(line.start + 1, line.end, indent, false);
      // On the dash's line, or the block on the lines after it; an empty item is not placed.
      rows?.push(this.at === after ? (value === null ? -1 : line.row) : lines[after]!.row);
      result.push(value);
    }
    this.place = place;
    return result;
  }

  /**
   * The value after `key:` or `-` (from `from` to the line's `end`), whose entry sits at `indent`: a
   * scalar or flow collection on the same line, else the block on the following lines.
   */
  private valueAfter(from: number, end: number, indent: number, inMapping: boolean): unknown {
    const text = this.text;
    let start = from;
    while (start < end && text.charCodeAt(start) === 0x20) start++;
    const empty = start === end || text.charCodeAt(start) === 0x23;
    const next = this.lines[this.at];
    if (empty) {
      if (next === undefined || next.indent < indent) return null;
      if (next.indent > indent) return this.block(next.indent);
      // A sequence may sit at its key's own indent.
      if (inMapping && this.isSequenceItem(next)) return this.sequence(indent);
      return null;
    }
    // A value on several lines (plain or quoted continuation) is `yaml`'s.
    if (next !== undefined && next.indent > indent) giveUp();
    return this.inlineValue(start, this.withoutComment(start, end));
  }

  /** End of the content from `start`, before a ` #` comment and trailing spaces. */
  private withoutComment(start: number, end: number): number {
    const text = this.text;
    const c = text.charCodeAt(start);
    let stop = end;
    if (c === 0x22 || c === 0x27) {
      // The comment can only come after the closing quote.
      const close = indexIn(text, c, start + 1, end);
      if (close === -1) giveUp();
      const hash = this.commentIn(close, end);
      if (hash !== -1) stop = hash;
    } else if (c !== 0x7b && c !== 0x5b) {
      const hash = this.commentIn(start, end);
      if (hash !== -1) stop = hash;
    } else if (this.nextHash(start) < end) {
      // In a flow collection a " #" inside quotes is not a comment; leave those to `yaml`.
      giveUp();
    }
    while (stop > start && text.charCodeAt(stop - 1) === 0x20) stop--;
    return stop;
  }

  /** A one-line value from `start` to `end` (comment removed). */
  private inlineValue(start: number, end: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(start);
    if (c === 0x22 || c === 0x27) {
      const close = indexIn(text, c, start + 1, end);
      // Anything after the closing quote (other than a comment) is not a scalar.
      if (c === 0x22 ? close + 1 !== end : !this.singleQuotedEndsAt(start, end)) giveUp();
      return this.quoted(start, end);
    }
    if (c === 0x7b || c === 0x5b) {
      const flow = new FlowReader(text, start, end);
      const value = flow.value();
      flow.end();
      return value;
    }
    if (badPlainStart(c, text.charCodeAt(start + 1))) giveUp();
    // `a: b: c` is an error, `<<` a merge value: `yaml`'s.
    if (text.charCodeAt(end - 1) === 0x3a) giveUp();
    for (let colon = indexIn(text, 0x3a, start, end); colon !== -1; colon = indexIn(text, 0x3a, colon + 1, end)) {
      if (text.charCodeAt(colon + 1) === 0x20) giveUp();
    }
    const value = this.plain(start, end);
    if (value === "<<") giveUp();
    return value;
  }

  /** Whether the single-quoted scalar opening at `start` closes exactly at `end - 1` ('' is an escaped quote). */
  private singleQuotedEndsAt(start: number, end: number): boolean {
    const text = this.text;
    let i = start + 1;
    while (i < end) {
      if (text.charCodeAt(i) === 0x27) {
        if (text.charCodeAt(i + 1) === 0x27 && i + 1 < end) {
          i += 2;
          continue;
        }
        return i === end - 1;
      }
      i++;
    }
    return false;
  }
}

/** A one-line flow collection (`{a: b, c: [d, e]}`) of simple scalars. */
class FlowReader {
  private at: number;

  constructor(
    private readonly text: string,
    start: number,
    private readonly stop: number,
  ) {
    this.at = start;
  }

  private skipSpaces(): void {
    while (this.at < this.stop && this.text.charCodeAt(this.at) === 0x20) this.at++;
  }

  end(): void {
    this.skipSpaces();
    if (this.at !== this.stop) giveUp();
  }

  value(): unknown {
    this.skipSpaces();
    const c = this.text.charCodeAt(this.at);
    if (c === 0x7b) return this.mapping();
    if (c === 0x5b) return this.sequence();
    return this.scalar();
  }

  private mapping(): Record<string, unknown> {
    this.at++;
    const result: Record<string, unknown> = {};
    this.skipSpaces();
    if (this.text.charCodeAt(this.at) === 0x7d) {
      this.at++;
      return result;
    }
    for (;;) {
      this.skipSpaces();
      const c = this.text.charCodeAt(this.at);
      if (c === 0x7b || c === 0x5b) giveUp();
      const keyValue = this.scalar();
      if (keyValue === null) giveUp();
      const key = typeof keyValue === "string" ? keyValue : String(keyValue);
      if (key === "__proto__" || key === "<<" || Object.hasOwn(result, key)) giveUp();
      this.skipSpaces();
      if (this.text.charCodeAt(this.at) !== 0x3a) giveUp(); // `{a}` and other forms: `yaml`'s
      this.at++;
      const after = this.text.charCodeAt(this.at);
      if (after !== 0x20) giveUp();
      result[key] = this.value();
      this.skipSpaces();
      const next = this.text.charCodeAt(this.at++);
      if (next === 0x7d) return result;
      if (next !== 0x2c) giveUp();
    }
  }

  private sequence(): unknown[] {
    this.at++;
    const result: unknown[] = [];
    this.skipSpaces();
    if (this.text.charCodeAt(this.at) === 0x5d) {
      this.at++;
      return result;
    }
    for (;;) {
      result.push(this.value());
      this.skipSpaces();
      const next = this.text.charCodeAt(this.at++);
      if (next === 0x5d) return result;
      if (next !== 0x2c) giveUp();
    }
  }

  /** A quoted scalar, or a plain one ending at `,`, `]`, `}` or `: `. */
  private scalar(): unknown {
    const text = this.text;
    const c = text.charCodeAt(this.at);
    if (c === 0x22 || c === 0x27) {
      const close = indexIn(text, c, this.at + 1, this.stop);
      if (close === -1) giveUp();
      const body = detached(text, this.at + 1, close);
      if (c === 0x22 ? body.includes("\\") : text.charCodeAt(close + 1) === 0x27) giveUp();
      this.at = close + 1;
      return body;
    }
    if (badPlainStart(c, text.charCodeAt(this.at + 1))) giveUp();
    const start = this.at;
    while (this.at < this.stop) {
      const d = text.charCodeAt(this.at);
      if (d === 0x2c || d === 0x5d || d === 0x7d || d === 0x5b || d === 0x7b) break;
      // Any `:` in a flow plain scalar (`{a:1}`, `nginx:1.2`) is left to `yaml`'s rules.
      if (d === 0x3a || d === 0x23) {
        if (d === 0x3a && text.charCodeAt(this.at + 1) === 0x20) break;
        giveUp();
      }
      this.at++;
    }
    let end = this.at;
    while (end > start && text.charCodeAt(end - 1) === 0x20) end--;
    if (end === start) giveUp(); // an empty entry
    return resolvePlain(detached(text, start, end));
  }
}
