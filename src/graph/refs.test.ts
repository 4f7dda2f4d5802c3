import { describe, expect, it } from "vitest";
import { dependencySetKey, isValidNamespaceName, isValidObjectName, objectKey, objectKeyOf, resolveDependencies, splitKey } from "./refs.js";
import { release } from "./test-helpers.test-support.js";

describe("objectKey / splitKey", () => {
  it("round-trips namespace and name", () => {
    expect(objectKey("default", "redis")).toBe("default/redis");
    expect(splitKey("default/redis")).toEqual({ namespace: "default", name: "redis" });
  });

  it("keeps a slash in the name part (an invalid dependsOn name) intact", () => {
    expect(splitKey("default/monitoring/prometheus")).toEqual({ namespace: "default", name: "monitoring/prometheus" });
  });
});

describe("resolveDependencies", () => {
  it("defaults the namespace to the dependent's own, as Flux does", () => {
    const backend = release("apps/backend", {
      dependsOn: ["redis", { name: "cert-manager", namespace: "cert-manager" }, { name: "db", readyExpr: "true" }],
    });
    expect(resolveDependencies(backend)).toEqual([
      { node: "HelmRelease/apps/redis", kind: "HelmRelease", key: "apps/redis", name: "redis", namespace: "apps", index: 0 },
      { node: "HelmRelease/cert-manager/cert-manager", kind: "HelmRelease", key: "cert-manager/cert-manager", name: "cert-manager", namespace: "cert-manager", index: 1 },
      { node: "HelmRelease/apps/db", kind: "HelmRelease", key: "apps/db", name: "db", namespace: "apps", index: 2, readyExpr: "true" },
    ]);
  });

  it("keys a ResourceSet's entry by the kind it names, its namespace verbatim; the other kinds' entries name their own kind", () => {
    const platform = release("apps/platform", {
      kind: "ResourceSet",
      dependsOn: [
        { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "apps", ready: true },
        { name: "infra" },
        { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "helmreleases.helm.toolkit.fluxcd.io" },
      ],
    });
    // The Flux Operator never defaults a ResourceSet entry's namespace (resourceset_controller.go checkDependencies).
    expect(resolveDependencies(platform).map((d) => [d.node, d.ready])).toEqual([
      ["HelmRelease/apps/redis", true],
      ["ResourceSet//infra", undefined],
      ["CustomResourceDefinition//helmreleases.helm.toolkit.fluxcd.io", undefined],
    ]);
    // A cluster-scoped object is named without a namespace.
    expect(objectKeyOf("CustomResourceDefinition//helmreleases.helm.toolkit.fluxcd.io")).toBe("helmreleases.helm.toolkit.fluxcd.io");
    const kustomization = release("apps/web", { kind: "Kustomization", dependsOn: [{ name: "redis" }] });
    expect(resolveDependencies(kustomization)[0]!.node).toBe("Kustomization/apps/redis");
  });

  it("treats an empty namespace like an absent one", () => {
    const backend = release("apps/backend", { dependsOn: [{ name: "redis", namespace: "" }] });
    expect(resolveDependencies(backend)[0]?.key).toBe("apps/redis");
  });
});

describe("isValidObjectName", () => {
  it.each(["redis", "redis-master", "a.b-c.d", "0abc", "a".repeat(253)])("accepts %s", (name) => {
    expect(isValidObjectName(name)).toBe(true);
  });
  it.each(["", "Redis", "monitoring/prometheus", "-redis", "redis-", "re_dis", "a..b", "a".repeat(254)])(
    "rejects %s",
    (name) => {
      expect(isValidObjectName(name)).toBe(false);
    },
  );
  it("namespaces are labels: no dots, at most 63 characters", () => {
    expect(isValidNamespaceName("monitoring")).toBe(true);
    expect(isValidNamespaceName("a.b")).toBe(false);
    expect(isValidNamespaceName("a".repeat(64))).toBe(false);
  });
});

describe("dependencySetKey", () => {
  it("is unchanged by order, duplicates and an explicit own namespace", () => {
    const a = release("default/backend", { dependsOn: ["redis", "db"] });
    const b = release("default/backend", { dependsOn: ["db", "default/redis", "redis"] });
    expect(dependencySetKey(a)).toBe(dependencySetKey(b));
  });

  it("changes when an entry, its namespace or its readyExpr changes", () => {
    const base = dependencySetKey(release("default/backend", { dependsOn: ["redis"] }));
    expect(dependencySetKey(release("default/backend", { dependsOn: ["cache/redis"] }))).not.toBe(base);
    expect(dependencySetKey(release("default/backend", { dependsOn: ["redis", "db"] }))).not.toBe(base);
    expect(dependencySetKey(release("default/backend", { dependsOn: [{ name: "redis", readyExpr: "true" }] }))).not.toBe(
      base,
    );
  });
});
