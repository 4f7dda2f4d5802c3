import { describe, expect, it } from "vitest";
import { applyJson6902, applyPatches, patchesOf, strategicMerge } from "./patches.js";

const kustomization = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "kustomize.toolkit.fluxcd.io/v1",
  kind: "Kustomization",
  metadata: { name, labels },
  spec: { path: "./app", dependsOn: [{ name: "a" }] },
});

describe("kustomize patches on Flux objects", () => {
  it("merges maps, replaces lists (no merge keys on CRDs) and deletes on null", () => {
    expect(strategicMerge({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { c: null, d: 3 }, l: [3] })).toEqual({ a: { b: 1, d: 3 }, l: [3] });
  });

  it("applies JSON 6902 operations, appending with -", () => {
    const patched = applyJson6902(kustomization("web"), [
      { op: "add", path: "/spec/dependsOn/-", value: { name: "b" } },
      { op: "replace", path: "/spec/path", value: "./other" },
      { op: "remove", path: "/metadata/labels" },
    ]);
    expect(patched["spec"]).toEqual({ path: "./other", dependsOn: [{ name: "a" }, { name: "b" }] });
    expect(patched["metadata"]).toEqual({ name: "web" });
  });

  it("selects targets by kind, anchored name regex and label selector; keeps the object's identity", () => {
    const patches = patchesOf([
      {
        patch: "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: _}\nspec: {postBuild: {substitute: {X: y}}}",
        target: { kind: "Kustomization", name: "web|api", labelSelector: "defaults!=disabled" },
      },
    ]);
    const web = applyPatches(kustomization("web"), patches, "flux-system");
    expect(web?.["metadata"]).toEqual({ name: "web", labels: {} });
    expect((web?.["spec"] as Record<string, unknown>)["postBuild"]).toEqual({ substitute: { X: "y" } });
    expect(applyPatches(kustomization("webapp"), patches, "flux-system")).toEqual(kustomization("webapp"));
    expect(applyPatches(kustomization("api", { defaults: "disabled" }), patches, "flux-system")).toEqual(kustomization("api", { defaults: "disabled" }));
  });

  it("applies an untargeted strategic merge patch to the object of its own kind and name only", () => {
    const patches = patchesOf(["apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web}\nspec: {suspend: true}\n"]);
    expect((applyPatches(kustomization("web"), patches, undefined)?.["spec"] as Record<string, unknown>)["suspend"]).toBe(true);
    expect(applyPatches(kustomization("api"), patches, undefined)).toEqual(kustomization("api"));
  });
});
