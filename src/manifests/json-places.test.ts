// The JSON scan against `yaml`'s node positions (the way lines were found before, and what a YAML
// document's lines come from): for generated Flux-shaped JSON, compact or indented, as a List or one
// object, every row it gives is the line `yaml` gives the same node.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MANIFEST_YAML_OPTIONS, yamlLibrary } from "../runtime/yaml-library.js";
import { jsonPlaces } from "./json-places.js";

/** 0-based row `yaml` gives the node at `field`, or -1. */
function yamlRow(text: string, field: (string | number)[]): number {
  const { LineCounter, isNode, parseDocument } = yamlLibrary();
  const counter = new LineCounter();
  const doc = parseDocument(text, { ...MANIFEST_YAML_OPTIONS, uniqueKeys: false, lineCounter: counter });
  const node: unknown = doc.getIn(field, true);
  return isNode(node) && node.range ? counter.linePos(node.range[0]).line - 1 : -1;
}

const name = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.string({ maxLength: 4 }), fc.constantFrom('a"b', "a\\b", "ü\n", "}", "],"));
const entry = fc.oneof(fc.record({ name }), fc.record({ name, namespace: name }), fc.jsonValue({ maxDepth: 2 }));
const object = fc.record(
  {
    apiVersion: fc.constant("helm.toolkit.fluxcd.io/v2"),
    kind: fc.constant("HelmRelease"),
    metadata: fc.oneof(fc.record({ name, namespace: name }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 2 })),
    spec: fc.oneof(fc.record({ interval: name, dependsOn: fc.array(entry, { maxLength: 3 }), values: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 2 })),
  },
  { requiredKeys: [] },
);
const indent = fc.constantFrom(undefined, 1, 2, "\t");
/** As written on Windows, or not. */
const crlf = fc.boolean();

describe("jsonPlaces", () => {
  it("gives each List item's start, metadata.name and dependsOn entries the rows `yaml` gives them", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(object, fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }), indent, crlf, (items, space, windows) => {
        const json = JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, space);
        const text = windows ? json.replaceAll("\n", "\r\n") : json;
        const places = jsonPlaces(text, true);
        expect(places, text).toBeDefined();
        expect(places!.length).toBe(items.length);
        places!.forEach((rows, i) => {
          expect(rows.startRow, text).toBe(yamlRow(text, ["items", i]));
          expect(rows.nameRow, text).toBe(yamlRow(text, ["items", i, "metadata", "name"]));
          const entries = (items[i] as { spec?: { dependsOn?: unknown } } | null)?.spec?.dependsOn;
          expect(rows.entryRows.length).toBe(Array.isArray(entries) ? entries.length : 0);
          rows.entryRows.forEach((row, j) => expect(row, text).toBe(yamlRow(text, ["items", i, "spec", "dependsOn", j])));
        });
      }),
      { numRuns: 300 },
    );
  });

  it("gives one object's metadata.name and dependsOn entries the rows `yaml` gives them", () => {
    fc.assert(
      fc.property(object, indent, crlf, (value, space, windows) => {
        const json = JSON.stringify(value, null, space);
        const text = windows ? json.replaceAll("\n", "\r\n") : json;
        const [rows] = jsonPlaces(text, false)!;
        expect(rows!.nameRow, text).toBe(yamlRow(text, ["metadata", "name"]));
        rows!.entryRows.forEach((row, j) => expect(row, text).toBe(yamlRow(text, ["spec", "dependsOn", j])));
      }),
      { numRuns: 300 },
    );
  });

  it("leaves a key written twice on the way to a placed field to `yaml` (JSON.parse keeps the last, `yaml` finds the first)", () => {
    expect(jsonPlaces('{"metadata": {"name": "a",\n "name": "b"}}', false)).toBeUndefined();
    expect(jsonPlaces('{"kind": "List", "items": [],\n"items": [{}]}', true)).toBeUndefined();
    expect(jsonPlaces('{"metadata": {"labels": {"a": 1, "a": 2}, "name": "x"}}', false)).toEqual([{ startRow: 0, nameRow: 0, entryRows: [] }]);
    // A carriage return alone breaks a line for `yaml`, not for JSON.
    expect(jsonPlaces('{"metadata":\r{"name": "x"}}', false)).toBeUndefined();
  });
});
