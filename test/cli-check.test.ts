// `releasegate check` and `releasegate graph` run as a user runs them: the built binary, real files,
// exit codes and output (DESIGN.md, Interfaces).
import { existsSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

interface JsonReport {
  objects: number;
  problems: { type: string; kind: string; object: string; dependency?: string; cycle?: string[]; message: string }[];
}

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
    expect(result.stdout).toContain("2 objects checked, no problem found");
  });

  it("accepts the failure scenario: a bad image tag is a runtime failure, not a graph problem", async () => {
    expect((await runCli(["check", "examples/failure"])).code).toBe(0);
  });

  it("reports the cycle with its whole path, file and line", async () => {
    const result = await runCli(["check", "examples/cycle"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^examples\/cycle\/backend\.yaml:\d+: default\/backend: dependency cycle default\/backend → default\/redis → default\/backend/m);
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
    expect(Object.keys(problem ?? {}).sort()).toEqual(["cycle", "dependency", "kind", "message", "object", "type"]);
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

// Flux's own example manifests are read in place from ../shared/fixtures/flux (never copied here).
const SHARED_FLUX = "../shared/fixtures/flux";
const haveSharedFlux = existsSync(SHARED_FLUX);
if (!haveSharedFlux) {
  if (process.env.CI === "true") throw new Error(`${SHARED_FLUX} is missing: CI needs ../shared/fixtures`);
  console.log(`skipping the check of Flux's example manifests: ${SHARED_FLUX} not found`);
}

describe("releasegate check on real Flux repositories", () => {
  it.skipIf(!haveSharedFlux)("finds nothing wrong in Flux's own example manifests", async () => {
    const { code, report } = await checkJson(SHARED_FLUX);
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
    expect(report.objects).toBeGreaterThan(5);
  });

  // A careful manual analysis of these live repos found no cycle and no missing dependency.
  const corpus = "test/fixtures/real-world";
  for (const repo of readdirSync(new URL("fixtures/real-world/", import.meta.url))) {
    if (repo.endsWith(".md")) continue;
    it(`finds nothing wrong in ${repo}`, async () => {
      const { code, report } = await checkJson(`${corpus}/${repo}`);
      expect(report.problems).toEqual([]);
      expect(code).toBe(0);
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
      { id: "default/backend", level: 1, cycle: false },
      { id: "default/redis", level: 0, cycle: false },
    ]);
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
