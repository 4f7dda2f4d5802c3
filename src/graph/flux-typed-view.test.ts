// readyExpr over the Go-typed objects helm-controller and kustomize-controller bind (flux-typed-view.ts):
// each case is a fact read from the Go types' JSON tags (helm-controller api/v2 helmrelease_types.go,
// kustomize-controller api/v1 kustomization_types.go, fluxcd/pkg apis/meta, apimachinery's ObjectMeta,
// Condition and runtime.DefaultUnstructuredConverter), evaluated through the decoder and the compiled
// expression as the gates do.
import { describe, expect, it } from "vitest";
import { decodeFluxObject } from "../flux/decode.js";
import { FieldDemand } from "./field-demand.js";
import { compileReadyExpr } from "./ready-expr.js";
import { nodeOf } from "./refs.js";
import type { FluxKind } from "./types.js";

type Raw = Record<string, unknown>;

function object(kind: FluxKind, name: string, spec: Raw, status?: Raw, metadata: Raw = {}): Raw {
  const apiVersion = kind === "HelmRelease" ? "helm.toolkit.fluxcd.io/v2" : "kustomize.toolkit.fluxcd.io/v1";
  return { apiVersion, kind, metadata: { name, namespace: "apps", generation: 1, ...metadata }, spec, ...(status === undefined ? {} : { status }) };
}

/** The expression on `dep` from `self`, both decoded as the caches decode them (the dependency keeping what the expression reads). */
function evaluate(kind: FluxKind, expr: string, dep: Raw, selfSpec: Raw = {}): boolean | string {
  const compiled = compileReadyExpr(expr);
  if (!compiled.ok) return `compile: ${compiled.error}`;
  const demand = new FieldDemand();
  const base = kind === "HelmRelease" ? { interval: "5m", chart: { spec: { chart: "app", sourceRef: { kind: "HelmRepository", name: "repo" } } } } : { interval: "5m", prune: true, sourceRef: { kind: "GitRepository", name: "repo" } };
  const self = decodeFluxObject(kind, object(kind, "backend", { ...base, ...selfSpec, dependsOn: [{ name: "redis", readyExpr: expr }] }));
  demand.update(nodeOf(self), self);
  const decoded = decodeFluxObject(kind, dep, { keepFor: (k, namespace, name) => demand.keepOf(`${k}/${namespace}/${name}`) });
  const result = compiled.evaluate(self, decoded);
  return result.ready ? true : (result.error ?? false);
}

const noSuchKey = (expr: string, key: string) => `failed to evaluate the CEL expression '${expr}': no such key: ${key}`;

describe("the typed HelmRelease helm-controller binds (api/v2)", () => {
  const hr = (spec: Raw, status?: Raw, metadata?: Raw) => object("HelmRelease", "redis", { interval: "5m", chart: { spec: { chart: "redis", sourceRef: { kind: "HelmRepository", name: "repo" } } }, ...spec }, status, metadata);

  it("has a status even when the stored object has none (HelmReleaseStatus is a struct, never empty to the converter)", () => {
    expect(evaluate("HelmRelease", "has(dep.status)", hr({}))).toBe(true);
    // ObservedGeneration int64 `json:"observedGeneration,omitempty"`: absent, and absent when 0.
    expect(evaluate("HelmRelease", "has(dep.status.observedGeneration)", hr({}))).toBe(false);
    expect(evaluate("HelmRelease", "has(dep.status.observedGeneration)", hr({}, { observedGeneration: 0 }))).toBe(false);
    expect(evaluate("HelmRelease", "has(dep.status.observedGeneration)", hr({}, { observedGeneration: 1 }))).toBe(true);
  });

  it("drops omitempty fields stored with their zero value: suspend: false, dependsOn: [], failures: 0", () => {
    // Suspend bool `json:"suspend,omitempty"`
    expect(evaluate("HelmRelease", "dep.spec.suspend == false", hr({ suspend: false }))).toBe(noSuchKey("dep.spec.suspend == false", "suspend"));
    expect(evaluate("HelmRelease", "dep.spec.suspend == true", hr({ suspend: true }))).toBe(true);
    // DependsOn []DependencyReference `json:"dependsOn,omitempty"`
    expect(evaluate("HelmRelease", "!has(dep.spec.dependsOn)", hr({ dependsOn: [] }))).toBe(true);
    expect(evaluate("HelmRelease", "!has(dep.spec.dependsOn)", hr({}))).toBe(true);
    expect(evaluate("HelmRelease", "has(dep.spec.dependsOn)", hr({ dependsOn: [{ name: "db" }] }))).toBe(true);
    // Failures int64 `json:"failures,omitempty"`; LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`
    expect(evaluate("HelmRelease", "!has(dep.status.failures) && !has(dep.status.lastAttemptedRevision)", hr({}, { failures: 0, lastAttemptedRevision: "" }))).toBe(true);
  });

  it("fills fields without omitempty: a history entry's digest and version, interval, a condition's message", () => {
    // Snapshot: Digest string `json:"digest"`, Version int `json:"version"`, AppVersion string `json:"appVersion,omitempty"`,
    // FirstDeployed metav1.Time `json:"firstDeployed"` (a zero Time converts to null).
    const history = { history: [{ name: "redis", namespace: "apps", chartName: "redis", chartVersion: "1.2.3", status: "deployed" }] };
    expect(evaluate("HelmRelease", "dep.status.history[0].digest == '' && dep.status.history[0].version == 0", hr({}, history))).toBe(true);
    expect(evaluate("HelmRelease", "!has(dep.status.history[0].appVersion) && dep.status.history[0].firstDeployed == null", hr({}, history))).toBe(true);
    // metav1.Condition: Message string `json:"message"`, ObservedGeneration int64 `json:"observedGeneration,omitempty"`.
    const conditions = { conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded", observedGeneration: 0 }] };
    expect(evaluate("HelmRelease", "dep.status.conditions.all(c, c.message == '' && !has(c.observedGeneration))", hr({}, conditions))).toBe(true);
    // ObjectMeta.CreationTimestamp metav1.Time `json:"creationTimestamp,omitempty"`: a struct, so null rather than
    // absent (absent would be "no such key"). has() is not asked of it: the CEL library here answers false for a
    // key whose value is null, where cel-go answers true.
    expect(evaluate("HelmRelease", "dep.metadata.creationTimestamp == null", hr({}))).toBe(true);
  });

  it("binds dep without apiVersion and kind (read through the API reader), self with them (from the cache)", () => {
    expect(evaluate("HelmRelease", "!has(dep.kind) && !has(dep.apiVersion)", hr({}))).toBe(true);
    expect(evaluate("HelmRelease", "self.kind == 'HelmRelease' && self.apiVersion == 'helm.toolkit.fluxcd.io/v2'", hr({}))).toBe(true);
  });

  it("writes durations and times back as Go formats them (metav1.Duration: time.Duration.String(); metav1.Time: RFC 3339 UTC)", () => {
    // Interval metav1.Duration `json:"interval"`; Timeout *metav1.Duration `json:"timeout,omitempty"`.
    expect(evaluate("HelmRelease", "dep.spec.interval == '5m0s'", hr({ interval: "5m" }))).toBe(true);
    expect(evaluate("HelmRelease", "self.spec.interval == dep.spec.interval", hr({ interval: "60m" }), { interval: "1h" })).toBe(true);
    expect(evaluate("HelmRelease", "dep.spec.timeout == '1.5s'", hr({ timeout: "1500ms" }))).toBe(true);
    expect(evaluate("HelmRelease", "dep.spec.timeout == '1m30s'", hr({ timeout: "90s" }))).toBe(true);
    expect(evaluate("HelmRelease", "dep.spec.timeout == '300ms'", hr({ timeout: "0.3s" }))).toBe(true);
    expect(evaluate("HelmRelease", "dep.spec.timeout == '2h30m0s'", hr({ timeout: "2h30m" }))).toBe(true);
    expect(evaluate("HelmRelease", "!has(dep.spec.timeout)", hr({}))).toBe(true);
    // metav1.Condition.LastTransitionTime metav1.Time `json:"lastTransitionTime"`.
    const conditions = { conditions: [{ type: "Ready", status: "True", reason: "x", message: "", lastTransitionTime: "2025-01-01T01:00:00.5+01:00" }] };
    expect(evaluate("HelmRelease", "dep.status.conditions[0].lastTransitionTime == '2025-01-01T00:00:00Z'", hr({}, conditions))).toBe(true);
  });

  it("leaves Helm values as they are (*apiextensionsv1.JSON keeps what it holds)", () => {
    expect(evaluate("HelmRelease", "dep.spec.values.enabled == false && dep.spec.values.name == ''", hr({ values: { enabled: false, name: "" } }))).toBe(true);
  });
});

describe("the typed Kustomization kustomize-controller binds (api/v1)", () => {
  const ks = (spec: Raw, status?: Raw) => object("Kustomization", "redis", { interval: "5m", sourceRef: { kind: "GitRepository", name: "repo" }, ...spec }, status);

  it("fills prune (bool without omitempty) and keeps sourceRef; drops empty omitempty strings", () => {
    // Prune bool `json:"prune"`
    expect(evaluate("Kustomization", "dep.spec.prune == false", ks({}))).toBe(true);
    // Path string `json:"path,omitempty"`; LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`
    expect(evaluate("Kustomization", "!has(dep.spec.path) && !has(dep.status.lastAppliedRevision)", ks({ path: "" }, { lastAppliedRevision: "" }))).toBe(true);
    expect(evaluate("Kustomization", "has(dep.status) && !has(dep.status.conditions)", ks({}))).toBe(true);
  });

  it("fills a history entry's fields without omitempty (meta.History)", () => {
    // meta.Snapshot: LastReconciledDuration metav1.Duration `json:"lastReconciledDuration"`, TotalReconciliations int64 `json:"totalReconciliations"`.
    const status = { history: [{ digest: "sha256:x", lastReconciledStatus: "ReconciliationSucceeded" }] };
    expect(evaluate("Kustomization", "dep.status.history[0].lastReconciledDuration == '0s' && dep.status.history[0].totalReconciliations == 0", ks({}, status))).toBe(true);
  });
});
