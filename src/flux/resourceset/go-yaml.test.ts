// go-yaml v2's output as sigs.k8s.io/yaml produces it (the text ResourceSet `resources` entries are templated
// as, and `toYaml`'s result): layout, key order and the choice of scalar style.

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compareGoYamlKeys, marshalGoYaml } from "./go-yaml.js";
import { toGoValue } from "./go-values.js";

describe("marshalGoYaml", () => {
  it("lays out nested maps and lists as go-yaml does", () => {
    const value = { spec: { list: [{ b: 1, a: [2, 3] }, "x"], empty: {}, none: [] }, kind: "K" };
    expect(marshalGoYaml(toGoValue(value))).toBe("kind: K\nspec:\n  empty: {}\n  list:\n  - a:\n    - 2\n    - 3\n    b: 1\n  - x\n  none: []\n");
  });
  it("keeps template actions plain so that they render in place", () => {
    expect(marshalGoYaml(toGoValue({ replicas: "<< inputs.replicas | int >>", name: "app-<< inputs.tenant >>" }))).toBe(
      "name: app-<< inputs.tenant >>\nreplicas: << inputs.replicas | int >>\n",
    );
  });
  it("quotes what would not read back as the same string", () => {
    const cases: Array<[string, string]> = [
      ["true", '"true"'], ["on", '"on"'], ["~", '"~"'], ["12", '"12"'], ["1.5", '"1.5"'], ["0x1F", '"0x1F"'], ["1:20", '"1:20"'],
      ["2024-01-02", '"2024-01-02"'], ["*", "'*'"], ["a: b", "'a: b'"], ["- x", "'- x'"], [" lead", "' lead'"], ["a #b", "'a #b'"],
      ["it's", "it's"], ["a:b", "a:b"], ["x\ty", "x\ty"], ["---", "'---'"],
    ];
    for (const [input, output] of cases) expect(marshalGoYaml(input), input).toBe(`${output}\n`);
  });
  it("writes multi-line strings as literal blocks with go-yaml's chomping hints", () => {
    expect(marshalGoYaml(toGoValue({ a: "x\ny\n", b: "x\ny", c: "x\n\n", d: " x\ny" }))).toBe("a: |\n  x\n  y\nb: |-\n  x\n  y\nc: |+\n  x\n\nd: |2-\n   x\n  y\n");
  });
  it("round-trips through a YAML parser", () => {
    const value = { s: "multi\nline\n", q: "'quoted'", n: null, f: 1.5, i: 3, b: false, l: [[1, 2], []], u: "ünï" };
    expect(parse(marshalGoYaml(toGoValue(value)))).toEqual(value);
  });
  it("orders keys with digit runs compared as numbers", () => {
    expect(["a10", "a2", "b", "A", "_x", "a1"].sort(compareGoYamlKeys)).toEqual(["_x", "A", "a1", "a2", "a10", "b"]);
  });
});
