import { describe, expect, it } from "vitest";
import { checkChange } from "./check-change.js";
import { DependencyGraph } from "./dependency-graph.js";
import { release } from "./test-helpers.test-support.js";
import type { FluxObject } from "./types.js";

const allow = { crossNamespace: "allow" } as const;

function graphOf(...objects: FluxObject[]): DependencyGraph {
  const graph = new DependencyGraph();
  for (const o of objects) graph.upsert(o);
  return graph;
}

describe("checkChange", () => {
  it("on CREATE every problem is added, the cycle included, each with its entry", () => {
    const graph = graphOf(release("default/a", { dependsOn: ["b"] }));
    const check = checkChange(graph, undefined, release("default/b", { dependsOn: ["gone", "a"] }), allow);
    expect(check.kept).toEqual([]);
    expect(check.added.map((p) => [p.type, p.entry])).toEqual([
      ["missing", 0],
      ["cycle", undefined],
    ]);
    expect(check.cycle?.shown).toEqual(["HelmRelease/default/b", "HelmRelease/default/a", "HelmRelease/default/b"]);
    expect(check.dependencies.map((d) => d.node)).toEqual(["HelmRelease/default/gone", "HelmRelease/default/a"]);
  });

  it("on UPDATE only what the change adds is added; a cycle through kept entries is kept", () => {
    const old = release("default/b", { dependsOn: ["a", "gone"] });
    const graph = graphOf(release("default/a", { dependsOn: ["b"] }), old, release("default/c"));
    const check = checkChange(graph, old, release("default/b", { dependsOn: ["a", "gone", "c", "new-missing"] }), allow);
    expect(check.added.map((p) => [p.type, p.dependency])).toEqual([["missing", "default/new-missing"]]);
    expect(check.kept.map((p) => [p.type, p.dependency])).toEqual([
      ["missing", "default/gone"],
      ["cycle", "default/a"],
    ]);
    expect(check.cycle).toBeUndefined();
  });

  it("the cycle a new edge closes is added, searched from the new edges only", () => {
    const old = release("default/a");
    const graph = graphOf(old, release("default/b", { dependsOn: ["c"] }), release("default/c", { dependsOn: ["a"] }));
    const check = checkChange(graph, old, release("default/a", { dependsOn: ["b"] }), allow);
    expect(check.cycle?.shown).toEqual(["HelmRelease/default/a", "HelmRelease/default/b", "HelmRelease/default/c", "HelmRelease/default/a"]);
    expect(check.added[0]?.message).toBe("dependency cycle default/a → default/b → default/c → default/a: remove one of these dependsOn entries");
  });

  it("an invalid entry or a readyExpr is new only when the entry as written is", () => {
    const old = release("default/a", { dependsOn: [{ name: "monitoring/prometheus" }, { name: "b", readyExpr: "((" }] });
    const graph = graphOf(old, release("default/b"));
    const same = checkChange(graph, old, release("default/a", { dependsOn: [{ name: "monitoring/prometheus" }, { name: "b", readyExpr: "((" }, { name: "b2" }] }), allow);
    expect(same.added.map((p) => p.type)).toEqual(["missing"]);
    expect(same.kept.map((p) => p.type)).toEqual(["invalid", "ready-expr"]);
    const changed = checkChange(graph, old, release("default/a", { dependsOn: [{ name: "b", readyExpr: "))" }] }), allow);
    expect(changed.added.map((p) => p.type)).toEqual(["ready-expr"]);
  });

  it("keys across kinds: a HelmRelease and a Kustomization of one name are two nodes; a cycle across kinds names each kind", () => {
    const toHelm = { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "apps" };
    const platform = release("apps/platform", { kind: "ResourceSet", dependsOn: [toHelm] });
    // The Kustomization apps/redis depends on a Kustomization apps/platform, not on the ResourceSet.
    const kustomization = release("apps/redis", { kind: "Kustomization", dependsOn: ["platform"] });
    const none = checkChange(graphOf(platform, kustomization), undefined, release("apps/redis"), allow);
    expect(none.added).toEqual([]);
    // An entry naming its kind (a ResourceSet's; the form Flux's RFC gives every kind) crosses kinds. The RFC
    // uses such an entry's namespace as written (flux2 PR 5988, "Defaulting rules"), so it names one.
    const redis = release("apps/redis", { dependsOn: [{ apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", name: "platform", namespace: "apps" }] });
    const check = checkChange(graphOf(platform, kustomization), undefined, redis, allow);
    expect(check.cycle?.shown).toEqual(["HelmRelease/apps/redis", "ResourceSet/apps/platform", "HelmRelease/apps/redis"]);
    expect(check.added[0]).toMatchObject({ type: "cycle", kind: "HelmRelease", object: "apps/redis", dependency: "apps/platform", cyclePath: expect.objectContaining({ objects: 2, crossesKinds: true }) });
    expect(check.added[0]?.message).toBe(
      "dependency cycle HelmRelease apps/redis → ResourceSet apps/platform → HelmRelease apps/redis: remove one of these dependsOn entries",
    );
  });
});
