// `check` against the real tools on whole repositories (../shared/fixtures/real-world-full, read in place):
// for every build of every cluster `check` finds, the same folder is built by kustomize itself with
// kustomize-controller's own steps around it (test/helpers/flux-oracle.ts), and the Flux objects each
// build yields, by (group, kind, namespace, name), and each one's dependsOn must be the same. A
// difference fails with the build's folder. A new repository is one line in REPOS.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { differencesWithFlux } from "./helpers/flux-oracle.js";

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

const scratch = mkdtempSync(join(tmpdir(), "releasegate-oracle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!haveCorpus)(`check against kubectl kustomize on whole repos (skipped: ${CORPUS} is absent)`, () => {
  it.each(REPOS)("%s", { timeout: 240_000 }, async (repo) => {
    expect(await differencesWithFlux(join(CORPUS, repo), join(scratch, repo))).toEqual([]);
  });
});
