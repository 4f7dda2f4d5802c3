import { describe, expect, it } from "vitest";
import { decodeFluxObject } from "../flux/decode.js";
import { FieldDemand } from "./field-demand.js";
import { coversKeep, fieldsRead, WHOLE_OBJECT } from "./field-paths.js";
import { compileObjectReadyExpr, compileReadyExpr } from "./ready-expr.js";
import { nodeOf } from "./refs.js";
import type { FluxObject } from "./types.js";
import { parse } from "@bufbuild/cel";

/** A HelmRelease as the API server sends it, with Helm values. */
function rawRelease(name: string, values: unknown, dependsOn: unknown[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: "apps", generation: 2, uid: `uid-${name}` },
    spec: { interval: "5m", values, dependsOn, chart: { spec: { chart: name, version: "1.2.3" } } },
    status: {
      observedGeneration: 2,
      lastAttemptedRevision: "1.2.3",
      history: [{ chartVersion: "1.2.3", status: "deployed" }],
      conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "ok", lastTransitionTime: "2025-01-01T00:00:00Z" }],
    },
    ...extra,
  };
}

/** Decodes dependent and dependency as the cache does: the dependency keeps what the dependent's expressions read. */
function decodePair(selfRaw: Record<string, unknown>, depRaw: Record<string, unknown>): { self: FluxObject; dep: FluxObject } {
  const demand = new FieldDemand();
  const self = decodeFluxObject("HelmRelease", selfRaw);
  demand.update(nodeOf(self), self);
  const dep = decodeFluxObject("HelmRelease", depRaw, { keepFor: (kind, namespace, name) => demand.keepOf(`${kind}/${namespace}/${name}`) });
  return { self, dep };
}

function evaluate(expr: string, values: { self?: unknown; dep?: unknown } = {}): boolean | string {
  const compiled = compileReadyExpr(expr);
  if (!compiled.ok) return `compile: ${compiled.error}`;
  const { self, dep } = decodePair(rawRelease("backend", values.self ?? { version: "1" }, [{ name: "redis", readyExpr: expr }]), rawRelease("redis", values.dep ?? { version: "1" }));
  const result = compiled.evaluate(self, dep);
  return result.ready ? true : (result.error ?? false);
}

describe("readyExpr over whole objects (helm-controller's checkDependencies)", () => {
  it("reads any field of self and dep, as Flux's own test does (spec.values.version)", () => {
    expect(evaluate("self.spec.values.version == dep.spec.values.version")).toBe(true);
    expect(evaluate("self.spec.values.version == dep.spec.values.version", { dep: { version: "2" } })).toBe(false);
    expect(evaluate("dep.status.history[0].chartVersion == '1.2.3'")).toBe(true);
    expect(evaluate("dep.status.lastAttemptedRevision == dep.spec.chart.spec.version")).toBe(true);
    expect(evaluate("dep.status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True')")).toBe(true);
    expect(evaluate("has(dep.spec.values.version) && !has(dep.spec.values.other)")).toBe(true);
    expect(evaluate("dep.metadata.uid == 'uid-redis' && self.metadata.generation == 2")).toBe(true);
    expect(evaluate("dep['spec']['values']['version'] == '1'")).toBe(true);
  });

  it("keeps only the fields an expression reads, not the whole values", () => {
    const { self, dep } = decodePair(
      rawRelease("backend", { version: "1", big: "x".repeat(20_000) }, [{ name: "redis", readyExpr: "self.spec.values.version == dep.spec.values.version" }]),
      rawRelease("redis", { version: "1", big: "y".repeat(20_000) }),
    );
    expect(self.fields).toEqual({ spec: { values: { version: "1" } } });
    expect(dep.fields).toEqual({ spec: { values: { version: "1" } } });
  });

  it("keeps spec and status of an object an expression uses whole", () => {
    const read = fieldsRead(parse("dep == self || dep.spec.x == 1").expr, ["self", "dep"]);
    expect(read.get("dep")).toEqual(WHOLE_OBJECT);
    expect(coversKeep(read.get("self"), { spec: { values: true } })).toBe(true);
  });

  it("says what Flux says: an evaluation error is not ready, with pkg/runtime/cel's words", () => {
    expect(evaluate("dep.spec.values.missing == 'x'")).toBe("failed to evaluate the CEL expression 'dep.spec.values.missing == 'x'': no such key: missing");
  });

  it("rejects what cel-go's compiler rejects (fluxcd/pkg runtime/cel expression_test.go)", () => {
    // "compilation checking output type can't predict type of struct field"
    expect(evaluate("dep.spec.suspend")).toBe("compile: CEL expression output type mismatch: expected bool, got dyn");
    expect(evaluate("dep.spec.suspend == true")).toBe("failed to evaluate the CEL expression 'dep.spec.suspend == true': no such key: suspend");
    expect(evaluate("'foo'")).toBe("compile: CEL expression output type mismatch: expected bool, got string");
    expect(evaluate("self.generation == deps.generation")).toMatch(/^compile: failed to parse the CEL expression 'self.generation == deps.generation': .*undeclared reference to 'deps'/);
    expect(evaluate("dep.metadata.name ==")).toMatch(/^compile: failed to parse the CEL expression/);
    expect(evaluate("dep.status.conditions.exists_one(c, c.type == 'Ready')")).toBe(true);
  });
});

describe("readyExpr over the dependency object (the Flux Operator)", () => {
  const configMap = { apiVersion: "v1", kind: "ConfigMap", namespace: "gates", name: "switch", fields: { data: { gate: "open" } } };

  it("reads top-level fields such as data, and parses only (no undeclared references)", () => {
    const compiled = compileObjectReadyExpr("data.gate == 'open'");
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(compiled.fields).toEqual({ data: { gate: true } });
    expect(compiled.evaluate(configMap)).toEqual({ ready: true });
    expect(compiled.evaluate({ ...configMap, fields: { data: { gate: "closed" } } })).toEqual({ ready: false });
    expect(compiled.evaluate({ ...configMap, fields: undefined })).toEqual({
      ready: false,
      error: "failed to evaluate the CEL expression 'data.gate == 'open'': no such attribute(s): data.gate",
    });
  });

  it("hides a Secret's data when asked (a Secret outside the ResourceSet's namespace)", () => {
    const compiled = compileObjectReadyExpr("has(data.token)");
    if (!compiled.ok) throw new Error(compiled.error);
    const secret = { apiVersion: "v1", kind: "Secret", namespace: "vault", name: "t", fields: { data: { token: "eA==" } } };
    expect(compiled.evaluate(secret)).toEqual({ ready: true });
    // cel-go (the operator's evaluator) fails a has() through a variable the object lacks, where a CEL
    // library may answer false: the operator says "Retrying dependency check: failed to evaluate ...".
    expect(compiled.evaluate(secret, { hideSecretData: true })).toEqual({
      ready: false,
      error: "failed to evaluate the CEL expression 'has(data.token)': no such attribute(s): data.token",
    });
  });

  it("names an unresolved attribute as cel-go does: the variable and the constant field names after it", () => {
    // cel-go interpreter/attributes.go (maybeAttribute: the longest qualified name is tried first) and its
    // interpreter_test.go: `pkg.mylistundef[0]` unchecked fails "no such attribute(s): ..., pkg.mylistundef".
    const cases: Array<[string, string]> = [
      ["status.conditions[0].type == 'Ready'", "status.conditions"],
      ["data['a'].b == 'x'", "data.a.b"],
      ["has(spec.replicas)", "spec.replicas"],
    ];
    for (const [expr, name] of cases) {
      const compiled = compileObjectReadyExpr(expr);
      if (!compiled.ok) throw new Error(compiled.error);
      expect(compiled.evaluate({ apiVersion: "v1", kind: "ConfigMap", namespace: "a", name: "b" })).toEqual({ ready: false, error: `failed to evaluate the CEL expression '${expr}': no such attribute(s): ${name}` });
    }
    // An error absorbed by || (cel-go's evalOr), and a comprehension's own variable never counts.
    const absorbed = compileObjectReadyExpr("has(data.token) || true");
    if (!absorbed.ok) throw new Error(absorbed.error);
    expect(absorbed.evaluate({ apiVersion: "v1", kind: "ConfigMap", namespace: "a", name: "b" })).toEqual({ ready: true });
    const bound = compileObjectReadyExpr("metadata.name.split('-').exists(part, part == 'b')");
    if (!bound.ok) throw new Error(bound.error);
    expect(bound.evaluate({ apiVersion: "v1", kind: "ConfigMap", namespace: "a", name: "b" })).toEqual({ ready: true });
  });

  it("a non-bool result is an evaluation error", () => {
    const compiled = compileObjectReadyExpr("data.gate");
    if (!compiled.ok) throw new Error(compiled.error);
    expect(compiled.evaluate(configMap)).toEqual({ ready: false, error: "failed to evaluate CEL expression as boolean: 'data.gate'" });
  });
});
