// Parses the text of one file (or stdin) into its object documents: multi-document YAML 1.2 via the
// `yaml` package (JSON is YAML too), with `kind: List` expanded into its items. Every document keeps
// where it came from so that errors and reports can name `file:line`.

import { LineCounter, isNode, parseAllDocuments } from "yaml";
import type { Document } from "yaml";
import { ManifestError } from "./manifest-error.js";

export type FieldPath = readonly (string | number)[];

export interface ManifestDocument {
  /** Absolute path of the file; "" for stdin. */
  path: string;
  /** The file as reported to the user. */
  file: string;
  /** Position of the document within its file (after expanding Lists). */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  value: Record<string, unknown>;
  /** 1-based line of the node at `field` (e.g. ["spec", "dependsOn", 0]) inside this document. */
  lineOf(field: FieldPath): number | undefined;
}

/** Aliases expanded per document before `yaml` calls it an attack; real repos alias a few names. */
const MAX_ALIAS_COUNT = 10_000;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses `text`; throws ManifestError (file:line) on malformed YAML. Non-object documents are dropped. */
export function parseManifestText(text: string, file: string, path: string): ManifestDocument[] {
  const lineCounter = new LineCounter();
  // `merge: true` accepts `<<: *defaults` as Kubernetes' YAML 1.1 parser does. A redefined anchor is
  // legal YAML (the alias refers to the latest definition); `yaml` accepts it without options.
  const docs = parseAllDocuments(text, { lineCounter, merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const result: ManifestDocument[] = [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line;
      throw new ManifestError(file, line, `malformed YAML: ${describeYamlError(error.message)}`);
    }
    if (!doc.contents) continue;
    const start = lineCounter.linePos(doc.contents.range[0]).line;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (cause) {
      throw new ManifestError(file, start, `malformed YAML: ${describeYamlError(String((cause as Error).message ?? cause))}`);
    }
    if (!isPlainObject(value)) continue;
    const lineIn = (prefix: FieldPath) => (field: FieldPath) => nodeLine(doc, lineCounter, [...prefix, ...field]);
    const items = value["items"];
    if (typeof value["kind"] === "string" && value["kind"].endsWith("List") && Array.isArray(items)) {
      // `kubectl get -o yaml|json` output: a List whose items are the objects.
      items.forEach((item: unknown, i) => {
        if (!isPlainObject(item)) return;
        const lineOf = lineIn(["items", i]);
        result.push({ path, file, index: result.length, line: lineOf([]) ?? start, value: item, lineOf });
      });
      continue;
    }
    result.push({ path, file, index: result.length, line: start, value, lineOf: lineIn([]) });
  }
  return result;
}

function nodeLine(doc: Document, lineCounter: LineCounter, field: FieldPath): number | undefined {
  const node: unknown = field.length === 0 ? doc.contents : doc.getIn(field, true);
  if (!isNode(node) || !node.range) return undefined;
  return lineCounter.linePos(node.range[0]).line;
}

/** `yaml` messages end with " at line L, column C:" and a quoted excerpt; the line is reported apart. */
function describeYamlError(message: string): string {
  const first = message.split("\n", 1)[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?\s*$/, "").trim();
}
