// The GitHub Action (action.yml), run the way the runner runs a JavaScript action: the action's files
// checked out on their own (no node_modules, no dist/), its inputs passed as INPUT_<NAME> variables with
// action.yml's defaults for the ones a workflow leaves out, `node <runs.main>` started in the workspace,
// a sample GitOps repository. Also the template's "check dist" step: the committed bundle is what
// `npm run build:action` builds from the sources now.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "./helpers/cli.js";

const run = promisify(execFile);

interface ActionMetadata {
  inputs: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; main: string };
}

describe("the GitHub Action", () => {
  let work = "";
  let checkout = "";
  let metadata: ActionMetadata;

  /** Runs the action as the runner does, with the workflow's `with:` inputs. */
  async function runAction(workspace: string, inputs: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, GITHUB_WORKSPACE: workspace, GITHUB_ACTIONS: "true" };
    for (const [name, spec] of Object.entries(metadata.inputs)) {
      env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = inputs[name] ?? spec.default ?? "";
    }
    return run(process.execPath, [join(checkout, metadata.runs.main)], { cwd: workspace, env, timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
    );
  }

  async function sampleRepo(name: string, examples: Record<string, string>): Promise<string> {
    const repo = join(work, name);
    for (const [folder, example] of Object.entries(examples)) await cp(join(repoRoot, "examples", example), join(repo, folder), { recursive: true });
    await writeFile(join(repo, "README.md"), "a GitOps repository\n");
    return repo;
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "releasegate-action-"));
    metadata = parse(await readFile(join(repoRoot, "action.yml"), "utf8")) as ActionMetadata;
    // What the runner downloads of the action's repository that matters here: no node_modules, no dist/.
    checkout = join(work, "_actions", "releasegate");
    await mkdir(checkout, { recursive: true });
    for (const file of ["action.yml", "package.json", metadata.runs.main]) await cp(join(repoRoot, file), join(checkout, file));
  });
  afterAll(async () => {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  it("is a JavaScript action on a Node the runners have, with documented inputs", () => {
    expect(metadata.runs.using).toMatch(/^node(20|24)$/);
    expect(Object.keys(metadata.inputs).sort()).toEqual(["args", "output", "paths"]);
    expect(metadata.inputs.output?.default).toBe("github");
  });

  it("has its bundle built from the sources as they are (run `npm run build:action` and commit action/index.js)", async () => {
    const fresh = join(work, "fresh-bundle.js");
    await run(process.execPath, [join(repoRoot, "action/bundle.mjs"), fresh], { cwd: repoRoot, timeout: 120_000 });
    const [built, committed] = await Promise.all([readFile(fresh, "utf8"), readFile(join(repoRoot, metadata.runs.main), "utf8")]);
    expect(built === committed, "action/index.js is out of date: run `npm run build:action` and commit it").toBe(true);
  }, 150_000);

  it("annotates each problem on its file and line, and fails the step", async () => {
    const repo = await sampleRepo("cycle-repo", { "apps/web": "chain", "apps/cache": "cycle" });
    // The chain's and the cycle's objects share names (a duplicate in one cluster): check one folder.
    const result = await runAction(repo, { paths: "apps/cache" });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "::error file=apps/cache/backend.yaml,line=4::default/backend: dependency cycle default/backend → default/redis → default/backend (defined at apps/cache/backend.yaml:4, apps/cache/redis.yaml:4): remove one of these dependsOn entries",
    );
  });

  it("passes on a repository without problems, with the default inputs (the whole workspace)", async () => {
    const repo = await sampleRepo("clean-repo", { "apps/web": "chain" });
    const result = await runAction(repo);
    expect(result.stdout).not.toContain("::error");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("2 objects in 1 cluster; no problem found");
  });

  it("passes extra flags and other output formats through", async () => {
    const repo = await sampleRepo("cross-repo", { monitoring: "cross-namespace" });
    expect((await runAction(repo)).code).toBe(0);
    const denied = await runAction(repo, { args: "--cross-namespace deny", output: "json" });
    expect(denied.code).toBe(1);
    const report = JSON.parse(denied.stdout) as { problems: Array<{ type: string; object: string }> };
    expect(report.problems.map((p) => [p.type, p.object])).toEqual([["cross-namespace", "default/grafana"]]);
  });

  it("reports a wrong input as one error annotation, exit 2", async () => {
    const repo = await sampleRepo("bad-input", { "apps/web": "chain" });
    const result = await runAction(repo, { output: "xml" });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^::error title=releasegate check::--output must be one of text, json, github/m);
  });

  it("runs with the README's workflow step as written, from a GitOps repository that is not the clone", async () => {
    const readme = await readFile(join(repoRoot, "README.md"), "utf8");
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((text) => text.includes("uses: releasegate/releasegate@"));
    expect(block, "a workflow in the README using the action").toBeDefined();
    const workflow = parse(block!) as { jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, string> }> }> };
    const step = Object.values(workflow.jobs).flatMap((job) => job.steps).find((s) => s.uses?.startsWith("releasegate/releasegate@"));
    const repo = await sampleRepo("readme-repo", { "clusters/prod": "cross-namespace" });
    const result = await runAction(repo, step?.with ?? {});
    // The step's own flags (--cross-namespace deny) apply: grafana's dependency in monitoring is reported.
    expect(result.stdout).toMatch(/^::error file=clusters\/prod\/3-grafana\.yaml,line=\d+::default\/grafana: /m);
    expect(result.code).toBe(1);
  });
});
