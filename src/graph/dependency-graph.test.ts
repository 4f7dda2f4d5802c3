import { describe, expect, it } from "vitest";
import { DependencyGraph } from "./dependency-graph.js";
import { release } from "./test-helpers.test-support.js";

describe("DependencyGraph", () => {
  it("keeps forward and reverse edges for the backend → redis chain", () => {
    const graph = new DependencyGraph("HelmRelease");
    graph.upsert(release("default/backend", { dependsOn: ["redis"] }));
    graph.upsert(release("default/redis"));
    expect(graph.size).toBe(2);
    expect(graph.dependencyKeys("default/backend")).toEqual(["default/redis"]);
    expect(graph.dependentsOf("default/redis")).toEqual(["default/backend"]);
    expect(graph.dependenciesOf("default/backend").map((d) => d.key)).toEqual(["default/redis"]);
  });

  it("knows the dependents of an object that does not exist", () => {
    const graph = new DependencyGraph("HelmRelease");
    graph.upsert(release("default/backend", { dependsOn: ["redis"] }));
    expect(graph.has("default/redis")).toBe(false);
    expect(graph.dependentsOf("default/redis")).toEqual(["default/backend"]);
  });

  it("moves reverse edges when dependsOn changes and drops them on remove", () => {
    const graph = new DependencyGraph("HelmRelease");
    graph.upsert(release("default/backend", { dependsOn: ["redis"] }));
    graph.upsert(release("default/backend", { dependsOn: ["db"] }));
    expect(graph.dependentsOf("default/redis")).toEqual([]);
    expect(graph.dependentsOf("default/db")).toEqual(["default/backend"]);
    expect(graph.remove("default/backend")).toBe(true);
    expect(graph.remove("default/backend")).toBe(false);
    expect(graph.dependentsOf("default/db")).toEqual([]);
    expect(graph.size).toBe(0);
  });

  it("keeps a dependent's edge to a removed object (it is now missing)", () => {
    const graph = new DependencyGraph("HelmRelease");
    graph.upsert(release("default/backend", { dependsOn: ["redis"] }));
    graph.upsert(release("default/redis"));
    graph.remove("default/redis");
    expect(graph.dependencyKeys("default/backend")).toEqual(["default/redis"]);
    expect(graph.dependentsOf("default/redis")).toEqual(["default/backend"]);
  });

  it("lists duplicate entries once as edges but keeps every entry", () => {
    const graph = new DependencyGraph("HelmRelease");
    graph.upsert(release("default/backend", { dependsOn: ["redis", { name: "redis", readyExpr: "true" }] }));
    expect(graph.dependencyKeys("default/backend")).toEqual(["default/redis"]);
    expect(graph.dependenciesOf("default/backend")).toHaveLength(2);
  });
});
