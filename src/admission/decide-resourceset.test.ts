// decide() for ResourceSets (docs/behaviour.md, Admission rules): entries of any kind, the deny path's
// reads turned into answers, and the old problems of kinds releasegate does not cache left unsaid.
import { describe, expect, it } from "vitest";
import type { ReadOutcome } from "../cluster/missing-read.js";
import { DependencyGraph } from "../graph/dependency-graph.js";
import type { DependencyEntry, FluxObject, NodeKey } from "../graph/types.js";
import { ConfirmedObjectsView } from "./confirmed-view.js";
import { decide } from "./decide.js";
import { DEFAULT_ADMISSION_POLICY } from "./policy.js";
import type { AdmissionRequest } from "./review.js";

const redis: FluxObject = { kind: "HelmRelease", namespace: "apps", name: "redis", dependsOn: [] };
const deployment = (name: string): DependencyEntry => ({ apiVersion: "apps/v1", kind: "Deployment", name, namespace: "apps" });
const rs = (dependsOn: DependencyEntry[]): FluxObject => ({ kind: "ResourceSet", namespace: "apps", name: "platform", dependsOn });

function decideOn(request: AdmissionRequest, confirmed?: Map<NodeKey, ReadOutcome>) {
  const graph = new DependencyGraph();
  graph.upsert(redis);
  // As the handler does: what the read found exists joins the view the decision is taken on.
  const existing = [...(confirmed ?? [])].filter(([, o]) => o.state === "exists").map(([node]) => node);
  const view = new ConfirmedObjectsView(graph, [], existing);
  return decide(request, { graph: view, dependents: graph, policy: DEFAULT_ADMISSION_POLICY, ...(confirmed ? { confirmed } : {}) });
}

const create = (object: FluxObject): AdmissionRequest => ({ uid: "u", kind: "ResourceSet", version: "v1", operation: "CREATE", namespace: "apps", name: "platform", dryRun: false, object });
const update = (oldObject: FluxObject, object: FluxObject): AdmissionRequest => ({ ...create(object), operation: "UPDATE", oldObject });

describe("decide for a ResourceSet", () => {
  it("sends a dependency of a kind it does not cache to the deny path's read, with the entry's apiVersion", () => {
    const decision = decideOn(create(rs([deployment("web")])));
    expect(decision).toMatchObject({ allowed: false, reason: "missing", unresolved: [{ node: "Deployment/apps/web", apiVersion: "apps/v1" }] });
  });

  it("turns what the read found into the answer: exists allows, unserved is invalid, cluster-scoped is named without a namespace", () => {
    const object = rs([deployment("web")]);
    expect(decideOn(create(object), new Map([["Deployment/apps/web", { state: "exists" }]]))).toMatchObject({ allowed: true });
    expect(decideOn(create(object), new Map([["Deployment/apps/web", { state: "unserved", apiVersion: "apps/v1", kind: "Deployment" }]]))).toMatchObject({
      allowed: false,
      reason: "invalid",
      message: "dependsOn[0] names Deployment at apps/v1, which the cluster does not serve, so the Flux Operator would wait for it for ever: fix the apiVersion or kind, or install the CRD that serves it first",
    });
    const crd = rs([{ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "widgets.example.io" }]);
    const missing = decideOn(create(crd), new Map([["CustomResourceDefinition//widgets.example.io", { state: "missing", clusterScoped: true }]]));
    expect(missing.allowed === false && missing.message.split("\n")[0]).toBe("CustomResourceDefinition widgets.example.io does not exist: create it first or fix the dependsOn entry");
  });

  it("denies when the read failed, as the missing-read path does, saying it could not confirm", () => {
    const decision = decideOn(create(rs([deployment("web")])), new Map([["Deployment/apps/web", { state: "unknown", error: "HTTP 500: etcd unavailable" }]]));
    expect(decision.allowed === false && decision.message.split("\n")[0]).toBe(
      "Deployment apps/web could not be confirmed to exist (reading it from the API server failed: HTTP 500: etcd unavailable): try again shortly, or fix the dependsOn entry",
    );
  });

  it("leaves a dependency it may not read unchecked, with a warning: a missing permission blocks nothing", () => {
    const decision = decideOn(create(rs([deployment("web")])), new Map([["Deployment/apps/web", { state: "forbidden", resource: "deployments.apps" }]]));
    expect(decision).toEqual({ allowed: true, reason: "ok", warnings: ["Deployment apps/web not checked: releasegate may not get deployments.apps (RBAC)"] });
  });

  it("counts a dependency with ready: false for existence, and allows an existing one of a cached kind without any read", () => {
    expect(decideOn(create(rs([{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "apps" }])))).toMatchObject({ allowed: true, reason: "ok" });
    expect(decideOn(create(rs([{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "gone", namespace: "apps" }])))).toMatchObject({
      allowed: false,
      reason: "missing",
      unresolved: [{ node: "HelmRelease/apps/gone", apiVersion: "helm.toolkit.fluxcd.io/v2" }],
    });
  });

  it("says nothing else about an invalid entry, and only warns about a readyExpr the operator ignores", () => {
    const bad = decideOn(create(rs([{ apiVersion: "apps/v1", kind: "Deploy-ment", name: "web" }])));
    expect(bad).toMatchObject({ allowed: false, reason: "invalid" });
    expect(bad.allowed === false && bad.message.split("\n")).toHaveLength(1);
    const ignored = decideOn(create(rs([{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "apps", readyExpr: "1 +" }])));
    expect(ignored).toMatchObject({ allowed: true, warnings: ["dependsOn[0].readyExpr is ignored without ready: true (Flux Operator): add ready: true or remove it"] });
  });

  it("never calls a kept entry of an uncached kind missing: no read is made for it", () => {
    const old = rs([deployment("web")]);
    const unchanged = decideOn(update(old, { ...old, suspend: true }));
    expect(unchanged).toMatchObject({ allowed: true, reason: "unchanged", warnings: [] });
    const grown = decideOn(update(old, rs([deployment("web"), { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "apps" }])));
    expect(grown).toMatchObject({ allowed: true, warnings: [] });
  });

  it("denies a namespaced kind's entry without a namespace: the operator looks it up verbatim and never finds it", () => {
    const decision = decideOn(create(rs([{ apiVersion: "v1", kind: "ConfigMap", name: "switch" }])));
    expect(decision).toMatchObject({
      allowed: false,
      reason: "invalid",
      message: "dependsOn[0]: ConfigMap dependencies need a namespace: the Flux Operator looks it up verbatim (add namespace: apps)",
    });
    // A kind whose scope only the server knows: the read says namespaced, so the same answer.
    const widget = decideOn(create(rs([{ apiVersion: "example.io/v1", kind: "Widget", name: "w" }])), new Map([["Widget//w", { state: "missing", clusterScoped: false }]]));
    expect(widget.allowed === false && widget.message.split("\n")[0]).toBe("dependsOn[0]: Widget dependencies need a namespace: the Flux Operator looks it up verbatim (add namespace: apps)");
  });

  it("allows a readyExpr over a dependency's data and a dependency on a CustomResourceDefinition (issue: both were denied)", () => {
    const object = rs([
      { apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates", ready: true, readyExpr: "data.gate == 'open'" },
      { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "helmreleases.helm.toolkit.fluxcd.io", ready: true },
    ]);
    const found = new Map<NodeKey, ReadOutcome>([
      ["ConfigMap/gates/switch", { state: "exists" }],
      ["CustomResourceDefinition//helmreleases.helm.toolkit.fluxcd.io", { state: "exists" }],
    ]);
    expect(decideOn(create(object), found)).toMatchObject({ allowed: true, reason: "ok" });
  });

  it("denies waiting for its own output, from the raw object's templates", () => {
    const object = rs([{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "cache", namespace: "apps" }]);
    const rawObject = {
      apiVersion: "fluxcd.controlplane.io/v1",
      kind: "ResourceSet",
      metadata: { name: "platform", namespace: "apps" },
      spec: { resources: [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "cache" } }] },
    };
    const decision = decideOn({ ...create(object), rawObject });
    expect(decision).toMatchObject({ allowed: false, reason: "cycle" });
    expect(decision.allowed === false && decision.message).toBe(
      "ResourceSet apps/platform depends on HelmRelease apps/cache, which it generates itself, so it would wait for its own output for ever: remove that dependsOn entry, or generate HelmRelease apps/cache elsewhere",
    );
  });
});
