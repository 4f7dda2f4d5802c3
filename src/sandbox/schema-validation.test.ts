import { describe, expect, it } from "vitest";
import { crdSchema } from "./crd-schemas.js";
import { RESOURCES } from "./resources.js";
import { pruneAndDefault, validateAgainstSchema } from "./schema-validation.js";

const def = RESOURCES.find((r) => r.kind === "HelmRelease");
if (!def) throw new Error("HelmRelease missing from the resource table");
const schema = crdSchema(def, "v2") as Record<string, unknown>;

function release(spec: Record<string, unknown>) {
  return { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "a", namespace: "default" }, spec };
}

describe("HelmRelease v2 schema", () => {
  it("prunes unknown fields, reporting their paths, and applies defaults", () => {
    const obj = release({ interval: "1m", bogus: 1, chart: { spec: { chart: "x", sourceRef: { kind: "HelmRepository", name: "r" }, extra: true } } });
    expect(pruneAndDefault(obj, schema).unknownFields).toEqual(["spec.bogus", "spec.chart.spec.extra"]);
    expect(obj.spec).toEqual({ interval: "1m", chart: { spec: { chart: "x", sourceRef: { kind: "HelmRepository", name: "r" }, reconcileStrategy: "ChartVersion", version: "*" } } });
  });

  it("reports type, pattern, enum and required problems with kube-apiserver's field paths", () => {
    const problems = validateAgainstSchema(release({ interval: 5, chart: { spec: { chart: "x", sourceRef: { kind: "Nope" } } }, dependsOn: [{ namespace: "x" }] }), schema);
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toEqual(
      expect.arrayContaining([
        'spec.interval: Invalid value: "integer": spec.interval in body must be of type string: "integer"',
        'spec.chart.spec.sourceRef.kind: Unsupported value: "Nope": supported values: "HelmRepository", "GitRepository", "Bucket"',
        "spec.chart.spec.sourceRef.name: Required value",
        "spec.dependsOn[0].name: Required value",
      ]),
    );
  });

  it("evaluates x-kubernetes-validations rules (chart or chartRef)", () => {
    const problems = validateAgainstSchema(release({ interval: "1m" }), schema);
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toContain('spec: Invalid value: "object": either chart or chartRef must be set');
    expect(validateAgainstSchema(release({ interval: "1m", chartRef: { kind: "OCIRepository", name: "x" } }), schema)).toEqual([]);
  });
});
