// The schema engine against the real HelmRelease CRD (loaded from ../shared/fixtures/flux/ as
// `sandbox --crds` loads it) and the sandbox's own structural schemas.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCrdDocuments } from "./crd-files.js";
import { crdSchema, useCrds } from "./crd-schemas.js";
import { RESOURCES } from "./resources.js";
import { pruneAndDefault, validateAgainstSchema } from "./schema-validation.js";

const FLUX_CRDS = resolve("../shared/fixtures/flux/helm.toolkit.fluxcd.io_helmreleases.yaml");
const haveShared = existsSync(FLUX_CRDS);
if (!haveShared) {
  if (process.env.CI === "true") throw new Error(`${FLUX_CRDS} is missing: CI needs ../shared/fixtures`);
  console.log(`skipping the real-CRD schema tests: ${FLUX_CRDS} not found (../shared/fixtures is absent)`);
}

const def = RESOURCES.find((r) => r.kind === "HelmRelease");
if (!def) throw new Error("HelmRelease missing from the resource table");

function release(spec: Record<string, unknown>) {
  return { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "a", namespace: "default" }, spec };
}

describe("the sandbox's own HelmRelease v2 schema", () => {
  const schema = crdSchema(def, "v2") as Record<string, unknown>;

  it("keeps fields it does not model, applies Flux's defaults", () => {
    const obj = release({ interval: "1m", install: { remediation: { retries: 3 } }, chart: { spec: { chart: "x", sourceRef: { kind: "HelmRepository", name: "r" } } } });
    expect(pruneAndDefault(obj, schema).unknownFields).toEqual([]);
    expect(obj.spec).toEqual({
      interval: "1m",
      install: { remediation: { retries: 3 } },
      chart: { spec: { chart: "x", sourceRef: { kind: "HelmRepository", name: "r" }, reconcileStrategy: "ChartVersion", version: "*" } },
    });
  });

  it("checks the fields it models: dependsOn names, sourceRef kinds, interval type, chart or chartRef", () => {
    const problems = validateAgainstSchema(release({ interval: 5, chart: { spec: { chart: "x", sourceRef: { kind: "Nope" } } }, dependsOn: [{ namespace: "x" }] }), schema);
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toEqual(
      expect.arrayContaining([
        'spec.interval: Invalid value: "integer": spec.interval in body must be of type string: "integer"',
        'spec.chart.spec.sourceRef.kind: Unsupported value: "Nope": supported values: "HelmRepository", "GitRepository", "Bucket"',
        "spec.chart.spec.sourceRef.name: Required value",
        "spec.dependsOn[0].name: Required value",
      ]),
    );
    expect(validateAgainstSchema(release({ interval: "1m" }), schema).map((p) => p.message)).toContain('Invalid value: "object": either chart or chartRef must be set');
  });
});

describe.skipIf(!haveShared)("the real HelmRelease v2 CRD, loaded as --crds loads it", () => {
  let restore = (): void => undefined;
  let schema: Record<string, unknown>;
  beforeAll(async () => {
    restore = useCrds(await readCrdDocuments(FLUX_CRDS), () => true).restore;
    schema = crdSchema(def, "v2") as Record<string, unknown>;
  });
  afterAll(() => restore());

  it("prunes unknown fields, reporting their paths, and applies defaults", () => {
    const obj = release({ interval: "1m", bogus: 1, chart: { spec: { chart: "x", sourceRef: { kind: "HelmRepository", name: "r" }, extra: true } } });
    expect(pruneAndDefault(obj, schema).unknownFields).toEqual(["spec.bogus", "spec.chart.spec.extra"]);
    expect(obj.spec).toEqual({ interval: "1m", chart: { spec: { chart: "x", sourceRef: { kind: "HelmRepository", name: "r" }, reconcileStrategy: "ChartVersion", version: "*" } } });
  });

  it("evaluates x-kubernetes-validations rules (chart or chartRef)", () => {
    const problems = validateAgainstSchema(release({ interval: "1m" }), schema);
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toContain('spec: Invalid value: "object": either chart or chartRef must be set');
    expect(validateAgainstSchema(release({ interval: "1m", chartRef: { kind: "OCIRepository", name: "x" } }), schema)).toEqual([]);
  });

  it("restores the built-in schema afterwards", () => {
    const { restore: undo } = useCrds([], () => true);
    undo();
    expect(crdSchema(def, "v2")).toBe(schema);
  });
});
