// The manifest reader on real GitOps repos (test/fixtures/real-world, see its README) and on
// the Flux fixtures. After resolving namespaces the way Flux applies each repo:
// - every dependsOn entry names an object of the same kind that was read (the README's expected
//   result: 0 missing dependencies in every repo);
// - every object gets a namespace from Flux, kustomize or its own manifest; read with a sentinel
//   default namespace, only objects that nothing applies (a commented-out kustomize resource) land there;
// - the counts match what each repo defines (the README table counts documents; the flux2 example's
//   two patch documents and its per-cluster duplicates are not objects).

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { ManifestObject } from "../src/manifests/index.js";
import { readManifests } from "../src/manifests/index.js";

const FIXTURES = fileURLToPath(new URL("fixtures", import.meta.url));
// Flux's own examples are read in place from ../shared/fixtures/flux (never copied into the repository).
const SHARED_FLUX = resolve("../shared/fixtures/flux");
const haveSharedFlux = existsSync(SHARED_FLUX);
if (!haveSharedFlux) {
  if (process.env.CI === "true") throw new Error(`${SHARED_FLUX} is missing: CI needs ../shared/fixtures`);
  console.log(`skipping the Flux examples: ${SHARED_FLUX} not found (../shared/fixtures is absent)`);
}
const UNPLACED = "no-namespace-found";

/** dependsOn entries naming no object of the same kind that was read, as `kind ns/name -> ns/name`. */
function missingDependencies(objects: ManifestObject[]): string[] {
  const keys = new Set(objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`));
  const missing: string[] = [];
  for (const object of objects) {
    for (const dep of object.dependsOn) {
      const target = `${dep.namespace ?? object.namespace}/${dep.name}`;
      if (!keys.has(`${object.kind} ${target}`)) {
        missing.push(`${object.kind} ${object.namespace}/${object.name} -> ${target} (${object.source.file}:${object.source.line})`);
      }
    }
  }
  return missing;
}

interface Expected {
  folder: string;
  helmReleases: number;
  kustomizations: number;
  /** Objects that get no namespace from anywhere (`kind name`). */
  unplaced: string[];
  /** Objects whose namespace comes from Flux or kustomize, not from their own manifest. */
  placed: string[];
}

const REPOS: Expected[] = [
  {
    folder: "real-world/onedr0p__home-ops",
    helmReleases: 69,
    kustomizations: 78,
    // runners/kustomization.yaml comments out ./home-operations: Flux never applies it.
    unplaced: ["HelmRelease home-operations-runner"],
    placed: [
      "HelmRelease default/plex",
      "HelmRelease o11y/kube-prometheus-stack",
      "Kustomization kube-system/multus-networks",
      "Kustomization default/plex-tools",
    ],
  },
  {
    folder: "real-world/bjw-s-labs__home-ops",
    helmReleases: 79,
    kustomizations: 93,
    unplaced: [],
    // ${APP}-anubis comes from a component with the forgejo Kustomization's variables.
    placed: ["HelmRelease dev/forgejo-anubis", "HelmRelease dev/forgejo", "Kustomization dev/forgejo"],
  },
  {
    folder: "real-world/buroa__k8s-gitops",
    helmReleases: 61,
    kustomizations: 71,
    unplaced: ["HelmRelease home-operations-runner"],
    placed: ["HelmRelease networking/cloudflared", "Kustomization networking/multus-networks"],
  },
  {
    folder: "real-world/xunholy__k8s-gitops",
    helmReleases: 88,
    kustomizations: 97,
    unplaced: [],
    // spec.path is relative to an artifact rooted at kubernetes/.
    placed: ["HelmRelease home-system/sonarr", "HelmRelease kube-system/cilium"],
  },
  { folder: "real-world/billimek__k8s-gitops", helmReleases: 74, kustomizations: 0, unplaced: [], placed: [] },
  {
    folder: "real-world/fluxcd__flux2-kustomize-helm-example",
    helmReleases: 3,
    kustomizations: 3,
    unplaced: [],
    placed: ["HelmRelease podinfo/podinfo"],
  },
  {
    folder: "flux",
    helmReleases: 6,
    kustomizations: 2,
    // helm-controller's testdata leave the namespace to `kubectl apply -n`.
    unplaced: ["HelmRelease backend", "HelmRelease frontend"],
    placed: [],
  },
];

describe("real-world repos", () => {
  it.each(REPOS.filter((repo) => repo.folder !== "flux" || haveSharedFlux).map((repo) => [repo.folder, repo] as const))("%s", async (_folder, expected) => {
    const folder = expected.folder === "flux" ? SHARED_FLUX : resolve(FIXTURES, expected.folder);
    const objects = await readManifests([folder], { defaultNamespace: UNPLACED });
    expect(missingDependencies(objects)).toEqual([]);
    expect(objects.filter((o) => o.kind === "HelmRelease")).toHaveLength(expected.helmReleases);
    expect(objects.filter((o) => o.kind === "Kustomization")).toHaveLength(expected.kustomizations);
    expect(objects.filter((o) => o.namespace === UNPLACED).map((o) => `${o.kind} ${o.name}`)).toEqual(expected.unplaced);
    const keys = objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`);
    for (const key of expected.placed) expect(keys).toContain(key);
    expect(objects.filter((o) => o.unresolvedVariables).map((o) => o.name)).toEqual([]);
  });
});
