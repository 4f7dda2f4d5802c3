import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundedEditDistance, editDistance, suggestKeys } from "./suggest.js";
import { DependencyGraph } from "./dependency-graph.js";

describe("editDistance", () => {
  it("counts an adjacent transposition as one edit", () => {
    expect(editDistance("redsi", "redis")).toBe(1);
    expect(editDistance("redis", "redis")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  it("is symmetric and the bounded version agrees up to its limit", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.nat(4), (a, b, limit) => {
        const d = editDistance(a, b);
        expect(editDistance(b, a)).toBe(d);
        expect(boundedEditDistance(a, b, limit)).toBe(Math.min(d, limit + 1));
      }),
      { numRuns: 300 },
    );
  });
});

describe("suggestKeys", () => {
  const keys = ["default/redis", "default/backend", "cache/redis", "cache/redsi-operator", "monitoring/prometheus"];

  it("suggests the close name in the same namespace first (redsi → redis)", () => {
    expect(suggestKeys("default/redsi", keys)[0]).toBe("default/redis");
  });

  it("suggests the same name in another namespace (a forgotten namespace)", () => {
    expect(suggestKeys("default/prometheus", keys)).toEqual(["monitoring/prometheus"]);
    expect(suggestKeys("apps/redis", keys)).toEqual(["cache/redis", "default/redis"]);
  });

  it("suggests nothing for an unrelated name and respects max", () => {
    expect(suggestKeys("default/grafana", keys)).toEqual([]);
    expect(suggestKeys("default/redi", keys, 1)).toEqual(["default/redis"]);
  });
});

describe("DependencyGraph.suggestionCandidates", () => {
  it("gives suggestKeys the same answer as the whole graph would", () => {
    const name = fc.constantFrom("redis", "redsi", "rdis", "backend", "backnd", "api", "apis", "web");
    const namespace = fc.constantFrom("default", "apps", "legacy");
    fc.assert(
      fc.property(fc.array(fc.tuple(namespace, name), { maxLength: 20 }), namespace, name, (objects, ns, missingName) => {
        const graph = new DependencyGraph("HelmRelease");
        for (const [n, o] of objects) graph.upsert({ kind: "HelmRelease", namespace: n, name: o, dependsOn: [{ name: "ghost" }] });
        const missing = `${ns}/${missingName}`;
        expect(suggestKeys(missing, graph.suggestionCandidates(missing))).toEqual(suggestKeys(missing, graph.keys()));
      }),
      { numRuns: 300 },
    );
  });
});
