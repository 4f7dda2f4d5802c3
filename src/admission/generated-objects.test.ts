import { describe, expect, it } from "vitest";
import { generatedNodes } from "./generated-objects.js";

function resourceSet(spec: Record<string, unknown>) {
  return { apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", metadata: { name: "platform" }, spec };
}

const templated = [
  { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "app-<< inputs.tenant >>" } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-<< inputs.tenant >>" } },
  { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "edge" } },
];

describe("generatedNodes", () => {
  it("expands inline inputs into the nodes of what the ResourceSet generates, in its namespace when none is written", () => {
    const nodes = generatedNodes(resourceSet({ inputs: [{ tenant: "a" }, { tenant: "b" }], resources: templated }), "apps", "platform");
    expect([...nodes].sort()).toEqual(["Deployment/edge/web", "HelmRelease/apps/app-a", "HelmRelease/apps/app-b", "Namespace/apps/team-a", "Namespace/apps/team-b"]);
  });

  it("expands a resourcesTemplate once without inputs", () => {
    const template = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: redis\n";
    expect([...generatedNodes(resourceSet({ resourcesTemplate: template }), "apps", "platform")]).toEqual(["HelmRelease/apps/redis"]);
  });

  it("claims nothing with inputsFrom (the inputs live elsewhere) or when a template fails", () => {
    expect(generatedNodes(resourceSet({ inputsFrom: [{ name: "prs" }], resources: templated }), "apps", "platform").size).toBe(0);
    expect(generatedNodes(resourceSet({ resources: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "<< inputs.missing >>" } }] }), "apps", "platform").size).toBe(0);
  });
});
