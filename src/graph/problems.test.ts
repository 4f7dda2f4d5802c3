import { describe, expect, it } from "vitest";
import { buildGraph } from "./arbitraries.test-support.js";
import { overlayGraph } from "./graph-overlay.js";
import { checkObject, findProblems } from "./problems.js";
import { release } from "./test-helpers.test-support.js";

const allow = { crossNamespace: "allow" } as const;
const deny = { crossNamespace: "deny" } as const;

describe("checkObject (one object about to be written)", () => {
  const graph = buildGraph([release("default/redis"), release("default/backend", { dependsOn: ["redis"] })]);

  it("accepts the backend → redis chain", () => {
    expect(checkObject(graph, release("default/frontend", { dependsOn: ["backend"] }), allow)).toEqual([]);
  });

  it("denies redis → backend, naming the whole cycle", () => {
    expect(checkObject(graph, release("default/redis", { dependsOn: ["backend"] }), allow)).toEqual([
      {
        type: "cycle",
        kind: "HelmRelease",
        object: "default/redis",
        node: "HelmRelease/default/redis",
        dependency: "default/backend",
        dependencyNode: "HelmRelease/default/backend",
        cyclePath: expect.objectContaining({ objects: 2, shown: ["HelmRelease/default/redis", "HelmRelease/default/backend", "HelmRelease/default/redis"], crossesKinds: false }),
        message: "dependency cycle default/redis → default/backend → default/redis: remove one of these dependsOn entries",
      },
    ]);
  });

  it("denies a 3-node cycle", () => {
    const g = buildGraph([release("default/a", { dependsOn: ["b"] }), release("default/b", { dependsOn: ["c"] }), release("default/c")]);
    const [problem] = checkObject(g, release("default/c", { dependsOn: ["a"] }), allow);
    expect(problem?.cyclePath?.shown).toEqual(["HelmRelease/default/c", "HelmRelease/default/a", "HelmRelease/default/b", "HelmRelease/default/c"]);
  });

  it("reports a self-dependency once, not again as a cycle", () => {
    expect(checkObject(graph, release("default/backend", { dependsOn: ["backend"] }), allow)).toEqual([
      {
        type: "self-dependency",
        kind: "HelmRelease",
        object: "default/backend",
        node: "HelmRelease/default/backend",
        dependency: "default/backend",
        dependencyNode: "HelmRelease/default/backend",
        message: "default/backend depends on itself: remove that dependsOn entry",
        entry: 0,
      },
    ]);
  });

  it("reports a missing dependency with did-you-mean", () => {
    const [problem] = checkObject(graph, release("default/api", { dependsOn: ["redsi"] }), allow);
    expect(problem).toEqual({
      type: "missing",
      kind: "HelmRelease",
      object: "default/api",
      node: "HelmRelease/default/api",
      dependency: "default/redsi",
      dependencyNode: "HelmRelease/default/redsi",
      suggestions: ["default/redis"],
      message: "HelmRelease default/redsi does not exist (did you mean default/redis?): create it first or fix the dependsOn entry",
      entry: 0,
    });
    expect(checkObject(graph, release("default/api", { dependsOn: ["redsi"] }), { ...allow, ignoreMissing: true })).toEqual([]);
  });

  it("hints the {name, namespace} form for name: monitoring/prometheus", () => {
    const [problem] = checkObject(graph, release("default/api", { dependsOn: [{ name: "monitoring/prometheus" }] }), allow);
    expect(problem?.type).toBe("invalid");
    expect(problem?.message).toBe(
      'dependsOn[0].name "monitoring/prometheus" is not a valid object name: use {name: prometheus, namespace: monitoring}',
    );
    const [other] = checkObject(graph, release("default/api", { dependsOn: [{ name: "Redis_1" }] }), allow);
    expect(other?.message).toMatch(/^dependsOn\[0\]\.name "Redis_1" is not a valid object name: a valid name has lowercase/);
  });

  it("reports a duplicate entry", () => {
    const problems = checkObject(graph, release("default/api", { dependsOn: ["redis", "default/redis"] }), allow);
    expect(problems).toEqual([
      expect.objectContaining({
        type: "duplicate",
        dependency: "default/redis",
        message: "dependsOn[1] repeats default/redis (already dependsOn[0]): remove the duplicate entry",
      }),
    ]);
  });

  it("reports a cross-namespace dependency only when denied", () => {
    const g = buildGraph([release("monitoring/prometheus")]);
    const obj = release("default/api", { dependsOn: ["monitoring/prometheus"] });
    expect(checkObject(g, obj, allow)).toEqual([]);
    const [problem] = checkObject(g, obj, deny);
    expect(problem?.type).toBe("cross-namespace");
    expect(problem?.message).toMatch(/^dependency monitoring\/prometheus is in another namespace and cross-namespace dependencies are disabled \(--cross-namespace deny\): move/);
  });

  it("reports a readyExpr that does not compile, and accepts one that does", () => {
    const bad = checkObject(graph, release("default/api", { dependsOn: [{ name: "redis", readyExpr: "dep.status.conditions.exists(c," }] }), allow);
    expect(bad).toHaveLength(1);
    expect(bad[0]?.type).toBe("ready-expr");
    expect(bad[0]?.message).toMatch(/^dependsOn\[0\]\.readyExpr does not compile: .+: fix the CEL expression$/);
    expect(checkObject(graph, release("default/api", { dependsOn: [{ name: "redis", readyExpr: "dep.metadata.generation > 0" }] }), allow)).toEqual([]);
  });

  it("sees pending objects through an overlay (a batch that adds backend and redis together)", () => {
    const empty = buildGraph([]);
    const withPending = overlayGraph(empty, [release("default/redis")]);
    expect(checkObject(withPending, release("default/backend", { dependsOn: ["redis"] }), allow)).toEqual([]);
    const cyclic = overlayGraph(empty, [release("default/redis", { dependsOn: ["backend"] })]);
    expect(checkObject(cyclic, release("default/backend", { dependsOn: ["redis"] }), allow)[0]?.type).toBe("cycle");
  });

  it("hides removed objects in an overlay", () => {
    const without = overlayGraph(graph, [], ["HelmRelease/default/redis"]);
    expect(without.has("HelmRelease/default/redis")).toBe(false);
    expect([...without.keys()]).toEqual(["HelmRelease/default/backend"]);
    expect(checkObject(without, release("default/api", { dependsOn: ["redis"] }), allow)[0]?.type).toBe("missing");
  });
});

describe("findProblems (the whole graph, for releasegate check)", () => {
  it("reports each problem once, one per cycle, sorted by object", () => {
    const graph = buildGraph([
      release("default/redis", { dependsOn: ["backend"] }),
      release("default/backend", { dependsOn: ["redis"] }),
      release("default/api", { dependsOn: ["redsi", "api"] }),
      release("apps/web", { dependsOn: ["default/api"] }),
    ]);
    const problems = findProblems(graph, deny);
    expect(problems.map((p) => [p.object, p.type])).toEqual([
      ["apps/web", "cross-namespace"],
      ["default/api", "missing"],
      ["default/api", "self-dependency"],
      ["default/backend", "cycle"],
    ]);
    expect(problems[3]?.cycle).toEqual(["default/backend", "default/redis", "default/backend"]);
  });
});
