// The manifest reader on real GitOps repos (../shared/fixtures/real-world, read in place; see its
// README). After following each repo's builds the way Flux applies them, per cluster:
// - every dependsOn entry names an object of the same kind in the same cluster (the README's expected
//   result: 0 missing dependencies in every repo);
// - every object gets a namespace from Flux, kustomize or its own manifest (no no-namespace problem);
// - the counts match what each repo's builds apply: files commented out of every build are not objects
//   (onedr0p and buroa comment out a runner; xunholy comments 45 files out of its cluster overlay).

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ManifestObject } from "../src/manifests/index.js";
import { readRepository } from "../src/manifests/index.js";

const CORPUS = resolve(fileURLToPath(new URL("..", import.meta.url)), "../shared/fixtures/real-world");
const haveCorpus = existsSync(CORPUS);
if (!haveCorpus && process.env["CI"] === "true") throw new Error(`${CORPUS} is missing: under CI the real-world corpus must be there`);
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
  /** Cluster name, HelmReleases, Flux Kustomizations. */
  clusters: [string, number, number][];
  unreached: number;
  /** Objects whose namespace comes from Flux or kustomize, not from their own manifest. */
  placed: string[];
}

const REPOS: Expected[] = [
  {
    folder: "onedr0p__home-ops",
    clusters: [["kubernetes/flux/cluster", 68, 78]],
    // runners/kustomization.yaml comments out ./home-operations: Flux never applies it.
    unreached: 1,
    placed: ["HelmRelease default/plex", "HelmRelease o11y/kube-prometheus-stack", "Kustomization kube-system/multus-networks", "Kustomization default/plex-tools"],
  },
  {
    folder: "bjw-s-labs__home-ops",
    clusters: [["kubernetes/flux/cluster", 79, 93]],
    unreached: 0,
    // ${APP}-anubis comes from a component with the forgejo Kustomization's variables.
    placed: ["HelmRelease dev/forgejo-anubis", "HelmRelease dev/forgejo", "Kustomization dev/forgejo"],
  },
  {
    folder: "buroa__k8s-gitops",
    clusters: [["kubernetes/flux/cluster", 60, 71]],
    unreached: 1,
    placed: ["HelmRelease networking/cloudflared", "Kustomization networking/multus-networks"],
  },
  {
    folder: "xunholy__k8s-gitops",
    clusters: [["kubernetes/clusters/cluster-00", 64, 71]],
    unreached: 45,
    // spec.path is relative to an artifact rooted at kubernetes/.
    placed: ["HelmRelease home-system/sonarr", "HelmRelease kube-system/cilium"],
  },
  { folder: "billimek__k8s-gitops", clusters: [[".", 74, 0]], unreached: 0, placed: [] },
  {
    folder: "fluxcd__flux2-kustomize-helm-example",
    clusters: [
      ["clusters/production", 3, 3],
      ["clusters/staging", 3, 3],
    ],
    unreached: 0,
    placed: ["HelmRelease podinfo/podinfo"],
  },
];

describe.skipIf(!haveCorpus)(`real-world repos (skipped: ${CORPUS} is absent)`, () => {
  it.each(REPOS.map((repo) => [repo.folder, repo] as const))("%s", async (_folder, expected) => {
    const repository = await readRepository([resolve(CORPUS, expected.folder)], { defaultNamespace: UNPLACED });
    const count = (objects: ManifestObject[], kind: string) => objects.filter((o) => o.kind === kind).length;
    expect(repository.clusters.map((c) => [c.name, count(c.objects, "HelmRelease"), count(c.objects, "Kustomization")])).toEqual(expected.clusters);
    expect(repository.unreached).toHaveLength(expected.unreached);
    for (const cluster of repository.clusters) {
      expect(missingDependencies(cluster.objects)).toEqual([]);
      expect(cluster.problems).toEqual([]);
      expect(cluster.objects.filter((o) => o.namespace === UNPLACED).map((o) => `${o.kind} ${o.name}`)).toEqual([]);
      expect(cluster.objects.filter((o) => o.unresolvedVariables).map((o) => o.name)).toEqual([]);
    }
    const keys = repository.clusters.flatMap((c) => c.objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`));
    for (const key of expected.placed) expect(keys).toContain(key);
  });
});
