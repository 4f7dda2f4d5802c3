// The fast reader against the one full YAML reader (`yaml`, read as manifests are read: src/runtime/
// yaml-library.ts) as the oracle: on every input it must either build exactly what that builds or give
// up, and give up whenever that would fail. And it must not give up on the plain style it exists for.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { MANIFEST_YAML_OPTIONS, readYamlDocument, yamlLibrary } from "../runtime/yaml-library.js";
import { describe, expect, it } from "vitest";
import { NOT_PLAIN, parsePlainYaml, ruledOut, type PlainPlaces } from "./plain-yaml.js";


type Oracle = { ok: true; value: unknown } | { ok: false };

function oracle(text: string): Oracle {
  try {
    return { ok: true, value: readYamlDocument(text) };
  } catch {
    return { ok: false };
  }
}

/** 1-based line `yaml` puts the node at `field` on (as reports place it), or undefined. */
function yamlLine(text: string, field: (string | number)[]): number | undefined {
  const { LineCounter, isNode, parseDocument } = yamlLibrary();
  const counter = new LineCounter();
  const node: unknown = parseDocument(text, { ...MANIFEST_YAML_OPTIONS, uniqueKeys: false, lineCounter: counter }).getIn(field, true);
  return isNode(node) && node.range ? counter.linePos(node.range[0]).line : undefined;
}

/**
 * The places the reader records agree with `yaml`'s node positions: each row it is sure of is the
 * line `yaml` gives, and it is sure of every one written on a line of its own.
 */
function placesAgree(text: string, value: unknown, places: PlainPlaces): void {
  const record = (v: unknown): Record<string, unknown> | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const name = record(record(value)?.["metadata"])?.["name"];
  const entries = record(record(value)?.["spec"])?.["dependsOn"];
  if (places.nameRow !== -1) expect(places.nameRow + 1, text).toBe(yamlLine(text, ["metadata", "name"]));
  // Only a null name (nothing a report places) may be left to `yaml`.
  else if (name !== undefined) expect(name, text).toBeNull();
  expect(places.entryRows.length, text).toBe(Array.isArray(entries) ? entries.length : 0);
  places.entryRows.forEach((row, i) => {
    if (row !== -1) expect(row + 1, text).toBe(yamlLine(text, ["spec", "dependsOn", i]));
    else expect((entries as unknown[])[i], text).toBeNull();
  });
}

/** The property: the same value as `yaml`, or NOT_PLAIN (always NOT_PLAIN where `yaml` fails); the same lines. */
function agrees(text: string): boolean {
  if (ruledOut(text)) return true;
  const places: PlainPlaces = { nameRow: -1, entryRows: [] };
  const fast = parsePlainYaml(text, places);
  if (fast === NOT_PLAIN) return true;
  const expected = oracle(text);
  if (!expected.ok) throw new Error(`the yaml library rejects what the fast reader read:\n${text}`);
  expect(fast).toStrictEqual(expected.value);
  placesAgree(text, fast, places);
  return true;
}

// --- a renderer of values into YAML of many styles ---

type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

const TRICKY = [
  "true", "False", "null", "~", "", " ", "1", "1.0", "0x1F", "0o17", "012", "1_000", "1e3", ".inf", "-.5", "+1",
  "a: b", "a:b", "a #b", "#a", "a#b", "-", "- a", "-a", "?", "? a", ":", "a:", "'", "''", "a'b", 'a"b', '"', "<<",
  "@a", "%a", "`a", "&a", "*a", "!a", "|", ">", "{", "}", "[", "]", ",", "a,b", "a, b", "http://x:80/y", "${VAR}",
  "a  b", " lead", "trail ", "\\", "a\\b", "__proto__", "---", "...", "y", "on", "2024-01-01", "k8s.io/name",
];

const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
  fc.integer({ min: -1000, max: 100000 }),
  fc.constantFrom(0.5, -2.25, 1e21, 0),
  fc.boolean(),
  fc.constant(null),
);

const key = fc.oneof(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9._/-]{0,10}$/), fc.constantFrom(...TRICKY));

const { value } = fc.letrec<{ value: Value; map: Value; list: Value }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("map"), tie("list")),
  map: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
  list: fc.array(tie("value"), { maxLength: 4 }),
}));

interface Style {
  quote: "plain" | "single" | "double" | "mixed";
  flow: boolean;
  /** Sequences under a key at the key's own indent (`key:\n- a`) or indented. */
  compactSequences: boolean;
  comments: boolean;
  spaces: number;
  indent: number;
}

const style: fc.Arbitrary<Style> = fc.record({
  quote: fc.constantFrom("plain", "single", "double", "mixed"),
  flow: fc.boolean(),
  compactSequences: fc.boolean(),
  comments: fc.boolean(),
  spaces: fc.integer({ min: 1, max: 2 }),
  indent: fc.integer({ min: 1, max: 4 }),
});

function scalarText(v: Value, s: Style, salt: number): string {
  if (v === null) return salt % 3 === 0 ? "~" : "null";
  if (typeof v !== "string") return String(v);
  const quote = s.quote === "mixed" ? (["plain", "single", "double"] as const)[salt % 3]! : s.quote;
  if (quote === "single") return `'${v.replaceAll("'", "''")}'`;
  if (quote === "double") return JSON.stringify(v);
  return v;
}

function render(v: Value, s: Style, depth: number, salt = 0): string[] {
  const pad = " ".repeat(depth * s.indent);
  const comment = s.comments && salt % 2 === 0 ? " # note" : "";
  const gap = " ".repeat(s.spaces);
  if (Array.isArray(v)) {
    if (v.length === 0 || s.flow) return [`${pad}${flow(v, s, salt)}${comment}`];
    return v.flatMap((item, i) => {
      if (item !== null && typeof item === "object" && !(Array.isArray(item) && item.length === 0) && !(Object.keys(item).length === 0)) {
        const inner = render(item, s, depth + 1, salt + i);
        // The first line of the block moves up after the dash.
        return [`${pad}-${gap}${inner[0]!.trimStart()}`, ...inner.slice(1)];
      }
      return [`${pad}-${gap}${item !== null && typeof item === "object" ? flow(item, s, salt) : scalarText(item, s, salt + i)}`];
    });
  }
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v);
    if (entries.length === 0 || s.flow) return [`${pad}${flow(v, s, salt)}${comment}`];
    return entries.flatMap(([k, item], i) => {
      const head = `${pad}${scalarText(k, s, salt + i)}:`;
      if (item !== null && typeof item === "object" && (Array.isArray(item) ? item.length > 0 : Object.keys(item).length > 0) && !s.flow) {
        const childDepth = Array.isArray(item) && s.compactSequences ? depth : depth + 1;
        return [head + comment, ...(s.comments ? [`${pad}# between`] : []), ...render(item, s, childDepth, salt + i)];
      }
      const text = item !== null && typeof item === "object" ? flow(item, s, salt) : scalarText(item, s, salt + i);
      return [`${head}${gap}${text}${comment}`];
    });
  }
  return [`${pad}${scalarText(v, s, salt)}`];
}

function flow(v: Value, s: Style, salt: number): string {
  if (Array.isArray(v)) return `[${v.map((item, i) => (item !== null && typeof item === "object" ? flow(item, s, salt + i) : scalarText(item, s, salt + i))).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.entries(v)
      .map(([k, item], i) => `${scalarText(k, s, salt + i)}: ${item !== null && typeof item === "object" ? flow(item, s, salt + i) : scalarText(item, s, salt + i)}`)
      .join(", ")}}`;
  }
  return scalarText(v, s, salt);
}

/** Corpus files: the real repositories and the Flux Operator examples (skipped, with the reason, where absent). */
function corpusFiles(): string[] {
  const roots = ["../shared/fixtures/real-world", "../shared/fixtures/flux-operator"].filter((root) => existsSync(root));
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) files.push(path);
    }
  };
  roots.forEach(walk);
  return files;
}

const haveCorpus = existsSync("../shared/fixtures/real-world");
if (!haveCorpus && process.env["CI"] === "true") throw new Error("../shared/fixtures/real-world is missing: under CI the corpus must be there");

function documentsOf(text: string): string[] {
  return text.split(/^(?=---(?:[ \t]|$))/m);
}

describe("parsePlainYaml", () => {
  it("reads a HelmRelease as `yaml` does", () => {
    const text = [
      "---",
      "# a comment",
      "apiVersion: helm.toolkit.fluxcd.io/v2",
      "kind: HelmRelease",
      "metadata:",
      "  name: 'it''s'",
      "  namespace: \"team-a\" # trailing",
      "  labels: {app: web, tier: 1, on: true}",
      "spec:",
      "  interval: 10m",
      "  values:",
      "    replicas: 3",
      "    ratio: 0.5",
      "    empty:",
      "    list: [a, 'b', \"c\", 1, null]",
      "    ports:",
      "    - 80",
      "    - name: https",
      "      port: 443",
      "    -   - nested",
      "  dependsOn:",
      "    - name: db",
      "      namespace: data",
      "",
    ].join("\n");
    const value = parsePlainYaml(text);
    expect(value).not.toBe(NOT_PLAIN);
    expect(value).toStrictEqual(readYamlDocument(text));
  });

  it("gives up on YAML outside its subset, and on every error `yaml` reports", () => {
    for (const text of [
      "a: &x 1\nb: *x\n",
      "a: !!str 1\n",
      "a: |\n  text\n",
      "a: >-\n  text\n",
      "a: one\n  two\n",
      "a: \"one\n  two\"\n",
      "<<: {a: 1}\n",
      "a: \"esc\\n\"\n",
      "a: 1\na: 2\n",
      "a: 1\n b: 2\n",
      "  a: 1\n",
      "a:\n  b: 1\n c: 2\n",
      "a: b: c\n",
      "? a\n: b\n",
      "a: [1,\n  2]\n",
      "a: {b}\n",
      "a: [b, ]\n",
      "a: @b\n",
      "plain scalar\n",
      "%YAML 1.2\n---\na: 1\n",
      "a: 1\n...\n",
      "--- a\n",
      "- a\nb: 1\n",
    ]) {
      expect(parsePlainYaml(text), text).toBe(NOT_PLAIN);
    }
    expect(ruledOut("a:\tb\n")).toBe(true);
    expect(ruledOut("a: b\r\n")).toBe(true);
    expect(ruledOut("a: b\u0007\n")).toBe(true);
  });

  it("returns what `yaml` returns, or gives up, on generated documents of every style", () => {
    fc.assert(
      fc.property(value, style, (v, s) => agrees(`${render(v, s, 0).join("\n")}\n`)),
      { numRuns: 3000 },
    );
  });

  it("records the line of metadata.name and of each spec.dependsOn entry where `yaml` places them, in every style", () => {
    // Flux-shaped documents, so that the two recorded fields are there (and sometimes odd: null, nested, flow).
    const name = fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/) }, { weight: 1, arbitrary: scalar });
    const entry = fc.oneof({ weight: 3, arbitrary: fc.record({ name }) }, { weight: 2, arbitrary: fc.record({ name, namespace: name }) }, { weight: 1, arbitrary: value });
    const fluxLike = fc.record({
      apiVersion: fc.constant("helm.toolkit.fluxcd.io/v2"),
      metadata: fc.oneof({ weight: 3, arbitrary: fc.record({ name, namespace: name }) }, { weight: 1, arbitrary: fc.record({ labels: value, name: value }) }, { weight: 1, arbitrary: value }),
      spec: fc.oneof({ weight: 4, arbitrary: fc.record({ interval: name, dependsOn: fc.array(entry, { maxLength: 4 }) }) }, { weight: 1, arbitrary: value }),
    });
    let placed = 0;
    fc.assert(
      fc.property(fluxLike, style, fc.boolean(), (v, s, dashAlone) => {
        let text = `${s.comments ? "# head\n---\n" : ""}${render(v as Value, s, 0).join("\n")}\n`;
        // An item's mapping may start on the line after its dash.
        if (dashAlone) text = text.replace(/^( *)- (?=[a-z"'][^\n]*: )/gm, (_, pad: string) => `${pad}-\n${pad}  `);
        const places: PlainPlaces = { nameRow: -1, entryRows: [] };
        if (!ruledOut(text) && parsePlainYaml(text, places) !== NOT_PLAIN && places.entryRows.length > 0) placed++;
        return agrees(text);
      }),
      { numRuns: 2000 },
    );
    // The property must have been tried on documents the reader read and placed entries in.
    expect(placed).toBeGreaterThan(100);
  });

  it("does not give up on plain block YAML with simple keys and values", () => {
    const simpleScalar = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9./-]{0,12}$/), fc.integer(), fc.boolean(), fc.constant(null));
    const simple = fc.letrec<{ v: Value }>((tie) => ({
      v: fc.oneof({ depthSize: "small" }, simpleScalar, fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/), tie("v"), { minKeys: 1, maxKeys: 4 }), fc.array(tie("v"), { minLength: 1, maxLength: 3 })),
    })).v;
    const top = fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/), simple, { minKeys: 1, maxKeys: 5 });
    fc.assert(
      fc.property(top, fc.boolean(), fc.boolean(), (v, compactSequences, comments) => {
        const text = `${render(v, { quote: "plain", flow: false, compactSequences, comments, spaces: 1, indent: 2 }, 0).join("\n")}\n`;
        const fast = parsePlainYaml(text);
        expect(fast, text).not.toBe(NOT_PLAIN);
        expect(fast).toStrictEqual(readYamlDocument(text));
      }),
      { numRuns: 1000 },
    );
  });

  it.skipIf(!haveCorpus)("agrees with `yaml` on every document of the real repositories, and on edits of them (skipped without ../shared/fixtures)", () => {
    let read = 0;
    let documents = 0;
    const samples: string[] = [];
    for (const file of corpusFiles()) {
      const text = readFileSync(file, "utf8");
      if (ruledOut(text)) continue;
      for (const doc of documentsOf(text)) {
        documents++;
        if (parsePlainYaml(doc) !== NOT_PLAIN) read++;
        agrees(doc);
        if (doc.length < 4000) samples.push(doc);
      }
    }
    // The fast reader exists for these files: most of their documents must be read by it.
    expect(read / documents).toBeGreaterThan(0.7);
    // Small edits of real documents (a character inserted or deleted, lines joined) probe the edges.
    const edit = fc.tuple(fc.constantFrom(...samples), fc.nat(), fc.constantFrom(":", " ", "-", "#", "'", '"', "\n", "{", "[", "]", "}", ",", "", "\n  ", "\n- "), fc.nat({ max: 2 }));
    fc.assert(
      fc.property(edit, ([doc, at, insert, remove]) => {
        const position = at % (doc.length + 1);
        return agrees(doc.slice(0, position) + insert + doc.slice(position + remove));
      }),
      { numRuns: 3000 },
    );
  });
});
