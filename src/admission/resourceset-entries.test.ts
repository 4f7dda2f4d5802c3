import { describe, expect, it } from "vitest";
import { release } from "../graph/test-helpers.test-support.js";
import type { DependencyEntry } from "../graph/types.js";
import { isApiVersion, resourceSetEntryProblems } from "./resourceset-entries.js";

const problemsOf = (...dependsOn: DependencyEntry[]) =>
  resourceSetEntryProblems(release("apps/platform", { kind: "ResourceSet", dependsOn }), "ResourceSet/apps/platform").map((p) => [p.type, p.entry, p.message]);

describe("ResourceSet entries", () => {
  it("accepts group/version, a core version, and every Flux kind's served versions", () => {
    for (const text of ["v1", "apps/v1", "helm.toolkit.fluxcd.io/v2beta2", "example.io/v1alpha1", "kustomize.toolkit.fluxcd.io/v1"]) expect(isApiVersion(text), text).toBe(true);
    expect(problemsOf({ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis" }, { apiVersion: "v1", kind: "ConfigMap", name: "x" })).toEqual([]);
  });

  it("refuses what cannot be an apiVersion or a kind, naming the entry", () => {
    for (const text of ["", "apps/", "/v1", "Apps/v1", "apps/v1/x", "apps/1", "apps/v0", "apps/vbeta1"]) expect(isApiVersion(text), text).toBe(false);
    expect(problemsOf({ apiVersion: "apps/v1/x", kind: "Deployment", name: "a" }, { apiVersion: "apps/v1", kind: "deploy ment", name: "b" }, { apiVersion: "apps/v1", name: "c" })).toEqual([
      ["invalid", 0, 'dependsOn[0].apiVersion "apps/v1/x" is not an API version: write group/version (apps/v1) or, for the core group, the version alone (v1)'],
      ["invalid", 1, 'dependsOn[1].kind "deploy ment" is not a kind: a kind is a name such as HelmRelease or Deployment, as in the object\'s own "kind:"'],
      ["invalid", 2, "dependsOn[2].kind is empty: set it to the dependency's kind (e.g. HelmRelease, Deployment)"],
    ]);
  });

  it("refuses a Flux kind at a version Flux does not serve, with the versions that do", () => {
    expect(problemsOf({ apiVersion: "kustomize.toolkit.fluxcd.io/v1beta1", kind: "Kustomization", name: "infra" })).toEqual([
      [
        "invalid",
        0,
        "dependsOn[0] names Kustomization at kustomize.toolkit.fluxcd.io/v1beta1, which the cluster does not serve, so the Flux Operator would wait for it for ever: use kustomize.toolkit.fluxcd.io/v1 or kustomize.toolkit.fluxcd.io/v1beta2",
      ],
    ]);
  });
});
