// One small repo per rule of Flux, kustomize or the Flux Operator that `check` follows (docs/behaviour.md,
// What check sees), each run through the CLI both ways: as written, `check` reports nothing false; with
// a typo planted in the same layout, it reports the typo where a person fixes it. Each fixture is also
// built by kustomize itself with kustomize-controller's steps (test/helpers/flux-oracle.ts), so the
// fixture shows what Flux does, not what `check` believes.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "./helpers/cli.js";
import { differencesWithFlux } from "./helpers/flux-oracle.js";

interface JsonProblem {
  type: string;
  kind: string;
  object: string;
  dependency?: string;
  cluster: string;
  file: string;
  line: number;
  message: string;
}

interface JsonReport {
  clusters: { name: string; objects: number }[];
  objects: number;
  problems: JsonProblem[];
}

const FIXTURES = join(repoRoot, "test/fixtures/manifests/rules");
const scratch = mkdtempSync(join(tmpdir(), "releasegate-rules-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function checkJson(path: string): Promise<{ code: number | null; report: JsonReport }> {
  const result = await runCli(["check", "--output", "json", path]);
  try {
    return { code: result.code, report: JSON.parse(result.stdout) as JsonReport };
  } catch {
    throw new Error(`check ${path} printed no JSON (exit ${result.code}): ${result.stderr}`);
  }
}

/** A copy of the fixture with `from` replaced by `to` in `file` (which must hold it once). */
function withTypo(fixture: string, file: string, from: string, to: string): string {
  const copy = join(scratch, `${fixture}-typo`);
  cpSync(join(FIXTURES, fixture), copy, { recursive: true });
  const text = readFileSync(join(copy, file), "utf8");
  expect(text.split(from)).toHaveLength(2);
  writeFileSync(join(copy, file), text.replace(from, to));
  return copy;
}

function lineOf(path: string, needle: string): number {
  const index = readFileSync(path, "utf8").split("\n").findIndex((line) => line.includes(needle));
  expect(index, `${needle} in ${path}`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

interface Rule {
  fixture: string;
  /** What `check` reads as written: clusters and their object counts; problems expected (only for the go-yaml fixture). */
  clusters: [string, number][];
  problems?: Partial<JsonProblem>[];
  /** The typo, the problem it causes, and the file (default: the typo's) and text of the line it is reported at. */
  typo: { file: string; from: string; to: string; expect: Partial<JsonProblem>; reportedIn?: string; lineOf: string };
}

const RULES: Rule[] = [
  {
    // Rule 1: a ResourceSet's HelmRelease and Kustomization of the same name are two objects.
    fixture: "identity",
    clusters: [["clusters/main", 7]],
    typo: {
      file: "apps/frontend.yaml",
      from: "dependsOn:\n    - name: podinfo\n  interval",
      to: "dependsOn:\n    - name: podinfoo\n  interval",
      expect: { type: "missing", kind: "Kustomization", object: "apps/frontend", dependency: "apps/podinfoo" },
      lineOf: "- name: podinfoo",
    },
  },
  {
    // Rule 4: `namespace:` renames the Namespace before replacements copy its name into targetNamespace.
    fixture: "namespace-before-replacements",
    clusters: [["clusters/main", 6]],
    typo: {
      file: "apps/media/web/app/helmrelease.yaml",
      from: "- name: podinfo",
      to: "- name: podinf0",
      expect: { type: "missing", kind: "HelmRelease", object: "media/web", dependency: "media/podinf0" },
      lineOf: "- name: podinf0",
    },
  },
  {
    // Rule 5: a component's patch adds a dependency to the including kustomization's resources.
    fixture: "component-patches",
    clusters: [["clusters/main", 4]],
    typo: {
      file: "components/web-needs-db/kustomization.yaml",
      from: "- name: db",
      to: "- name: dbb",
      expect: { type: "missing", kind: "Kustomization", object: "flux-system/web", dependency: "flux-system/dbb" },
      // The entry is in the component, not in web's file: the report stays at web's metadata.name.
      reportedIn: "apps/web.yaml",
      lineOf: "name: web",
    },
  },
  {
    // Rule 6: `*app:` is an alias used as a key (go-yaml), and a file Flux cannot read fails only its build.
    fixture: "go-yaml",
    clusters: [["clusters/main", 5]],
    problems: [{ type: "build", kind: "Kustomization", object: "flux-system/broken", file: "broken/cache.yaml" }],
    typo: {
      file: "apps/web.yaml",
      from: "- name: redis",
      to: "- name: rediss",
      expect: { type: "missing", kind: "HelmRelease", object: "default/web", dependency: "default/rediss" },
      lineOf: "- name: rediss",
    },
  },
  {
    // Rule 7: a Kustomization applying its own folder, applied by another, is no cluster of its own.
    fixture: "self-including",
    clusters: [["clusters/main", 6]],
    typo: {
      file: "clusters/main/apps.yaml",
      from: "- name: controllers",
      to: "- name: controller",
      expect: { type: "missing", kind: "Kustomization", object: "flux-system/apps", dependency: "flux-system/controller" },
      lineOf: "- name: controller",
    },
  },
  {
    // Rule 8: `/*` then `!/k8s/prod` keeps k8s/prod/**; a file brought back below an ignored folder is read.
    fixture: "sourceignore-last-match",
    clusters: [["k8s/prod", 4]],
    typo: {
      file: "k8s/prod/apps/web.yaml",
      from: "- name: cache",
      to: "- name: cahce",
      expect: { type: "missing", kind: "HelmRelease", object: "default/web", dependency: "default/cahce" },
      lineOf: "- name: cahce",
    },
  },
  {
    // Rule 9: substituteFrom reads the ConfigMap of the cluster being checked.
    fixture: "substitute-from-cluster",
    clusters: [
      ["clusters/a", 4],
      ["clusters/b", 4],
    ],
    typo: {
      file: "clusters/b/settings.yaml",
      from: "DATABASE: postgres-b",
      to: "DATABASE: postgres-c",
      expect: { type: "missing", kind: "HelmRelease", object: "default/web", dependency: "default/postgres-c", cluster: "clusters/b" },
      reportedIn: "apps/web.yaml",
      lineOf: "- name: ${DATABASE}",
    },
  },
  {
    // Rule 3 (check's part): the CRDs of Flux's kinds exist when the FluxInstance lists their component,
    // and a CRD manifest the cluster's builds apply exists.
    fixture: "flux-crds",
    clusters: [["clusters/main", 3]],
    typo: {
      file: "clusters/main/flux-system/flux-instance.yaml",
      from: "- helm-controller",
      to: "- helm-controler",
      expect: { type: "missing", kind: "ResourceSet", object: "flux-system/apps" },
      reportedIn: "clusters/main/apps.yaml",
      // The entry starts at its first field.
      lineOf: "- apiVersion: apiextensions.k8s.io/v1",
    },
  },
];

describe("check follows each rule of Flux and kustomize (fixtures in test/fixtures/manifests/rules)", () => {
  describe.each(RULES.map((rule) => [rule.fixture, rule] as const))("%s", (fixture, rule) => {
    it("reports nothing false as written", async () => {
      const { code, report } = await checkJson(join(FIXTURES, fixture));
      expect(report.clusters.map((cluster) => [cluster.name, cluster.objects])).toEqual(rule.clusters);
      const expected = (rule.problems ?? []).map((problem) => expect.objectContaining({ ...problem, ...(problem.file ? { file: join(FIXTURES, fixture, problem.file) } : {}) }));
      expect(report.problems).toEqual(expected);
      expect(code).toBe(expected.length === 0 ? 0 : 1);
    });

    it("catches a typo planted in the same layout, at the line to fix", async () => {
      const copy = withTypo(fixture, rule.typo.file, rule.typo.from, rule.typo.to);
      const { code, report } = await checkJson(copy);
      expect(code).toBe(1);
      const file = rule.typo.reportedIn ?? rule.typo.file;
      expect(report.problems).toContainEqual(expect.objectContaining({ ...rule.typo.expect, file: join(copy, file), line: lineOf(join(copy, file), rule.typo.lineOf) }));
    });

    it("builds as kubectl kustomize with kustomize-controller's steps builds it", { timeout: 60_000 }, async () => {
      expect(await differencesWithFlux(join(FIXTURES, fixture), join(scratch, `${fixture}-oracle`))).toEqual([]);
    });
  });
});
