// `releasegate check` and `releasegate graph` run as a user runs them: the built binary, real files,
// exit codes and output (docs/behaviour.md, Interfaces).
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "./helpers/cli.js";

interface JsonProblem {
  type: string;
  kind: string;
  object: string;
  dependency?: string;
  cycle?: string[];
  cluster: string;
  file: string;
  line: number;
  message: string;
}

interface JsonReport {
  clusters: { name: string; objects: number }[];
  objects: number;
  problems: JsonProblem[];
  unreached?: string[];
}

const FIXTURES = "test/fixtures/manifests";
/** The shared corpus (real-world repos), read in place; absent in a plain clone. */
const SHARED_CORPUS = "../shared/fixtures/real-world";
const haveCorpus = existsSync(resolve(repoRoot, SHARED_CORPUS));
if (!haveCorpus && process.env["CI"] === "true") throw new Error(`${SHARED_CORPUS} is missing: under CI the real-world corpus must be there`);

async function checkJson(...args: string[]): Promise<{ code: number | null; report: JsonReport }> {
  const result = await runCli(["check", "--output", "json", ...args]);
  try {
    return { code: result.code, report: JSON.parse(result.stdout) as JsonReport };
  } catch {
    throw new Error(`check ${args.join(" ")} printed no JSON (exit ${result.code}): ${result.stderr}`);
  }
}

describe("releasegate check on the examples", () => {
  it("accepts the chain", async () => {
    const result = await runCli(["check", "examples/chain"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("2 objects in 1 cluster; no problem found");
  });

  it("accepts the failure scenario: a bad image tag is a runtime failure, not a graph problem", async () => {
    expect((await runCli(["check", "examples/failure"])).code).toBe(0);
  });

  it("reports the cycle with its whole path, file and line", async () => {
    const result = await runCli(["check", "examples/cycle"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^examples\/cycle\/[^:]+:\d+: default\/backend: dependency cycle default\/backend → default\/redis → default\/backend/m);
    expect(result.stdout).toMatch(/1 problem \(1 cycle\)/);
  });

  it("prints the documented JSON shape for a cycle", async () => {
    const { code, report } = await checkJson("examples/cycle");
    expect(code).toBe(1);
    expect(report.objects).toBe(2);
    expect(report.problems).toHaveLength(1);
    const [problem] = report.problems;
    expect(problem).toMatchObject({ type: "cycle", kind: "HelmRelease", object: "default/backend" });
    expect(problem?.cycle).toEqual(["default/backend", "default/redis", "default/backend"]);
    expect(problem?.dependency).toBe("default/redis");
    expect(problem?.cluster).toBe(".");
    expect(problem?.file).toMatch(/^examples\/cycle\//);
    expect(problem?.line).toBeGreaterThan(0);
    expect(Object.keys(problem ?? {}).sort()).toEqual(["cluster", "cycle", "dependency", "file", "kind", "line", "message", "object", "type"]);
    expect(report.clusters).toEqual([{ name: ".", objects: 2 }]);
  });

  it("reports the typo with a did-you-mean", async () => {
    const { code, report } = await checkJson("examples/missing");
    expect(code).toBe(1);
    expect(report.problems).toEqual([
      expect.objectContaining({ type: "missing", object: "default/backend", dependency: "default/redsi" }),
    ]);
    expect(report.problems[0]?.message).toContain("did you mean default/redis?");
  });

  it("allows cross-namespace dependencies by default and reports them with --cross-namespace deny", async () => {
    expect((await runCli(["check", "examples/cross-namespace"])).code).toBe(0);
    const { code, report } = await checkJson("--cross-namespace", "deny", "examples/cross-namespace");
    expect(code).toBe(1);
    expect(report.problems).toEqual([
      expect.objectContaining({ type: "cross-namespace", object: "default/grafana", dependency: "monitoring/prometheus" }),
    ]);
  });

  it("reads stdin, as after `kustomize build | releasegate check -`", async () => {
    const manifest = [
      "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata: {name: a, namespace: apps}\nspec: {dependsOn: [{name: b}]}",
      "apiVersion: helm.toolkit.fluxcd.io/v2beta2\nkind: HelmRelease\nmetadata: {name: b, namespace: apps}\nspec: {dependsOn: [{name: a}]}",
    ].join("\n---\n");
    const result = await runCli(["check", "--output", "json", "-"], { stdin: manifest });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.problems[0]?.cycle).toEqual(["apps/a", "apps/b", "apps/a"]);
  });
});

describe("releasegate check on bad input and bad usage", () => {
  it("exits 2 with one line naming file and line for malformed YAML", async () => {
    const result = await runCli(["check", "-"], { stdin: "kind: HelmRelease\nmetadata: {name: x\n" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/:\d+/);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("exits 2 for a path that does not exist, an unknown flag or no path", async () => {
    for (const args of [["check", "no/such/folder"], ["check", "--frobnicate", "examples"], ["check"], ["check", "--output", "xml", "examples"]]) {
      const result = await runCli(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
  });

  it("answers --help and --version", async () => {
    expect((await runCli(["--help"])).stdout).toContain("check");
    expect((await runCli(["check", "--help"])).stdout).toContain("--output text|json");
    expect((await runCli(["--version"])).stdout).toMatch(/^releasegate \d+\.\d+\.\d+/);
  });
});

describe.skipIf(!haveCorpus)(`releasegate check on real Flux repositories (skipped: ${SHARED_CORPUS} is absent)`, () => {
  // A manual analysis of these repos (their README) found no cycle and no missing dependency.
  const expected: Record<string, string[]> = {
    "billimek__k8s-gitops": ["."],
    "bjw-s-labs__home-ops": ["kubernetes/flux/cluster"],
    "buroa__k8s-gitops": ["kubernetes/flux/cluster"],
    "fluxcd__flux2-kustomize-helm-example": ["clusters/production", "clusters/staging"],
    "onedr0p__home-ops": ["kubernetes/flux/cluster"],
    "xunholy__k8s-gitops": ["kubernetes/clusters/cluster-00"],
  };
  // Bootstrap-order warnings (exit 0): HelmReleases whose dependency another Kustomization applies, without
  // their own Kustomization depending on it (checked by reading each one's ks.yaml).
  const orderWarnings: Record<string, string[]> = {
    "xunholy__k8s-gitops": [
      "democratic-csi/democratic-csi → kube-system/snapshot-controller",
      "home-system/autobrr → home-system/qbittorrent",
      "network-system/oauth2-proxy → network-system/cert-manager",
      "network-system/oauth2-proxy → network-system/dex",
      "observability/kromgo → observability/kube-prometheus-stack",
      "observability/kube-prometheus-stack → observability/grafana",
    ],
  };
  const repos = haveCorpus ? readdirSync(resolve(repoRoot, SHARED_CORPUS)).filter((name) => !name.endsWith(".md")) : [];
  for (const repo of repos) {
    it(`names the clusters of ${repo} and finds nothing wrong`, async () => {
      const { code, report } = await checkJson(`${SHARED_CORPUS}/${repo}`);
      const order = report.problems.filter((p) => p.type === "order");
      expect(order.map((p) => `${p.object} → ${p.dependency}`)).toEqual(orderWarnings[repo] ?? []);
      expect(report.problems.filter((p) => p.type !== "order")).toEqual([]);
      expect(code).toBe(0);
      expect(report.clusters.map((cluster) => cluster.name)).toEqual(expected[repo]);
      expect(report.objects).toBeGreaterThan(5);
    });
  }
});

describe("releasegate graph", () => {
  it("prints DOT with the cycle marked", async () => {
    const result = await runCli(["graph", "examples/cycle"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^digraph releasegate \{/);
    expect(result.stdout).toContain('"HelmRelease/default/backend" -> "HelmRelease/default/redis" [color=red];');
  });

  it("prints Mermaid and JSON with levels for a chain", async () => {
    const mermaid = await runCli(["graph", "--format", "mermaid", "examples/chain"]);
    expect(mermaid.stdout).toMatch(/^flowchart BT/);
    const json = await runCli(["graph", "--format", "json", "examples/chain"]);
    const parsed = JSON.parse(json.stdout) as { graphs: { nodes: { id: string; level: number }[] }[] };
    expect(parsed.graphs[0]?.nodes).toEqual([
      { id: "HelmRelease/default/backend", kind: "HelmRelease", object: "default/backend", level: 1, cycle: false, duplicate: false, state: "unknown" },
      { id: "HelmRelease/default/redis", kind: "HelmRelease", object: "default/redis", level: 0, cycle: false, duplicate: false, state: "unknown" },
    ]);
  });

  it("draws one graph across kinds: a ResourceSet's edge reaches the HelmRelease it names", async () => {
    const json = await runCli(["graph", "--format", "json", `${FIXTURES}/resourceset-dependencies`]);
    const parsed = JSON.parse(json.stdout) as { graphs: { edges: { from: string; to: string; missing: boolean; cycle: boolean }[] }[] };
    expect(parsed.graphs).toHaveLength(1);
    expect(parsed.graphs[0]?.edges).toContainEqual({ from: "ResourceSet/flux-system/apps", to: "HelmRelease/flux-system/database", missing: false, cycle: false });
    expect(parsed.graphs[0]?.edges).toContainEqual({ from: "ResourceSet/flux-system/apps", to: "Deployment/default/web", missing: true, cycle: false });
    const mermaid = await runCli(["graph", "--format", "mermaid", `${FIXTURES}/resourceset-dependencies`]);
    expect(mermaid.stdout).toContain('["HelmRelease flux-system/database"]');
    expect(mermaid.stdout).not.toContain("flux-system/database (missing)");
    const dot = await runCli(["graph", `${FIXTURES}/resourceset-dependencies`]);
    expect(dot.stdout).toContain('"ResourceSet/flux-system/apps" -> "HelmRelease/flux-system/database";');
  });
});

describe("releasegate graph per cluster", () => {
  it("draws each cluster's graph apart, though both use the same names", async () => {
    const json = await runCli(["graph", "--format", "json", `${FIXTURES}/two-clusters`]);
    const parsed = JSON.parse(json.stdout) as { graphs: { cluster: string; edges: { to: string; missing: boolean }[] }[] };
    expect(parsed.graphs.map((graph) => graph.cluster)).toEqual(["clusters/a", "clusters/b"]);
    expect(parsed.graphs[1]?.edges).toEqual([expect.objectContaining({ to: "Kustomization/flux-system/infrra", missing: true })]);
    const dot = await runCli(["graph", `${FIXTURES}/two-clusters`]);
    expect(dot.stdout).toContain('"clusters/b:Kustomization/flux-system/apps" -> "clusters/b:Kustomization/flux-system/infrra" [style=dashed, color=orange];');
  });
});

describe("releasegate check on substituted names", () => {
  it("does not call a dependency missing when its name is a variable it cannot resolve offline", async () => {
    const manifest = [
      "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: apps}\nspec: {dependsOn: [{name: '${DATABASE}'}, {name: typo}]}",
    ].join("\n---\n");
    const result = await runCli(["check", "--output", "json", "-"], { stdin: manifest });
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.problems.map((p) => p.dependency)).toEqual(["apps/typo"]);
  });
});

describe("releasegate check follows what Flux would apply, per cluster", () => {
  const fixture = (name: string) => `${FIXTURES}/${name}`;

  it("checks each cluster on its own, though both define the same Kustomization names", async () => {
    const { code, report } = await checkJson(fixture("two-clusters"));
    expect(report.clusters.map((cluster) => cluster.name)).toEqual(["clusters/a", "clusters/b"]);
    expect(report.problems).toEqual([
      expect.objectContaining({
        type: "missing",
        cluster: "clusters/b",
        object: "flux-system/apps",
        dependency: "flux-system/infrra",
        file: `${fixture("two-clusters")}/clusters/b/apps.yaml`,
        // The dependsOn entry to fix, not the object's name.
        line: 12,
      }),
    ]);
    expect(code).toBe(1);
  });

  it("counts the root Kustomization a FluxInstance generates from its sync (named sync.name, else its namespace)", async () => {
    const { code, report } = await checkJson(fixture("flux-instance"));
    expect(report.clusters.map((cluster) => cluster.name)).toEqual(["clusters/prod", "clusters/staging"]);
    // prod's apps waits for flux-system/flux-system, staging's for flux-system/fleet (the chart's
    // values name it): both exist. Staging has no flux-system Kustomization, so that entry is missing.
    expect(report.problems).toEqual([expect.objectContaining({ type: "missing", cluster: "clusters/staging", object: "flux-system/apps", dependency: "flux-system/flux-system" })]);
    expect(code).toBe(1);
  });

  it("checks one cluster with --cluster, by its folder or its last name", async () => {
    expect((await checkJson("--cluster", "clusters/a", fixture("two-clusters"))).code).toBe(0);
    const { code, report } = await checkJson("--cluster", "b", fixture("two-clusters"));
    expect(code).toBe(1);
    expect(report.clusters.map((cluster) => cluster.name)).toEqual(["clusters/b"]);
    const unknown = await runCli(["check", "--cluster", "nope", fixture("two-clusters")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toContain("clusters/a, clusters/b");
  });

  it("ignores a ks.yaml commented out of its parent kustomization, and what only it defines does not exist", async () => {
    const { code, report } = await checkJson("--include-unreached", fixture("commented-out"));
    // web depends on loki, whose Kustomization no build applies: Flux would block web forever.
    expect(report.problems).toEqual([
      expect.objectContaining({ type: "missing", kind: "HelmRelease", object: "web/web", dependency: "monitoring/loki" }),
    ]);
    expect(report.unreached).toEqual([
      `${fixture("commented-out")}/apps/loki/app/helmrelease.yaml`,
      `${fixture("commented-out")}/apps/loki/ks.yaml`,
    ]);
    expect(code).toBe(1);
  });

  it("does not check an _archive/ folder that no build includes, and counts it in the summary", async () => {
    const result = await runCli(["check", fixture("archive")]);
    expect(result.stdout).toContain("3 objects in 1 cluster (clusters/main); 1 file no Flux build applies; no problem found");
    expect(result.code).toBe(0);
    const listed = await runCli(["check", "--include-unreached", fixture("archive")]);
    expect(listed.stdout).toContain(`${fixture("archive")}/_archive/old-apps/ks.yaml: no Flux build applies this file`);
  });

  it("reports an object that gets no namespace inside a Flux build, as Flux refuses it", async () => {
    const { code, report } = await checkJson(fixture("no-namespace"));
    expect(report.problems).toEqual([
      expect.objectContaining({ type: "no-namespace", kind: "HelmRelease", object: "podinfo", file: `${fixture("no-namespace")}/apps/podinfo.yaml`, line: 4 }),
    ]);
    expect(code).toBe(1);
  });

  it("follows kustomize replacements that set a Flux Kustomization's targetNamespace", async () => {
    const { code, report } = await checkJson(fixture("replacements"));
    // The fixture's root applies storefront and the apps Kustomization that makes its dependency: a warning only.
    expect(report.problems.map((p) => [p.type, p.object, p.dependency])).toEqual([["order", "shop/storefront", "shop/backend"]]);
    expect(code).toBe(0);
  });

  it("applies a parent Kustomization's spec.patches (strategic merge and JSON 6902) to its children", async () => {
    const { code, report } = await checkJson(fixture("flux-patches"));
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
  });

  it("leaves out what the source ignores: its spec.ignore and .sourceignore files", async () => {
    const { code, report } = await checkJson("--include-unreached", fixture("source-ignore"));
    expect(report.problems).toEqual([]);
    expect(report.unreached).toEqual([
      `${fixture("source-ignore")}/apps/drafts/search.yaml`,
      `${fixture("source-ignore")}/apps/gallery.draft.yaml`,
    ]);
    expect(code).toBe(0);
  });

  it("counts a HelmRelease a ResourceSet generates from inline inputs as existing", async () => {
    const { code, report } = await checkJson(fixture("resourceset-inline"));
    expect(report.problems).toEqual([]);
    expect(report.objects).toBe(6); // the ResourceSet itself is an object of the graph too
    expect(code).toBe(0);
  });

  it("calls a dependency only a ResourceSet with inputsFrom could generate unverified, failing only with --strict", async () => {
    const { code, report } = await checkJson(fixture("resourceset-inputs-from"));
    expect(report.problems).toEqual([
      expect.objectContaining({ type: "unverified", object: "apps/smoke-tests", dependency: "apps/preview-42" }),
    ]);
    expect(report.problems[0]?.message).toContain("ResourceSet apps/previews");
    expect(code).toBe(0);
    expect((await checkJson("--strict", fixture("resourceset-inputs-from"))).code).toBe(1);
  });
});

describe("releasegate check on duplicates", () => {
  it("fails on examples/ as a whole: the cycle example's objects are defined twice, and the cycle counts", async () => {
    const { code, report } = await checkJson("examples");
    const duplicates = report.problems.filter((problem) => problem.type === "duplicate");
    expect(duplicates.map((problem) => problem.object)).toEqual(expect.arrayContaining(["default/backend", "default/redis"]));
    // Each names both places, file:line.
    for (const problem of duplicates) expect(problem.message).toMatch(/at examples\/[^:]+:\d+ and at examples\/[^:]+:\d+/);
    expect(code).toBe(1);
  });

  it("gives the same answer for check A B and check B A", async () => {
    const ab = await runCli(["check", "--output", "json", "examples/chain", "examples/cycle"]);
    const ba = await runCli(["check", "--output", "json", "examples/cycle", "examples/chain"]);
    expect(ab.stdout).toBe(ba.stdout);
    expect(ab.code).toBe(1);
    expect((JSON.parse(ab.stdout) as JsonReport).problems.some((problem) => problem.type === "duplicate")).toBe(true);
  });
});

describe("releasegate check when there is nothing to check", () => {
  const scratch = mkdtempSync(join(tmpdir(), "releasegate-check-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("exits 2 with one line for an empty folder, a folder without Flux objects, random bytes and empty stdin", async () => {
    const emptyFolder = mkdtempSync(join(scratch, "empty-"));
    const random = join(scratch, "random.yaml");
    writeFileSync(random, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 17) % 256)));
    for (const args of [[emptyFolder], [`${FIXTURES}/no-flux`], [random], ["-"]]) {
      const result = await runCli(["check", ...args], { stdin: "" });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(result.stdout, args.join(" ")).toBe("");
    }
    const allowed = await runCli(["check", "--allow-empty", emptyFolder]);
    expect(allowed.code).toBe(0);
  });

  it("names the command once in a usage error", async () => {
    const result = await runCli(["check", "--frobnicate", "examples"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^releasegate check: /);
    expect(result.stderr).not.toMatch(/check: check:/);
  });
});

describe("releasegate check --output github", () => {
  it("prints one workflow annotation per problem with file and line", async () => {
    const result = await runCli(["check", "--output", "github", `${FIXTURES}/two-clusters`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^::error file=test\/fixtures\/manifests\/two-clusters\/clusters\/b\/apps\.yaml,line=12::flux-system\/apps: Kustomization flux-system\/infrra does not exist/m,
    );
  });

  it("makes an unverified dependency a warning unless --strict", async () => {
    const result = await runCli(["check", "--output", "github", `${FIXTURES}/resourceset-inputs-from`]);
    expect(result.stdout).toMatch(/^::warning file=[^:]+smoke-tests\.yaml,line=\d+::/m);
    expect(result.code).toBe(0);
  });
});

describe("ResourceSet dependsOn, offline", () => {
  const folder = `${FIXTURES}/resourceset-dependencies`;

  it("checks a ResourceSet's entries of every kind: missing, unverified for kinds check does not read, cycles", async () => {
    for (const args of [[folder], [`${folder}/resourcesets.yaml`, `${folder}/database.yaml`]]) {
      const { code, report } = await checkJson(...args);
      expect(code).toBe(1);
      expect(report.objects).toBe(4);
      const seen = report.problems.map((p) => [p.type, p.kind, p.object, p.cycle?.join(" → ") ?? p.dependency]);
      expect(seen).toEqual([
        ["unverified", "ResourceSet", "flux-system/apps", "default/web"],
        ["unverified", "ResourceSet", "flux-system/apps", "letsencrypt"],
        ["missing", "ResourceSet", "flux-system/apps", "flux-system/infra-absent"],
        ["cycle", "ResourceSet", "flux-system/ring-a", "flux-system/ring-a → flux-system/ring-b → flux-system/ring-a"],
      ]);
      expect(report.problems[0]?.message).toContain("Deployment default/web cannot be checked offline");
      // A problem with one entry at the line of that dependsOn entry; the cycle at its object's name.
      expect(report.problems.map((p) => p.line)).toEqual([15, 20, 24, 39]);
      expect(report.problems[2]).toMatchObject({ file: `${folder}/resourcesets.yaml`, line: 24 });
    }
  });

  it("passes unverified entries unless --strict", async () => {
    const dir = mkdtempSync(join(tmpdir(), "releasegate-rs-"));
    try {
      writeFileSync(
        join(dir, "rs.yaml"),
        "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata: {name: apps, namespace: flux-system}\n" +
          "spec:\n  dependsOn:\n    - {apiVersion: apps/v1, kind: Deployment, name: web, namespace: default}\n" +
          "  resources:\n    - {apiVersion: v1, kind: ConfigMap, metadata: {name: settings}}\n",
      );
      expect((await runCli(["check", dir])).code).toBe(0);
      expect((await runCli(["check", "--strict", dir])).code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
