import { describe, expect, it } from "vitest";
import { parseManifestText } from "./manifest-document.js";
import { ManifestError } from "./manifest-error.js";

describe("parseManifestText", () => {
  it("keeps object documents with their start line and drops the rest", () => {
    const docs = parseManifestText("---\n# comment\na: 1\n---\n- a list\n---\n\n---\nb:\n  c: 2\n", "f.yaml", "/f.yaml");
    expect(docs.map((d) => [d.line, d.value])).toEqual([
      [3, { a: 1 }],
      [9, { b: { c: 2 } }],
    ]);
    expect(docs[1]?.lineOf(["b", "c"])).toBe(10);
  });

  it("expands a List into its items", () => {
    const docs = parseManifestText('{"kind": "List", "items": [\n{"a": 1},\n{"b": 2}]}', "l.json", "/l.json");
    expect(docs.map((d) => [d.index, d.line, d.value])).toEqual([
      [0, 2, { a: 1 }],
      [1, 3, { b: 2 }],
    ]);
  });

  it("accepts merge keys as Kubernetes' YAML parser does", () => {
    const [doc] = parseManifestText("base: &base {a: 1}\nderived:\n  <<: *base\n  b: 2\n", "m.yaml", "/m.yaml");
    expect(doc?.value["derived"]).toEqual({ a: 1, b: 2 });
  });

  it("throws a one-line ManifestError with the line of malformed YAML", () => {
    const parse = () => parseManifestText("a: 1\nb: [2\nc: 3\n", "bad.yaml", "/bad.yaml");
    expect(parse).toThrow(ManifestError);
    expect(parse).toThrow(/^bad\.yaml:\d+: malformed YAML: [^\n]+$/);
    expect(() => parseManifestText("a: 1\na: 2\n", "dup.yaml", "/dup.yaml")).toThrow(/^dup\.yaml:2: malformed YAML: /);
  });
});
