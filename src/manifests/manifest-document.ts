// Parses the text of one file (or stdin) into its object documents: multi-document YAML (JSON is YAML
// too), with `kind: List` expanded into its items. Every document keeps where it came from so that
// errors and reports can name `file:line`.
//
// Speed matters here (a 20 MB file of 50,000 HelmReleases must be read in a few seconds, docs/behaviour.md):
// values come from plain-yaml.ts for the plain YAML most manifests are (several times faster, held to
// `yaml` by property tests), else from `yaml` read as go-yaml reads (or JSON.parse for JSON). A report
// places an object at its `metadata.name` and a dependency problem at its dependsOn entry: the fast
// reader records those lines while it reads; for other documents they come from one `yaml` parse of the
// chunk when first asked (`yaml` keeps node positions; loaded only then). Lines of other fields are
// asked only for an error, and found by parsing that one document again.

import type { Document, LineCounter } from "yaml";
import { jsonPlaces } from "./json-places.js";
import { ManifestError } from "./manifest-error.js";
import { NOT_PLAIN, parsePlainYaml, ruledOut, type PlainPlaces } from "./plain-yaml.js";
import { isRecord } from "../runtime/json.js";
import type { FieldPath } from "../flux/decode.js";
import { MANIFEST_YAML_OPTIONS, readYamlDocument, yamlLibrary, YamlSyntaxError } from "../runtime/yaml-library.js";

export interface ManifestDocument {
  /** Absolute path of the file; "" for stdin. */
  path: string;
  /** The file as reported to the user. */
  file: string;
  /** Position of the document within its file (after expanding Lists). */
  index: number;
  /** 1-based line where the document's content starts (found when first read). */
  readonly line: number;
  value: Record<string, unknown>;
  /** 1-based line of the node at `field` (e.g. ["spec", "dependsOn", 0]) inside this document. */
  lineOf(field: FieldPath): number | undefined;
  /**
   * 1-based line of the object's `metadata.name`, else of the document's start: where a report places
   * the object. It keeps the document's text, never its value, so an object decoded from the document
   * does not keep the parsed document alive.
   */
  readonly objectLine: () => number;
  /**
   * The object's line and each written dependsOn entry's, when the fast reader recorded them all while
   * reading: an object decoded from it keeps these numbers instead of a way to find them, so nothing of
   * the document (its text, its line finder) outlives the read.
   */
  readonly placed?: {
    /** 1-based line of `metadata.name`. */
    objectLine: number;
    /** 1-based line of each `spec.dependsOn` entry. */
    entryLines: readonly number[];
  };
}


/** The one JSON guard (src/runtime), under the name the manifest readers use. */
export const isPlainObject = isRecord;

/**
 * An alias used as a mapping key, `*app:` (go-yaml v3 ends anchor and alias names at the first
 * character that is not a letter, digit, `_` or `-`; the YAML spec, and so js-yaml and yaml, read the
 * colon as part of the name).
 */
const ALIAS_BEFORE_COLON = /(^|[\s[{,])\*([0-9A-Za-z_-]+):(?=[ \t\r\n]|$)/gm;

/** `text` rewritten so that a spec-following reader reads it as go-yaml v3 does; undefined when nothing differs. */
function goYamlText(text: string): string | undefined {
  ALIAS_BEFORE_COLON.lastIndex = 0;
  if (!ALIAS_BEFORE_COLON.test(text)) return undefined;
  return text.replace(ALIAS_BEFORE_COLON, "$1*$2 :");
}

/** One `---`-separated part of a file: its text and the line it starts on. */
interface Chunk {
  text: string;
  /** 0-based line of the chunk's first line in the file. */
  offset: number;
}

const DOCUMENT_MARKER = /^---(?:[ \t\r]|$)/;

/**
 * Splits a multi-document stream at its `---` lines. A document marker at the start of a line
 * always ends the document before it in YAML, even inside a block scalar, so this split is exact.
 */
function splitDocuments(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  let startLine = 0;
  let line = 0;
  let position = 0;
  while (position <= text.length) {
    const end = text.indexOf("\n", position);
    const lineEnd = end === -1 ? text.length : end;
    if (text.charCodeAt(position) === 0x2d /* - */ && position > start && DOCUMENT_MARKER.test(text.slice(position, Math.min(lineEnd, position + 4)))) {
      chunks.push({ text: text.slice(start, position), offset: startLine });
      start = position;
      startLine = line;
    }
    if (end === -1) break;
    position = end + 1;
    line++;
  }
  chunks.push({ text: text.slice(start), offset: startLine });
  return chunks;
}

/** 0-based line of the first line of `chunk` holding content (not blank, a comment or a marker). */
function contentLine(chunk: Chunk): number {
  const lines = chunk.text.split("\n", 200);
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i]!.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith("%")) continue;
    if (/^---\s*$/.test(trimmed)) continue;
    return chunk.offset + i;
  }
  return chunk.offset;
}

/** Where an object writes the fields a report places things at: 0-based rows of its chunk, -1 for none. */
interface Places extends PlainPlaces {
  /** Row where the object's node starts (a List item's; a document's start is found from its text). */
  startRow: number;
}

/**
 * Lines of the fields of one chunk's objects. `check` asks for the line of every object and every
 * dependsOn entry it reports (49,900 of them for a file of 50,000 typos): those come from what the fast
 * reader recorded while reading, else from one `yaml` parse of the chunk, of which only those rows are
 * kept (one per List item: a 20 MB List is parsed once, not once per item). Any other field, asked
 * only for an error, is found by parsing the chunk with `yaml` again, which keeps node positions.
 */
class ChunkLines {
  /** Per object (index 0 for a document, the item's index in a List); whether a -1 there is sure. */
  private places: Places[] | undefined;
  private exact = false;

  constructor(
    private readonly chunk: Chunk,
    private readonly list: boolean,
    plain?: PlainPlaces,
    /** The chunk is JSON (the whole file): its places come from a scan of its text (json-places.ts). */
    private readonly json = false,
  ) {
    if (plain !== undefined) this.places = [{ startRow: -1, nameRow: plain.nameRow, entryRows: plain.entryRows }];
  }

  /** 1-based line of `field` in the document (`item` undefined) or in the List's item `item`. */
  lineOf(field: FieldPath, item?: number): number | undefined {
    const row = this.placedRow(field, item ?? 0);
    if (row !== undefined && row !== -1) return row + 1 + this.chunk.offset;
    if (row === -1 && this.exact) return undefined;
    if (row === -1) {
      // The fast reader was not sure of this one: ask `yaml` for the chunk's places.
      this.places = this.parsedPlaces();
      return this.lineOf(field, item);
    }
    return this.parsedLineOf(item === undefined ? field : ["items", item, ...field]);
  }

  /** The row of a placed field (-1: not written), or undefined for any other field. */
  private placedRow(field: FieldPath, item: number): number | undefined {
    const [first, second, third] = field;
    const placed =
      field.length === 0 ? this.list : field.length === 2 ? first === "metadata" && second === "name" : field.length === 3 && first === "spec" && second === "dependsOn" && typeof third === "number";
    if (!placed) return undefined;
    this.places ??= this.parsedPlaces();
    const places = this.places[item];
    if (places === undefined) return -1;
    if (field.length === 0) return places.startRow;
    return field.length === 2 ? places.nameRow : (places.entryRows[third as number] ?? -1);
  }

  private parse(): { doc: Document; counter: LineCounter } {
    const { LineCounter, parseDocument } = yamlLibrary();
    const counter = new LineCounter();
    const doc = parseDocument(this.chunk.text, { ...MANIFEST_YAML_OPTIONS, uniqueKeys: false, lineCounter: counter });
    return { doc, counter };
  }

  private parsedLineOf(field: FieldPath): number | undefined {
    const { isNode } = yamlLibrary();
    const { doc, counter } = this.parse();
    const node: unknown = field.length === 0 ? doc.contents : doc.getIn(field, true);
    if (!isNode(node) || !node.range) return undefined;
    return counter.linePos(node.range[0]).line + this.chunk.offset;
  }

  /** The places of the chunk's objects from one scan of JSON, else one `yaml` parse whose document is not kept. */
  private parsedPlaces(): Places[] {
    const scanned = this.json ? jsonPlaces(this.chunk.text, this.list) : undefined;
    if (scanned !== undefined) {
      this.exact = true;
      return scanned;
    }
    const { isCollection, isNode, isSeq } = yamlLibrary();
    const { doc, counter } = this.parse();
    this.exact = true;
    const rowOf = (node: unknown) => (isNode(node) && node.range ? counter.linePos(node.range[0]).line - 1 : -1);
    const placesOf = (node: unknown): Places => {
      if (!isCollection(node)) return { startRow: rowOf(node), nameRow: -1, entryRows: [] };
      const entries = node.getIn(["spec", "dependsOn"], true);
      return {
        startRow: rowOf(node),
        nameRow: rowOf(node.getIn(["metadata", "name"], true)),
        entryRows: isSeq(entries) ? entries.items.map(rowOf) : [],
      };
    };
    if (!this.list) return [placesOf(doc.contents)];
    const items = doc.getIn(["items"], true);
    return isSeq(items) ? items.items.map(placesOf) : [];
  }
}

function yamlError(file: string, chunk: Chunk, cause: unknown): ManifestError {
  if (cause instanceof YamlSyntaxError) {
    const line = cause.line === undefined ? undefined : cause.line + chunk.offset;
    return new ManifestError(file, line, `malformed YAML: ${cause.reason}`);
  }
  return new ManifestError(file, chunk.offset + 1, `malformed YAML: ${String((cause as Error).message ?? cause)}`);
}

/** Parses `text`; throws ManifestError (file:line) on malformed YAML. Non-object documents are dropped. */
export function parseManifestText(text: string, file: string, path: string): ManifestDocument[] {
  const result: ManifestDocument[] = [];
  forEachManifestDocument(text, file, path, (doc) => result.push(doc));
  return result;
}

/**
 * Parses `text` one document at a time, handing each to `visit` as it is read: a caller that keeps only
 * what it decodes lets each parsed document go at once (a 20 MB file need not be held parsed whole).
 */
export function forEachManifestDocument(text: string, file: string, path: string, visit: (doc: ManifestDocument) => void): void {
  const json = looksLikeJson(text) ? jsonValue(text) : NOT_JSON;
  const chunks = json === NOT_JSON ? splitDocuments(text) : [{ text, offset: 0 }];
  let plain: boolean | undefined;
  let index = 0;
  for (const chunk of chunks) {
    let value: unknown = json;
    let places: PlainPlaces | undefined;
    if (json === NOT_JSON) {
      plain ??= !ruledOut(text);
      places = plain ? { nameRow: -1, entryRows: [] } : undefined;
      value = places !== undefined ? parsePlainYaml(chunk.text, places) : NOT_PLAIN;
      if (value === NOT_PLAIN) places = undefined;
      if (value === NOT_PLAIN) {
        try {
          value = readYamlDocument(chunk.text);
        } catch (cause) {
          // Where YAML readers disagree, Flux's (go-yaml v3) decides: read the chunk again as it reads it.
          const asGoYaml = goYamlText(chunk.text);
          if (asGoYaml === undefined) throw yamlError(file, chunk, cause);
          chunk.text = asGoYaml;
          try {
            value = readYamlDocument(chunk.text);
          } catch {
            throw yamlError(file, chunk, cause);
          }
        }
      }
    }
    if (!isPlainObject(value)) continue;
    const items = value["items"];
    const list = typeof value["kind"] === "string" && value["kind"].endsWith("List") && Array.isArray(items);
    const lines = new ChunkLines(chunk, list, list ? undefined : places, json !== NOT_JSON);
    if (list) {
      // `kubectl get -o yaml|json` output: a List whose items are the objects.
      (items as unknown[]).forEach((item: unknown, i) => {
        if (!isPlainObject(item)) return;
        const lineOf = (field: FieldPath) => lines.lineOf(field, i);
        const start = () => lineOf([]) ?? chunk.offset + 1;
        visit({
          path,
          file,
          index: index++,
          get line() {
            return start();
          },
          value: item,
          lineOf,
          objectLine: () => lineOf(["metadata", "name"]) ?? start(),
        });
      });
      continue;
    }
    const start = () => contentLine(chunk) + 1;
    const doc: ManifestDocument = {
      path,
      file,
      index: index++,
      get line() {
        return start();
      },
      value,
      lineOf: (field) => lines.lineOf(field),
      objectLine: () => lines.lineOf(["metadata", "name"]) ?? start(),
    };
    visit(places === undefined || list ? doc : withPlaced(doc, places, chunk.offset));
  }
}

/** `doc` with its PlacedLines when the fast reader placed its name and every dependsOn entry. */
function withPlaced(doc: ManifestDocument, places: PlainPlaces, offset: number): ManifestDocument {
  if (places.nameRow === -1 || places.entryRows.includes(-1)) return doc;
  const placed: ManifestDocument["placed"] = { objectLine: places.nameRow + 1 + offset, entryLines: places.entryRows.map((row) => row + 1 + offset) };
  return Object.assign(doc, { placed });
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === "{" || first === "[";
}

const NOT_JSON: unique symbol = Symbol("not JSON");

/** JSON.parse when the text is plain JSON; otherwise the YAML path, which also reports the error line. */
function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}
