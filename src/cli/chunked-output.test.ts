// The chunked writer against writing at once: the same text, JSON.stringify's own pretty-printing the oracle.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addPrettyJson, ChunkedOutput } from "./chunked-output.js";

function collect(fill: (out: ChunkedOutput) => void): { text: string; writes: string[] } {
  const writes: string[] = [];
  const out = new ChunkedOutput((text) => writes.push(text));
  fill(out);
  out.flush();
  return { text: writes.join(""), writes };
}

describe("ChunkedOutput", () => {
  it("writes the lines' text in order, in a few large writes", () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `file.yaml:${i}: team/app-${i}: HelmRelease team/app-${i}x does not exist\n`);
    const { text, writes } = collect((out) => lines.forEach((line) => out.add(line)));
    expect(text).toBe(lines.join(""));
    expect(writes.length).toBeLessThan(lines.length / 100);
    expect(collect(() => undefined).writes).toEqual([]);
  });

  it("writes a report exactly as JSON.stringify(report, null, 2) does, whatever its values", () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const report = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(json, fc.array(json, { maxLength: 5 }), fc.constant(undefined)), { maxKeys: 5 });
    fc.assert(
      fc.property(report, (value) => {
        expect(collect((out) => addPrettyJson(out, value)).text).toBe(`${JSON.stringify(value, null, 2)}\n`);
      }),
      { numRuns: 1000 },
    );
  });

  it("writes check's report shape (problems with messages over several lines) as JSON.stringify does", () => {
    const problem = { type: "missing", object: "a/b", cycle: ["a/b", "a/c"], line: 3, message: "one\ntwo \"quoted\" \\ ✓" };
    const report = { clusters: [{ name: ".", objects: 2 }], objects: 2, problems: [problem, { ...problem, cycle: [] }], unreached: [] };
    expect(collect((out) => addPrettyJson(out, report)).text).toBe(`${JSON.stringify(report, null, 2)}\n`);
  });
});
