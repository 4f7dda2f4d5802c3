import { describe, expect, it } from "vitest";
import { DependencyGraph } from "./dependency-graph.js";
import { release } from "./test-helpers.test-support.js";

describe("DependencyGraph", () => {
  it("keeps forward and reverse edges for the backend → redis chain", () => {
    const graph = new DependencyGraph();
    graph.upsert(release("default/backend", { dependsOn: ["redis"] }));
    graph.upsert(release("default/redis"));
    expect(graph.size).toBe(2);
    expect(graph.dependencyKeys("HelmRelease/default/backend")).toEqual(["HelmRelease/default/redis"]);
    expect(graph.dependentsOf("HelmRelease/default/redis")).toEqual(["HelmRelease/default/backend"]);
    expect(graph.dependenciesOf("HelmRelease/default/backend").map((d) => d.key)).toEqual(["default/redis"]);
  });

  it("knows the dependents of an object that does not exist", () => {
    const graph = new DependencyGraph();
    graph.upsert(release("default/backend", { dependsOn: ["redis"] }));
    expect(graph.has("HelmRelease/default/redis")).toBe(false);
    expect(graph.dependentsOf("HelmRelease/default/redis")).toEqual(["HelmRelease/default/backend"]);
  });

  it("moves reverse edges when dependsOn changes and drops them on remove", () => {
    const graph = new DependencyGraph();
    graph.upsert(release("default/backend", { dependsOn: ["redis"] }));
    graph.upsert(release("default/backend", { dependsOn: ["db"] }));
    expect(graph.dependentsOf("HelmRelease/default/redis")).toEqual([]);
    expect(graph.dependentsOf("HelmRelease/default/db")).toEqual(["HelmRelease/default/backend"]);
    expect(graph.remove("HelmRelease/default/backend")).toBe(true);
    expect(graph.remove("HelmRelease/default/backend")).toBe(false);
    expect(graph.dependentsOf("HelmRelease/default/db")).toEqual([]);
    expect(graph.size).toBe(0);
  });

  it("keeps a dependent's edge to a removed object (it is now missing)", () => {
    const graph = new DependencyGraph();
    graph.upsert(release("default/backend", { dependsOn: ["redis"] }));
    graph.upsert(release("default/redis"));
    graph.remove("HelmRelease/default/redis");
    expect(graph.dependencyKeys("HelmRelease/default/backend")).toEqual(["HelmRelease/default/redis"]);
    expect(graph.dependentsOf("HelmRelease/default/redis")).toEqual(["HelmRelease/default/backend"]);
  });

  it("lists duplicate entries once as edges but keeps every entry", () => {
    const graph = new DependencyGraph();
    graph.upsert(release("default/backend", { dependsOn: ["redis", { name: "redis", readyExpr: "true" }] }));
    expect(graph.dependencyKeys("HelmRelease/default/backend")).toEqual(["HelmRelease/default/redis"]);
    expect(graph.dependenciesOf("HelmRelease/default/backend")).toHaveLength(2);
  });

  it("keeps objects of different kinds with one name apart, and follows an edge across kinds", () => {
    const graph = new DependencyGraph();
    graph.upsert(release("apps/redis"));
    graph.upsert(release("apps/redis", { kind: "Kustomization", dependsOn: ["infra"] }));
    graph.upsert(release("apps/platform", { kind: "ResourceSet", dependsOn: [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis" }] }));
    expect(graph.size).toBe(3);
    expect(graph.get("HelmRelease/apps/redis")?.kind).toBe("HelmRelease");
    expect(graph.get("Kustomization/apps/redis")?.kind).toBe("Kustomization");
    expect(graph.dependentsOf("HelmRelease/apps/redis")).toEqual(["ResourceSet/apps/platform"]);
    expect(graph.dependentsOf("Kustomization/apps/infra")).toEqual(["Kustomization/apps/redis"]);
    expect(graph.has("HelmRelease/apps/infra")).toBe(false);
    graph.remove("Kustomization/apps/redis");
    expect(graph.get("HelmRelease/apps/redis")).toBeDefined();
    expect(graph.dependentsOf("Kustomization/apps/infra")).toEqual([]);
    expect([...graph.suggestionCandidates("Kustomization/apps/redis")]).toEqual([]);
  });
});
