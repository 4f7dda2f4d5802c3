import { describe, expect, it } from "vitest";
import { MAX_CONDITION_MESSAGE_LENGTH, resourceVersionOf, sameFluxObject, toFluxObject } from "./flux-object.js";

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

  it("reads the resourceVersion apart", () => {
    expect(resourceVersionOf(helmRelease())).toBe("42");
    expect(resourceVersionOf({ metadata: { resourceVersion: 42 } })).toBeUndefined();
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
