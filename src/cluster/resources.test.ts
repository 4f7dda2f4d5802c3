import { describe, expect, it } from "vitest";
import { allFluxResourceTypes, apiVersionOf, KUBERNETES_RESOURCES, pickServedVersion, resourcePath, fluxResourceType } from "./resources.js";

const group = (name: string, versions: string[]) => ({
  name,
  versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
});

describe("pickServedVersion", () => {
  it("picks v2 on current Flux", () => {
    expect(pickServedVersion("HelmRelease", group("helm.toolkit.fluxcd.io", ["v2"]))).toEqual({
      kind: "HelmRelease",
      group: "helm.toolkit.fluxcd.io",
      resource: "helmreleases",
      version: "v2",
      served: ["v2"],
    });
  });

  it("prefers v2 even when the server lists a beta first", () => {
    expect(pickServedVersion("HelmRelease", group("helm.toolkit.fluxcd.io", ["v2beta1", "v2beta2", "v2"])).version).toBe("v2");
  });

  it("falls back to v2beta2 on older clusters, then v2beta1", () => {
    expect(pickServedVersion("HelmRelease", group("helm.toolkit.fluxcd.io", ["v2beta1", "v2beta2"])).version).toBe("v2beta2");
    expect(pickServedVersion("HelmRelease", group("helm.toolkit.fluxcd.io", ["v2beta1"])).version).toBe("v2beta1");
  });

  it("reports nothing to watch when the group is absent or serves only unknown versions", () => {
    expect(pickServedVersion("Kustomization", undefined).version).toBeUndefined();
    expect(pickServedVersion("Kustomization", group("kustomize.toolkit.fluxcd.io", ["v3"])).version).toBeUndefined();
  });
});

describe("resource table", () => {
  it("builds REST paths for namespaced, cluster-scoped and core resources", () => {
    expect(resourcePath(fluxResourceType("HelmRelease"))).toBe("/apis/helm.toolkit.fluxcd.io/v2/helmreleases");
    expect(resourcePath(fluxResourceType("Kustomization", "v1beta2"), "flux-system", "apps")).toBe(
      "/apis/kustomize.toolkit.fluxcd.io/v1beta2/namespaces/flux-system/kustomizations/apps",
    );
    expect(resourcePath(KUBERNETES_RESOURCES.secret, "rg")).toBe("/api/v1/namespaces/rg/secrets");
    expect(resourcePath(KUBERNETES_RESOURCES.validatingWebhookConfiguration, "ignored", "rg")).toBe(
      "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/rg",
    );
  });

  it("spells apiVersions", () => {
    expect(apiVersionOf(KUBERNETES_RESOURCES.secret)).toBe("v1");
    expect(apiVersionOf(KUBERNETES_RESOURCES.lease)).toBe("coordination.k8s.io/v1");
  });

  it("lists every Flux version the webhook must match", () => {
    expect(allFluxResourceTypes().map(apiVersionOf)).toEqual([
      "helm.toolkit.fluxcd.io/v2",
      "helm.toolkit.fluxcd.io/v2beta2",
      "helm.toolkit.fluxcd.io/v2beta1",
      "kustomize.toolkit.fluxcd.io/v1",
      "kustomize.toolkit.fluxcd.io/v1beta2",
      "fluxcd.controlplane.io/v1",
    ]);
  });
});
