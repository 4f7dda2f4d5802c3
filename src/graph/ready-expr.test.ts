import { describe, expect, it } from "vitest";
import { celObject, compileReadyExpr } from "./ready-expr.js";
import { release } from "./test-helpers.test-support.js";

const self = release("apps/backend", { dependsOn: ["redis"] });
const dep = release("apps/redis", { labels: { tier: "cache" }, generation: 3 });

function evaluate(expr: string): boolean | string {
  const compiled = compileReadyExpr(expr);
  return compiled.ok ? compiled.evaluate(self, dep) : `error: ${compiled.error}`;
}

describe("compileReadyExpr", () => {
  it("evaluates over self and dep as Kubernetes-shaped maps", () => {
    expect(evaluate("dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')")).toBe(true);
    expect(evaluate("dep.metadata.generation == dep.status.observedGeneration")).toBe(true);
    expect(evaluate("dep.metadata.generation == 3")).toBe(true);
    expect(evaluate("dep.metadata.labels.tier == 'cache' && self.metadata.namespace == dep.metadata.namespace")).toBe(true);
    expect(evaluate("self.spec.dependsOn[0].name == 'redis'")).toBe(true);
    expect(evaluate("dep.metadata.name.startsWith('re')")).toBe(true);
    expect(evaluate("false")).toBe(false);
  });

  it("counts an evaluation error (a field releasegate does not keep) as not ready", () => {
    expect(evaluate("dep.status.history[0].status == 'deployed'")).toBe(false);
    expect(evaluate("has(dep.spec.suspend)")).toBe(false);
  });

  it("rejects what Flux's compiler rejects: syntax, unknown names, non-bool results", () => {
    expect(evaluate("dep.metadata.name ==")).toMatch(/^error: /);
    expect(evaluate("foo.bar == 1")).toBe("error: undeclared reference to 'foo'");
    expect(evaluate("nosuchfn(dep)")).toBe("error: undeclared reference to function 'nosuchfn'");
    // A dynamic value compiles (it could be a bool) but a string at runtime means not ready.
    expect(evaluate("dep.metadata.name")).toBe(false);
    expect(evaluate("1 + 1")).toBe("error: expression must evaluate to a bool, not other");
    expect(evaluate("'ready'")).toBe("error: expression must evaluate to a bool, not string");
  });

  it("caches compiled programs by expression text", () => {
    expect(compileReadyExpr("dep.metadata.generation > 0")).toBe(compileReadyExpr("dep.metadata.generation > 0"));
  });

  it("exposes only the documented fields", () => {
    expect(celObject(release("apps/redis", { status: "none" }))).toEqual({
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: "redis", namespace: "apps", generation: 1n },
      spec: { dependsOn: [] },
    });
  });
});
