// `releasegate check` and the Flux RFC's cross-kind dependsOn (flux2 PR 5988; docs/behaviour.md, "Gate
// states"): files that hold a HelmRelease or Kustomization CRD declaring `apiVersion`/`kind` on dependsOn
// items are read as a cluster serving that CRD reads them, so a cycle HelmRelease -> Kustomization ->
// HelmRelease is a cycle; with Flux's CRDs of today (read in place from ../shared/fixtures/flux) or none,
// the same entries name objects of the dependent's own kind, as the API server leaves them.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { runCli } from "./helpers/cli.js";

const FLUX = "../shared/fixtures/flux";
const haveShared = existsSync(FLUX);
if (!haveShared) {
  if (process.env.CI === "true") throw new Error(`${FLUX} is missing: CI needs ../shared/fixtures`);
  console.log(`skipping the cross-kind check tests: ${FLUX} not found (../shared/fixtures is absent)`);
}

const scratch = mkdtempSync(join(tmpdir(), "releasegate-cross-kind-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface JsonReport {
  problems: { type: string; kind: string; object: string; dependency?: string; message: string }[];
}

const OBJECTS = [
  {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "app", namespace: "default" },
    spec: { interval: "10m", chart: { spec: { chart: "app", sourceRef: { kind: "HelmRepository", name: "charts" } } }, dependsOn: [{ apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "infra", namespace: "default" }] },
  },
  {
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name: "infra", namespace: "default" },
    spec: { interval: "10m", prune: true, sourceRef: { kind: "GitRepository", name: "repo" }, dependsOn: [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "app", namespace: "default" }] },
  },
];

function fixtureCrd(file: string): Record<string, unknown> {
  return parseAllDocuments(readFileSync(join(FLUX, file), "utf8")).map((d) => d.toJSON() as Record<string, unknown>).find((d) => d?.["kind"] === "CustomResourceDefinition")!;
}

/** The real CRD with the RFC's DependencyReference fields added to every version. */
function withRfcFields(doc: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(doc) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { dependsOn?: { items: { properties: Record<string, unknown> } } } } } } } }[] } };
  for (const version of copy.spec.versions) {
    const items = version.schema.openAPIV3Schema.properties.spec.properties.dependsOn?.items;
    if (items) Object.assign(items.properties, { apiVersion: { type: "string" }, kind: { type: "string" }, ready: { type: "boolean" } });
  }
  return copy;
}

function write(name: string, docs: unknown[]): string {
  const path = join(scratch, name);
  writeFileSync(path, docs.map((d) => stringify(d)).join("---\n"));
  return path;
}

async function check(...paths: string[]): Promise<{ code: number | null; report: JsonReport }> {
  const result = await runCli(["check", "--output", "json", ...paths]);
  return { code: result.code, report: JSON.parse(result.stdout) as JsonReport };
}

describe.skipIf(!haveShared)("check: cross-kind dependsOn where the repository's Flux CRDs declare it", () => {
  const objects = write("objects.yaml", OBJECTS);
  const today = write("crds-today.yaml", [fixtureCrd("helm.toolkit.fluxcd.io_helmreleases.yaml"), fixtureCrd("kustomize.toolkit.fluxcd.io_kustomizations.yaml")]);
  const rfc = write("crds-rfc.yaml", [withRfcFields(fixtureCrd("helm.toolkit.fluxcd.io_helmreleases.yaml")), withRfcFields(fixtureCrd("kustomize.toolkit.fluxcd.io_kustomizations.yaml"))]);

  it("with CRDs declaring the RFC's fields, HelmRelease -> Kustomization -> HelmRelease is a cycle naming both kinds", async () => {
    const { code, report } = await check(rfc, objects);
    expect(code).toBe(1);
    expect(report.problems.map((p) => p.type)).toEqual(["cycle"]);
    expect(report.problems[0]!.message).toContain("HelmRelease default/app → Kustomization default/infra → HelmRelease default/app");
  });

  for (const [label, paths] of [["with Flux's CRDs of today", [today, objects]], ["with no CRD in the files", [objects]]] as const) {
    it(`${label}, the same entries name objects of the dependent's own kind: both missing, no cycle`, async () => {
      const { code, report } = await check(...paths);
      expect(code).toBe(1);
      expect(report.problems.map((p) => [p.type, p.kind, p.dependency])).toEqual([
        ["missing", "HelmRelease", "default/infra"],
        ["missing", "Kustomization", "default/app"],
      ]);
    });
  }
});
