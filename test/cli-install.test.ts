// The `releasegate` command outside the clone, as the README's CI section installs it: the package packed
// from the clone (no registry involved), installed globally into a prefix, then run from a GitOps
// repository elsewhere. And the command in the clone survives rebuilds: bin/releasegate is a committed,
// executable launcher, while the compiled dist/ files carry no exec bit (tsc never sets one).
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "./helpers/cli.js";

interface Hook {
  id: string;
  entry: string;
  args?: string[];
  language: string;
  pass_filenames?: boolean;
  files?: string;
}

const run = promisify(execFile);

type Result = { code: number; stdout: string; stderr: string };
const settle = (p: Promise<{ stdout: string; stderr: string }>): Promise<Result> =>
  p.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
  );

describe("the releasegate command", () => {
  let work = "";
  let prefix = "";
  let gitops = "";

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "releasegate-install-"));
    prefix = join(work, "prefix");
    gitops = join(work, "gitops");
    await cp(join(repoRoot, "examples/cycle"), join(gitops, "apps"), { recursive: true });
    // dist/ is built already (npm test builds first), as the README's `npm run build` before `npm pack` does.
    const packed = await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], { cwd: repoRoot, timeout: 120_000 });
    const tarball = join(work, packed.stdout.trim().split("\n").pop()!);
    await run("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", "--prefer-offline", tarball], {
      cwd: work,
      timeout: 300_000,
      env: { ...process.env, npm_config_update_notifier: "false" },
    });
  }, 400_000);
  afterAll(async () => {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  it("installed from the packed clone, runs `check` in a GitOps repository that is not the clone", async () => {
    const bin = join(prefix, "bin", "releasegate");
    const env = { ...process.env, PATH: `${join(prefix, "bin")}:${process.env.PATH ?? ""}` };
    const version = await settle(run("releasegate", ["--version"], { cwd: gitops, env }));
    expect(version.stdout).toMatch(/^releasegate \d+\.\d+\.\d+/);
    const check = await settle(run(bin, ["check", "--output", "github", "."], { cwd: gitops, env }));
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("::error file=apps/backend.yaml,line=4::default/backend: dependency cycle");
    // Only production dependencies came with it.
    const installed = await readdir(join(prefix, "lib", "node_modules", "releasegate", "node_modules")).catch(() => readdir(join(prefix, "lib", "node_modules")));
    expect(installed).not.toContain("typescript");
  });

  it("runs the pre-commit `system` hook as pre-commit does: entry + args in the repository, with the installed command", async () => {
    const hooks = parse(await readFile(join(repoRoot, ".pre-commit-hooks.yaml"), "utf8")) as Hook[];
    const hook = hooks.find((h) => h.language === "system");
    expect(hook?.id).toBe("releasegate-check");
    // One check of the whole repository, not one per changed file.
    expect(hook?.pass_filenames).toBe(false);
    expect(new RegExp(hook!.files!).test("clusters/prod/apps.yaml")).toBe(true);
    const [exe, ...rest] = hook!.entry.split(" ");
    const env = { ...process.env, PATH: `${join(prefix, "bin")}:${process.env.PATH ?? ""}` };
    const result = await settle(run(exe!, [...rest, ...(hook!.args ?? [])], { cwd: gitops, env }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("apps/backend.yaml:4: default/backend: dependency cycle");
  });

  it("in the clone: the launcher is committed executable and runs whatever dist/'s file modes are", async () => {
    const index = await settle(run("git", ["ls-files", "--stage", "bin/releasegate"], { cwd: repoRoot }));
    // Tracked (a fresh clone): git must record the exec bit, else the clone's launcher cannot run.
    if (index.stdout.trim() !== "") expect(index.stdout).toMatch(/^100755 /);
    expect((await stat(join(repoRoot, "bin/releasegate"))).mode & 0o111).not.toBe(0);
    // What tsc writes, and every rebuild rewrites: no exec bit, which is why the bin is not this file.
    expect((await stat(join(repoRoot, "dist/src/cli/main.js"))).mode & 0o111).toBe(0);
    const direct = await settle(run(join(repoRoot, "bin/releasegate"), ["check", join(gitops, "apps")], { cwd: gitops }));
    expect(direct.code).toBe(1);
    expect(direct.stdout).toContain("1 problem (1 cycle)");
  });
});
