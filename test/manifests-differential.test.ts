// `check` against the real tools on whole repositories (../shared/fixtures/real-world-full, read in place):
// for every build of every cluster `check` finds, the same folder is built by kustomize itself with
// kustomize-controller's own steps around it (test/helpers/flux-oracle.ts), and the Flux objects each
// build yields, by (group, kind, namespace, name), and each one's dependsOn must be the same. A
// difference fails with the build's folder. A new repository is one line in REPOS.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readRepository } from "../src/manifests/index.js";
import type { ManifestObject } from "../src/manifests/index.js";
import { resolveFluxPath } from "../src/manifests/flux-path.js";
import { edgesOf, FluxOracle } from "./helpers/flux-oracle.js";
import type { OracleBuild } from "./helpers/flux-oracle.js";
import { bundledKubectl, systemKubectl } from "./helpers/tools.js";

const CORPUS = resolve(fileURLToPath(new URL("..", import.meta.url)), "../shared/fixtures/real-world-full");
const haveCorpus = existsSync(CORPUS);
if (!haveCorpus && process.env["CI"] === "true") throw new Error(`${CORPUS} is missing: under CI the whole-tree corpus must be there`);

/** One line per repository (its folder under the corpus). */
const REPOS = [
  "fluxcd__flux2-kustomize-helm-example",
  "onedr0p__home-ops",
  "bjw-s-labs__home-ops",
  "buroa__k8s-gitops",
  "xunholy__k8s-gitops",
  "billimek__k8s-gitops",
];

const GROUPS: Record<string, string> = {
  HelmRelease: "helm.toolkit.fluxcd.io",
  Kustomization: "kustomize.toolkit.fluxcd.io",
  ResourceSet: "fluxcd.controlplane.io",
};

const scratch = mkdtempSync(join(tmpdir(), "releasegate-oracle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function foldersOf(root: string): string[] {
  const folders: string[] = [];
  const walk = (folder: string) => {
    folders.push(folder);
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (name !== ".git" && statSync(path).isDirectory()) walk(path);
    }
  };
  walk(root);
  return folders;
}

/** check's objects grouped as the oracle groups its builds. */
function checkBuilds(objects: ManifestObject[]): Map<string, { objects: string[]; edges: string[] }> {
  const builds = new Map<string, { objects: string[]; edges: string[] }>();
  for (const object of objects) {
    for (const by of object.appliedBy ?? []) {
      // What a ResourceSet or a FluxInstance generates is no kustomize build.
      if (by.startsWith("ResourceSet ") || by.startsWith("FluxInstance ")) continue;
      const group = GROUPS[object.kind]!;
      const build = builds.get(by) ?? { objects: [], edges: [] };
      build.objects.push(`${group} ${object.kind} ${object.namespace}/${object.name}`);
      build.edges.push(...edgesOf(object.kind, object.namespace, object.name, group, object.dependsOn));
      builds.set(by, build);
    }
  }
  for (const build of builds.values()) {
    build.objects.sort();
    build.edges.sort();
  }
  return builds;
}

function difference(a: string[], b: string[]): string[] {
  const have = new Set(b);
  return a.filter((item) => !have.has(item));
}

/** Every difference between kustomize + Flux's steps and check, one line each naming the build. */
export function compareBuilds(oracle: OracleBuild[], check: Map<string, { objects: string[]; edges: string[] }>): string[] {
  const problems: string[] = [];
  const known = new Set<string>();
  for (const build of oracle) {
    known.add(build.by);
    const where = `${build.folder} (${build.by})`;
    if (build.error !== undefined) {
      problems.push(`${where}: kustomize fails: ${build.error}`);
      continue;
    }
    const mine = check.get(build.by) ?? { objects: [], edges: [] };
    // An object without a namespace is refused by Flux; check reports it as a no-namespace problem.
    const objects = build.objects.filter((key) => !key.includes(" /"));
    for (const key of difference(objects, mine.objects)) problems.push(`${where}: only kustomize yields ${key}`);
    for (const key of difference(mine.objects, objects)) problems.push(`${where}: only check yields ${key}`);
    const edges = build.edges.filter((edge) => !edge.split(" -> ")[0]!.includes(" /"));
    for (const edge of difference(edges, mine.edges)) problems.push(`${where}: only kustomize has ${edge}`);
    for (const edge of difference(mine.edges, edges)) problems.push(`${where}: only check has ${edge}`);
  }
  for (const [by, build] of check) {
    if (!known.has(by)) problems.push(`(${by}): check places ${build.objects.length} objects in a build kustomize-controller never makes`);
  }
  return problems;
}

describe.skipIf(!haveCorpus)(`check against kubectl kustomize on whole repos (skipped: ${CORPUS} is absent)`, () => {
  const kubectl = systemKubectl() ?? bundledKubectl();
  it.each(REPOS)("%s", { timeout: 240_000 }, async (repo) => {
    const root = join(CORPUS, repo);
    const folders = foldersOf(root);
    const repository = await readRepository([root], { defaultNamespace: "default" });
    const oracle = new FluxOracle(root, {
      kubectl,
      scratch: join(scratch, repo),
      resolvePath: (path, sourceName, definedIn) =>
        resolveFluxPath(path, root, folders, { definedIn, ...(sourceName === undefined ? {} : { sourceName }) }, (p) => existsSync(p) && statSync(p).isDirectory()),
    });
    const problems: string[] = [];
    for (const cluster of repository.clusters) {
      const builds = await oracle.cluster(join(root, cluster.name));
      problems.push(...compareBuilds(builds, checkBuilds(cluster.objects)).map((line) => `[${cluster.name}] ${line}`));
    }
    expect(problems).toEqual([]);
  });
});
