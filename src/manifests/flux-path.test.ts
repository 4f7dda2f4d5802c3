import { describe, expect, it } from "vitest";
import { resolveFluxPath } from "./flux-path.js";

const root = "/repo";
const folders = ["/repo", "/repo/apps", "/repo/apps/staging", "/repo/clusters", "/repo/clusters/staging", "/repo/kubernetes", "/repo/kubernetes/apps"];
const isDirectory = (path: string) => folders.includes(path);
const definedIn = "/repo/clusters/staging/apps.yaml";

describe("resolveFluxPath", () => {
  it("takes spec.path from the root when that folder exists", () => {
    expect(resolveFluxPath("./kubernetes/apps", root, folders, { definedIn }, isDirectory)).toBe("/repo/kubernetes/apps");
    expect(resolveFluxPath("", root, folders, { definedIn }, isDirectory)).toBe("/repo");
    expect(resolveFluxPath("./", root, folders, { definedIn, sourceName: "flux-system" }, isDirectory)).toBe("/repo");
  });

  it("does not take the whole repo for the root of another source", () => {
    expect(resolveFluxPath("", root, folders, { definedIn, sourceName: "tenant-repo" }, isDirectory)).toBeUndefined();
  });

  it("matches a path relative to another artifact by folder suffix", () => {
    expect(resolveFluxPath("./apps", "/repo/kubernetes", folders.slice(5), { definedIn }, isDirectory)).toBe(
      "/repo/kubernetes/apps",
    );
  });

  it("prefers the folder named like the source artifact, then one not holding the Kustomization", () => {
    expect(resolveFluxPath("./staging", root, folders, { definedIn, sourceName: "apps" }, isDirectory)).toBe("/repo/apps/staging");
    expect(resolveFluxPath("./staging", root, folders, { definedIn }, isDirectory)).toBe("/repo/apps/staging");
  });

  it("matches whole folder names only, and gives up when nothing matches", () => {
    expect(resolveFluxPath("./ging", root, folders, { definedIn }, isDirectory)).toBeUndefined();
    expect(resolveFluxPath("./nowhere/apps", root, folders, { definedIn }, isDirectory)).toBeUndefined();
  });
});
