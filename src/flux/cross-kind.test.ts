// The Flux RFC's cross-kind dependsOn (flux2 PR 5988): found from the served CRDs, read by the decoder only
// where they have it, and judged by the RFC's rule (ready defaults to true, kstatus, a toolkit kind's Ready).
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { GateTracker } from "../graph/gates.js";
import type { ExternalObject, ExternalObjects } from "../graph/external-objects.js";
import { setFluxFeatureGates, DEFAULT_FLUX_FEATURE_GATES } from "../graph/feature-gates.js";
import { crossKindKindOfCrd, crossKindKindsOfCrds, setCrossKindDependsOn } from "./cross-kind.js";
import { decodeFluxObject } from "./decode.js";

const FLUX = "../shared/fixtures/flux";
const haveShared = existsSync(FLUX);
if (!haveShared) {
  if (process.env.CI === "true") throw new Error(`${FLUX} is missing: CI needs ../shared/fixtures`);
  console.log(`skipping the real-CRD cases: ${FLUX} not found (../shared/fixtures is absent)`);
}

function crd(file: string): Record<string, unknown> {
  return parseAllDocuments(readFileSync(`${FLUX}/${file}`, "utf8")).map((d) => d.toJSON() as Record<string, unknown>).find((d) => d?.["kind"] === "CustomResourceDefinition")!;
}

/** The CRD with the RFC's fields added on every version's dependsOn items, as a Flux release shipping the RFC would have. */
function withRfcFields(doc: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(doc) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { dependsOn?: { items: { properties: Record<string, unknown> } } } } } } } }[] } };
  for (const version of copy.spec.versions) {
    const items = version.schema.openAPIV3Schema.properties.spec.properties.dependsOn?.items;
    if (items) Object.assign(items.properties, { apiVersion: { type: "string" }, kind: { type: "string" }, ready: { type: "boolean" } });
  }
  return copy;
}

afterEach(() => {
  setCrossKindDependsOn([]);
  setFluxFeatureGates(DEFAULT_FLUX_FEATURE_GATES);
});

describe.skipIf(!haveShared)("served schema detection, on Flux's own CRDs", () => {
  it("today's HelmRelease and Kustomization CRDs have no cross-kind dependsOn", () => {
    expect([...crossKindKindsOfCrds([crd("helm.toolkit.fluxcd.io_helmreleases.yaml"), crd("kustomize.toolkit.fluxcd.io_kustomizations.yaml")])]).toEqual([]);
  });
  it("the same CRDs with the RFC's DependencyReference fields do", () => {
    expect(crossKindKindOfCrd(withRfcFields(crd("helm.toolkit.fluxcd.io_helmreleases.yaml")))).toBe("HelmRelease");
    expect(crossKindKindOfCrd(withRfcFields(crd("kustomize.toolkit.fluxcd.io_kustomizations.yaml")))).toBe("Kustomization");
  });
});

const hr = (name: string, dependsOn: object[], status?: object, extra: object = {}) => ({
  apiVersion: "helm.toolkit.fluxcd.io/v2",
  kind: "HelmRelease",
  metadata: { name, namespace: "apps", generation: 1 },
  spec: { dependsOn, ...extra },
  ...(status ? { status } : {}),
});
const ks = (name: string, conditions: object[]) => ({
  apiVersion: "kustomize.toolkit.fluxcd.io/v1",
  kind: "Kustomization",
  metadata: { name, namespace: "infra", generation: 1 },
  spec: {},
  status: { observedGeneration: 1, conditions },
});
const READY = { type: "Ready", status: "True", reason: "ReconciliationSucceeded", message: "Applied revision" };

describe("decoding", () => {
  const entry = { apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates", ready: false };
  it("without the served fields an entry names the dependent's own kind, namespace defaulted (what an API server leaves of it)", () => {
    expect(decodeFluxObject("HelmRelease", hr("app", [{ ...entry, namespace: undefined }])).dependsOn).toEqual([{ name: "switch" }]);
  });
  it("with them the entry keeps its kind and apiVersion, `ready: false`, and an entry of the own kind is today's entry", () => {
    setCrossKindDependsOn(["HelmRelease"]);
    expect(decodeFluxObject("HelmRelease", hr("app", [entry, { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "db", ready: true }])).dependsOn).toEqual([
      entry,
      { name: "db" },
    ]);
    // The Kustomization's schema may lag behind: each kind by its own CRD.
    expect(decodeFluxObject("Kustomization", { ...ks("k", []), spec: { dependsOn: [entry] } }).dependsOn).toEqual([{ name: "switch", namespace: "gates" }]);
  });
});

function externals(objects: ExternalObject[]): ExternalObjects {
  return { stateOf: (node) => ({ known: true, object: objects.find((o) => `${o.kind}/${o.namespace}/${o.name}` === node) }) };
}

describe("the RFC's readiness", () => {
  it("a HelmRelease's dependency on a Kustomization: Ready=True is not enough while kstatus says Reconciling", () => {
    setCrossKindDependsOn(["HelmRelease"]);
    const dependent = decodeFluxObject("HelmRelease", hr("app", [{ apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "base", namespace: "infra" }]));
    const reconciling = decodeFluxObject("Kustomization", ks("base", [READY, { type: "Reconciling", status: "True", reason: "Progressing", message: "Reconciliation in progress" }]));
    expect(new GateTracker([dependent, reconciling]).state("HelmRelease/apps/app")).toMatchObject({ state: "blocked", reason: "NotReady", rootCause: "Kustomization/infra/base" });
    const done = decodeFluxObject("Kustomization", ks("base", [READY]));
    expect(new GateTracker([dependent, done]).state("HelmRelease/apps/app")).toEqual({ state: "open" });
  });

  it("ready defaults to true for another kind (kstatus), and `ready: false` asks only that it exists", () => {
    setCrossKindDependsOn(["HelmRelease"]);
    const deployment: ExternalObject = { apiVersion: "apps/v1", kind: "Deployment", namespace: "apps", name: "web", generation: 2, spec: { replicas: 1 }, status: { observedGeneration: 1 } };
    const waits = decodeFluxObject("HelmRelease", hr("app", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "apps" }]));
    expect(new GateTracker([waits], externals([deployment])).state("HelmRelease/apps/app")).toMatchObject({ state: "blocked", rootCause: "Deployment/apps/web", rootCauseMessage: expect.stringContaining("status InProgress") });
    const exists = decodeFluxObject("HelmRelease", hr("app", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "apps", ready: false, readyExpr: "false" }]));
    expect(new GateTracker([exists], externals([deployment])).state("HelmRelease/apps/app")).toEqual({ state: "open" });
    expect(new GateTracker([exists], externals([])).state("HelmRelease/apps/app")).toMatchObject({ state: "blocked", reason: "Missing", rootCause: "Deployment/apps/web" });
  });

  it("a readyExpr sees self and dep (the whole other-kind object), and AdditiveCELDependencyCheck adds kstatus to it", () => {
    setCrossKindDependsOn(["HelmRelease"]);
    const cm: ExternalObject = { apiVersion: "v1", kind: "ConfigMap", namespace: "gates", name: "switch", fields: { data: { gate: "open" } } };
    const dependent = decodeFluxObject("HelmRelease", hr("app", [{ apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates", readyExpr: "dep.data.gate == self.spec.values.gate" }], undefined, { values: { gate: "open" } }), {
      keepFor: () => ({ spec: { values: true } }),
    });
    expect(new GateTracker([dependent], externals([cm])).state("HelmRelease/apps/app")).toEqual({ state: "open" });
    const closed = { ...cm, fields: { data: { gate: "closed" } } };
    expect(new GateTracker([dependent], externals([closed])).state("HelmRelease/apps/app")).toMatchObject({ state: "blocked", rootCauseMessage: "not ready according to readyExpr" });
    // A Deployment that the expression likes but kstatus does not: open without the gate, blocked with it.
    const deployment: ExternalObject = { apiVersion: "apps/v1", kind: "Deployment", namespace: "apps", name: "web", generation: 2, status: { observedGeneration: 1 } };
    const likes = decodeFluxObject("HelmRelease", hr("app", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "apps", readyExpr: "dep.metadata.name == 'web'" }]));
    expect(new GateTracker([likes], externals([deployment])).state("HelmRelease/apps/app")).toEqual({ state: "open" });
    setFluxFeatureGates({ additiveCelDependencyCheck: true });
    expect(new GateTracker([likes], externals([deployment])).state("HelmRelease/apps/app")).toMatchObject({ state: "blocked", rootCause: "Deployment/apps/web" });
  });
});
