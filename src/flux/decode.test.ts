import { describe, expect, it } from "vitest";
import { decodeFluxObject, MAX_CONDITION_MESSAGE_LENGTH, sameFluxObject } from "./decode.js";

const toFluxObject = decodeFluxObject;

function helmRelease(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: {
      name: "backend",
      namespace: "default",
      uid: "1234",
      generation: 3,
      resourceVersion: "42",
      labels: { app: "backend" },
      annotations: {
        "reconcile.fluxcd.io/requestedAt": "2024-01-01T00:00:00Z",
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ spec: { values: "x".repeat(20_000) } }),
      },
      managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": {} } }],
    },
    spec: {
      interval: "5m",
      chart: { spec: { chart: "backend", version: "1.x" } },
      values: { blob: "v".repeat(20 * 1024), nested: { a: [1, 2, 3] } },
      dependsOn: [{ name: "redis" }, { name: "db", namespace: "data", readyExpr: "self.status.ready" }],
      suspend: false,
    },
    status: {
      observedGeneration: 3,
      history: [{ chartVersion: "1.0.0", digest: "sha256:abc" }],
      conditions: [
        { type: "Ready", status: "True", reason: "InstallSucceeded", message: "ok", lastTransitionTime: "t" },
      ],
    },
    ...overrides,
  };
}

/** Every object and array reachable from a value. */
function references(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value === "object" && value !== null && !into.has(value)) {
    into.add(value);
    for (const child of Object.values(value)) references(child, into);
  }
  return into;
}

describe("toFluxObject", () => {
  it("keeps only the fields releasegate reads", () => {
    expect(toFluxObject("HelmRelease", helmRelease())).toEqual({
      kind: "HelmRelease",
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      namespace: "default",
      name: "backend",
      uid: "1234",
      generation: 3,
      labels: { app: "backend" },
      annotations: { "reconcile.fluxcd.io/requestedAt": "2024-01-01T00:00:00Z" },
      dependsOn: [{ name: "redis" }, { name: "db", namespace: "data", readyExpr: "self.status.ready" }],
      suspend: false,
      status: {
        observedGeneration: 3,
        conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "ok" }],
      },
    });
  });

  it("holds no reference into the raw object, so 20 KiB of values can be collected", () => {
    const raw = helmRelease();
    const slim = toFluxObject("HelmRelease", raw);
    const rawRefs = references(raw);
    for (const ref of references(slim)) expect(rawRefs.has(ref)).toBe(false);
    expect(JSON.stringify(slim).length).toBeLessThan(1000);
  });

  it("marks an object being deleted", () => {
    const raw = helmRelease();
    (raw.metadata as Record<string, unknown>).deletionTimestamp = "2024-01-01T00:00:00Z";
    expect(toFluxObject("HelmRelease", raw).deleting).toBe(true);
    expect(toFluxObject("HelmRelease", helmRelease()).deleting).toBeUndefined();
  });

  it("reads a ResourceSet the operator is told not to reconcile as suspended", () => {
    const rset = (annotations: Record<string, string>) => ({
      apiVersion: "fluxcd.controlplane.io/v1",
      kind: "ResourceSet",
      metadata: { name: "platform", namespace: "apps", annotations },
      spec: {},
    });
    expect(toFluxObject("ResourceSet", rset({ "fluxcd.controlplane.io/reconcile": "disabled" })).suspend).toBe(true);
    expect(toFluxObject("ResourceSet", rset({ "fluxcd.controlplane.io/reconcile": "enabled" })).suspend).toBeUndefined();
  });

  it("drops fields of the wrong type instead of throwing", () => {
    const slim = toFluxObject("Kustomization", {
      metadata: { name: "apps", namespace: 7, generation: "2", labels: { ok: "yes", bad: 1 }, annotations: [] },
      spec: { dependsOn: [{ name: "infra" }, "flux-system/other", { namespace: "x" }, null, { name: "n", namespace: 3 }], suspend: "true" },
      status: { observedGeneration: 1.5, conditions: [{ type: "Ready", status: "maybe" }, { status: "True" }, 5] },
    });
    expect(slim).toEqual({
      kind: "Kustomization",
      namespace: "",
      name: "apps",
      labels: { ok: "yes" },
      dependsOn: [{ name: "infra" }, { name: "n" }],
      status: { conditions: [] },
    });
  });

  it.each([null, undefined, 42, "text", [], { metadata: null, spec: [], status: "x" }])("never throws on %j", (raw) => {
    expect(toFluxObject("HelmRelease", raw)).toMatchObject({ kind: "HelmRelease", name: "", namespace: "", dependsOn: [] });
  });

  it("cuts long condition messages", () => {
    const raw = helmRelease({
      status: { conditions: [{ type: "Ready", status: "False", message: "e".repeat(40_000) }] },
    });
    const message = toFluxObject("HelmRelease", raw).status?.conditions?.[0]?.message ?? "";
    expect(message.length).toBe(MAX_CONDITION_MESSAGE_LENGTH);
    expect(message.endsWith("…")).toBe(true);
  });

  it("keeps a Kustomization's sourceRef (namespace defaulted) and lastAppliedRevision", () => {
    const ks = toFluxObject("Kustomization", {
      metadata: { name: "apps", namespace: "flux-system" },
      spec: { sourceRef: { kind: "GitRepository", name: "flux-system" }, path: "./apps" },
      status: { lastAppliedRevision: "main@sha1:abc", observedGeneration: 1 },
    });
    expect(ks.sourceRef).toEqual({ kind: "GitRepository", namespace: "flux-system", name: "flux-system" });
    expect(ks.status).toEqual({ observedGeneration: 1, lastAppliedRevision: "main@sha1:abc" });
    // A HelmRelease's chart source is no Kustomization sourceRef: the revision rule is kustomize-controller's.
    expect(toFluxObject("HelmRelease", { metadata: { name: "a" }, spec: { sourceRef: { kind: "GitRepository", name: "x" } } }).sourceRef).toBeUndefined();
  });

  it("reads a ResourceSet's dependsOn with apiVersion, kind and ready", () => {
    const rset = toFluxObject("ResourceSet", {
      apiVersion: "fluxcd.controlplane.io/v1",
      kind: "ResourceSet",
      metadata: { name: "apps", namespace: "default" },
      spec: {
        dependsOn: [
          { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "certificates.cert-manager.io" },
          { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "data", ready: true, readyExpr: "status.x" },
        ],
      },
    });
    expect(rset.dependsOn).toEqual([
      { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "certificates.cert-manager.io" },
      { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "data", ready: true, readyExpr: "status.x" },
    ]);
    // Only a ResourceSet's entries name a kind: a HelmRelease's entries are HelmReleases.
    expect(toFluxObject("HelmRelease", { spec: { dependsOn: [{ name: "a", kind: "Kustomization" }] } }).dependsOn).toEqual([{ name: "a" }]);
  });

  it("reports each structural mistake with its field, and drops the field", () => {
    const errors: string[] = [];
    const obj = toFluxObject(
      "HelmRelease",
      { metadata: { name: 5 }, spec: { dependsOn: [{ name: 7 }, "monitoring/prometheus", { namespace: "x" }, { name: "ok", readyExpr: 1 }], suspend: "yes" } },
      { onError: (field, problem) => errors.push(`${field.join(".")} ${problem}`) },
    );
    expect(errors).toEqual([
      "metadata.name must be a string",
      "spec.dependsOn.0.name must be a string",
      'spec.dependsOn.1 must be a mapping {name, namespace} (write "- name: monitoring/prometheus")',
      "spec.dependsOn.2.name is missing",
      "spec.dependsOn.3.readyExpr must be a CEL expression string",
      "spec.suspend must be true or false",
    ]);
    expect(obj.dependsOn).toEqual([{ name: "ok" }]);
  });

  it("reads YAML scalars as text when asked (check), and the namespace from the caller when metadata has none", () => {
    const obj = toFluxObject(
      "Kustomization",
      { metadata: { name: 123 }, spec: { dependsOn: [{ name: 456 }], suspend: "true", sourceRef: { kind: "GitRepository", name: "repo" } } },
      { coerceScalars: true, namespace: "flux-system" },
    );
    expect(obj).toMatchObject({ name: "123", namespace: "flux-system", dependsOn: [{ name: "456" }], suspend: true });
    expect(obj.sourceRef?.namespace).toBe("flux-system");
  });
});

describe("sameFluxObject", () => {
  const base = toFluxObject("HelmRelease", helmRelease());

  it("ignores values, history, managed fields and resourceVersion", () => {
    const other = helmRelease({
      spec: { ...(helmRelease().spec as object), values: { different: true } },
      status: { ...(helmRelease().status as object), history: [] },
    });
    (other.metadata as Record<string, unknown>).resourceVersion = "43";
    (other.metadata as Record<string, unknown>).managedFields = [];
    expect(sameFluxObject(base, toFluxObject("HelmRelease", other))).toBe(true);
  });

  it("sees a condition change, a new dependency and a generation bump", () => {
    const notReady = helmRelease({
      status: { observedGeneration: 3, conditions: [{ type: "Ready", status: "False", reason: "UpgradeFailed" }] },
    });
    expect(sameFluxObject(base, toFluxObject("HelmRelease", notReady))).toBe(false);

    const moreDeps = helmRelease({ spec: { dependsOn: [{ name: "redis" }] } });
    expect(sameFluxObject(base, toFluxObject("HelmRelease", moreDeps))).toBe(false);

    const bumped = helmRelease();
    (bumped.metadata as Record<string, unknown>).generation = 4;
    expect(sameFluxObject(base, toFluxObject("HelmRelease", bumped))).toBe(false);
  });

  it("does not care about key order", () => {
    const a = toFluxObject("HelmRelease", { metadata: { name: "a", namespace: "n", labels: { x: "1", y: "2" } } });
    const b = toFluxObject("HelmRelease", { metadata: { labels: { y: "2", x: "1" }, namespace: "n", name: "a" } });
    expect(sameFluxObject(a, b)).toBe(true);
  });
});
