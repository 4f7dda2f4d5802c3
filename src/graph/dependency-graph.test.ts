import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbitraryObject, arbitraryUniverse } from "./arbitraries.test-support.js";
import { DependencyGraph } from "./dependency-graph.js";
import { nodeOf, resolveDependencies } from "./refs.js";
import { release } from "./test-helpers.test-support.js";
import type { FluxObject } from "./types.js";

/** The oracle: what the graph must say of every node, from the objects alone. */
function expectGraphOf(graph: DependencyGraph, objects: ReadonlyMap<string, FluxObject>, universe: readonly string[]): void {
  expect(graph.size).toBe(objects.size);
  expect([...graph.keys()].sort()).toEqual([...objects.keys()].sort());
  const kindsByName = new Map<string, Set<string>>();
  for (const obj of objects.values()) {
    const name = `${obj.namespace}/${obj.name}`;
    kindsByName.set(name, (kindsByName.get(name) ?? new Set()).add(obj.kind));
  }
  expect(graph.mayShareNames()).toBe([...kindsByName.values()].some((kinds) => kinds.size > 1));
  for (const node of universe) {
    const dependents = [...objects.values()].filter((obj) => resolveDependencies(obj).some((dep) => dep.node === node)).map(nodeOf);
    expect(graph.dependentsOf(node).sort()).toEqual(dependents.sort());
    const obj = objects.get(node);
    expect(graph.get(node)).toBe(obj);
    expect(graph.dependencyKeys(node)).toEqual(obj === undefined ? [] : [...new Set(resolveDependencies(obj).map((dep) => dep.node))]);
    // A node neither an object nor named by one has no id (it was recycled).
    expect(graph.idOf(node) !== undefined).toBe(obj !== undefined || dependents.length > 0);
  }
}

type Step = { op: "bulk"; objects: FluxObject[] } | { op: "upsert"; object: FluxObject } | { op: "remove"; node: string };

/** One step on the graph and on the oracle's objects; a bulk load's ids (in its objects' order). */
function applyStep(graph: DependencyGraph, objects: Map<string, FluxObject>, step: Step): number[] | undefined {
  if (step.op === "bulk") {
    const ids = graph.upsertAll(step.objects);
    for (const obj of step.objects) objects.set(nodeOf(obj), obj);
    return ids;
  }
  if (step.op === "upsert") {
    graph.upsert(step.object);
    objects.set(nodeOf(step.object), step.object);
  } else {
    graph.remove(step.node);
    objects.delete(step.node);
  }
  return undefined;
}

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
    graph.upsert(release("apps/platform", { kind: "ResourceSet", dependsOn: [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "apps" }] }));
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

  it("bulk loads (upsertAll, lists with repeats included) and single updates in any order keep edges both ways exact (oracle)", () => {
    const arbitraryRun = arbitraryUniverse(20).chain(({ universe }) => {
      const object = fc.constantFrom(...universe).chain((node) => arbitraryObject(node, universe));
      const step: fc.Arbitrary<Step> = fc.oneof(
        fc.array(object, { maxLength: 25 }).map((objects): Step => ({ op: "bulk", objects })),
        object.map((obj): Step => ({ op: "upsert", object: obj })),
        fc.constantFrom(...universe).map((node): Step => ({ op: "remove", node })),
      );
      return fc.tuple(fc.constant(universe), fc.array(step, { maxLength: 8 }));
    });
    fc.assert(
      fc.property(arbitraryRun, ([universe, steps]) => {
        const graph = new DependencyGraph();
        const objects = new Map<string, FluxObject>();
        for (const step of steps) {
          const ids = applyStep(graph, objects, step);
          if (step.op === "bulk") expect(ids!.map((id) => graph.keyOf(id))).toEqual(step.objects.map(nodeOf));
          expectGraphOf(graph, objects, universe);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps each object's edge run and entry ids exact through long runs of changes (the runs are packed again on the way)", () => {
    const arbitraryRun = arbitraryUniverse(12).chain(({ universe }) => {
      const object = fc.constantFrom(...universe).chain((node) => arbitraryObject(node, universe));
      const step: fc.Arbitrary<Step> = fc.oneof(
        { weight: 6, arbitrary: object.map((obj): Step => ({ op: "upsert", object: obj })) },
        { weight: 1, arbitrary: fc.constantFrom(...universe).map((node): Step => ({ op: "remove", node })) },
        { weight: 1, arbitrary: fc.array(object, { maxLength: 12 }).map((objects): Step => ({ op: "bulk", objects })) },
      );
      return fc.tuple(fc.constant(universe), fc.array(step, { minLength: 100, maxLength: 400 }));
    });
    fc.assert(
      fc.property(arbitraryRun, ([universe, steps]) => {
        const graph = new DependencyGraph();
        const objects = new Map<string, FluxObject>();
        for (const step of steps) applyStep(graph, objects, step);
        expectGraphOf(graph, objects, universe);
        for (const [node, obj] of objects) {
          const id = graph.idOf(node)!;
          const entries = resolveDependencies(obj).map((dep) => dep.node);
          expect(Array.from(graph.entryIdsOf(id), (entry) => graph.keyOf(entry))).toEqual(entries);
          const run = Array.from(graph.forwardEdges.subarray(graph.forwardStart(id), graph.forwardEnd(id)), (dep) => graph.keyOf(dep));
          expect(run).toEqual([...new Set(entries)]);
          expect(graph.exists(id)).toBe(true);
          expect(graph.dependsOnItself(id)).toBe(entries.includes(node));
        }
      }),
      { numRuns: 60 },
    );
  });
});
