import { describe, expect, it } from "vitest";
import { ALL_FLUX_KINDS, apiVersionsOf, dependencyKindOf, FLUX_KIND_INFO, fluxKindOf, fluxKindOfResource, isKnownVersion } from "./kinds.js";

describe("the Flux kinds table", () => {
  it("recognises every served version of every kind, and nothing else", () => {
    for (const kind of ALL_FLUX_KINDS) {
      for (const apiVersion of apiVersionsOf(kind)) expect(fluxKindOf(apiVersion, kind)).toBe(kind);
    }
    expect(apiVersionsOf("HelmRelease")).toEqual(["helm.toolkit.fluxcd.io/v2", "helm.toolkit.fluxcd.io/v2beta2", "helm.toolkit.fluxcd.io/v2beta1"]);
    expect(apiVersionsOf("Kustomization")).toEqual(["kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1beta2"]);
    expect(apiVersionsOf("ResourceSet")).toEqual(["fluxcd.controlplane.io/v1"]);
    // No longer served by kustomize-controller: neither check nor the webhook treat it as Flux's.
    expect(fluxKindOf("kustomize.toolkit.fluxcd.io/v1beta1", "Kustomization")).toBeUndefined();
    expect(isKnownVersion("Kustomization", "v1beta1")).toBe(false);
    // kustomize's own Kustomization, a kind in the wrong group, garbage.
    expect(fluxKindOf("kustomize.config.k8s.io/v1beta1", "Kustomization")).toBeUndefined();
    expect(fluxKindOf("helm.toolkit.fluxcd.io/v2", "Kustomization")).toBeUndefined();
    expect(fluxKindOf(2, "HelmRelease")).toBeUndefined();
    expect(fluxKindOf("v1", "toString")).toBeUndefined();
  });

  it("maps the webhook's (group, resource) back to the kind", () => {
    for (const kind of ALL_FLUX_KINDS) expect(fluxKindOfResource(FLUX_KIND_INFO[kind].group, FLUX_KIND_INFO[kind].resource)).toBe(kind);
    expect(fluxKindOfResource("helm.toolkit.fluxcd.io", "kustomizations")).toBeUndefined();
  });

  it("knows that only a ResourceSet's dependsOn names other kinds", () => {
    expect(dependencyKindOf("HelmRelease", "Kustomization")).toBe("HelmRelease");
    expect(dependencyKindOf("ResourceSet", "HelmRelease")).toBe("HelmRelease");
    expect(dependencyKindOf("ResourceSet", undefined)).toBe("ResourceSet");
  });
});
