// The container image, built without a container engine (none runs here): test/helpers/docker-build.ts
// carries out the Dockerfile's stages from a build context holding only what .dockerignore admits of the
// checkout, then the final stage's layout (production dependencies only, dist/src, the launcher,
// NODE_ENV=production and the image's other ENV) runs `releasegate --help`, `check` on a GitOps folder,
// and `serve --help` as the ENTRYPOINT would.
//
// One stand-in: the build stage's full `npm ci` (dev dependencies, about 480 MB) is replaced by the
// repository's node_modules, checked to be exactly the tree package-lock.json describes. The production
// stage's `npm ci --omit=dev` runs for real (from npm's cache when it can, else the registry).
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "./helpers/cli.js";
import { buildStages, isIgnored, makeContext, parseDockerfile, parseDockerignore, whichInStage } from "./helpers/docker-build.js";
import type { BuiltStage, Stage } from "./helpers/docker-build.js";

const run = promisify(execFile);

interface LockFile {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean }>;
}

/** The installed tree is the one the lockfile describes (every package at its locked version). */
async function assertInstalledFromLock(nodeModules: string, lockFile: string): Promise<void> {
  const lock = JSON.parse(await readFile(lockFile, "utf8")) as LockFile;
  const installed = JSON.parse(await readFile(join(nodeModules, ".package-lock.json"), "utf8")) as LockFile;
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.optional === true) continue;
    expect(installed.packages[path]?.version, `${path} as package-lock.json locks it`).toBe(entry.version);
  }
}

describe("dockerignore matching (moby/patternmatcher's own cases)", () => {
  it.each([
    ["docs/README.md", ["docs", "!docs/README.md"], false],
    ["docs/README.md", ["docs/*", "!docs/README.md"], false],
    ["fileutils.go", ["*.go", "!fileutils.go"], false],
    ["fileutils.go", ["!fileutils.go", "*.go"], true],
    ["dir/dir2/file", ["**/dir2/*"], true],
    ["dir/dir2/file", ["dir/**"], true],
    ["dir/dir/file", ["**/file*"], true],
    ["dir/file", ["**/dir"], true],
    ["src/a/b.test.ts", ["*", "!src/", "**/*.test.ts"], true],
    ["src/a/b.ts", ["*", "!src/", "**/*.test.ts"], false],
  ] as const)("%s with %j: excluded %s", (file, patterns, excluded) => {
    expect(isIgnored(parseDockerignore(patterns.join("\n")), file)).toBe(excluded);
  });
});

describe("the container image", () => {
  let work = "";
  let stages: Stage[] = [];
  let built: Map<string, BuiltStage>;
  let admitted: string[] = [];
  let final: BuiltStage;
  let launcher: string | undefined;

  const image = async (args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> => {
    const entrypoint = final.stage.instructions.find((i) => i.op === "ENTRYPOINT");
    expect(entrypoint?.op === "ENTRYPOINT" ? entrypoint.argv : []).toEqual(["releasegate"]);
    // The launcher's `#!/usr/bin/env node` finds this machine's node, as it finds the image's.
    const env = { ...final.env, PATH: `${process.env.PATH ?? ""}` };
    return run(launcher!, args, { cwd: cwd ?? join(final.root, final.workdir), env, timeout: 120_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
    );
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "releasegate-image-"));
    stages = parseDockerfile(await readFile(join(repoRoot, "Dockerfile"), "utf8"));
    admitted = await makeContext(repoRoot, join(work, "context"));
    await assertInstalledFromLock(join(repoRoot, "node_modules"), join(repoRoot, "package-lock.json"));
    built = await buildStages(stages, {
      context: join(work, "context"),
      into: join(work, "stages"),
      runEnv: { npm_config_prefer_offline: "true", npm_config_update_notifier: "false" },
      replaceRun: async (command, at) => {
        if (!/^npm ci\b/.test(command) || command.includes("--omit=dev")) return false;
        await symlink(join(repoRoot, "node_modules"), join(at.root, at.workdir, "node_modules"), "dir");
        return true;
      },
    });
    final = built.get(stages[stages.length - 1]!.name)!;
    launcher = await whichInStage(final, "releasegate");
  }, 600_000);
  afterAll(async () => {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  it("has several stages and runs as non-root with `releasegate serve` by default, no HEALTHCHECK", async () => {
    const dockerfile = await readFile(join(repoRoot, "Dockerfile"), "utf8");
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    expect(dockerfile).toMatch(/^CMD \["serve"\]$/m);
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
    // RUN commands are carried out inside a folder here: an absolute path would reach outside it.
    for (const stage of stages) {
      for (const step of stage.instructions) if (step.op === "RUN") expect(step.command, step.command).not.toMatch(/(^|\s)\//);
    }
  });

  it("builds from a context of sources and package files only: no tests, no benchmarks", () => {
    expect(admitted).toContain("src/cli/main.ts");
    expect(admitted).toContain("tsconfig.client.json");
    expect(admitted.filter((f) => f.startsWith("test/") || f.startsWith("bench/") || f.endsWith(".test.ts"))).toEqual([]);
  });

  it("ends with production dependencies only, the compiled program, and NODE_ENV=production", async () => {
    expect(final.env.NODE_ENV).toBe("production");
    const modules = await readdir(join(final.root, final.workdir, "node_modules"));
    const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies)) expect(modules).toContain(name.split("/")[0]);
    for (const dev of ["typescript", "vitest", "esbuild", "playwright-core"]) expect(modules, dev).not.toContain(dev);
    expect(await stat(join(final.root, final.workdir, "dist/src/cli/main.js"))).toBeTruthy();
    // The graph page's bundle is built in the image too (serve's --ui-port).
    expect(await stat(join(final.root, final.workdir, "dist/src/ui/assets/graph-page.js"))).toBeTruthy();
    expect(launcher, "`releasegate` on the image's PATH, executable").toBeDefined();
  });

  it("runs `releasegate --help`, `serve --help` and `sandbox --help`", async () => {
    const help = await image(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: releasegate COMMAND");
    for (const command of ["serve", "sandbox"]) {
      const sub = await image([command, "--help"]);
      expect(sub.stderr).toBe("");
      expect(sub.stdout).toContain(`releasegate ${command}`);
    }
  });

  it("runs `releasegate check` on a GitOps folder, as `docker run -v \"$PWD:/repo\" IMAGE check /repo` does", async () => {
    const repo = join(work, "gitops");
    await cp(join(repoRoot, "examples/cycle"), join(repo, "apps"), { recursive: true });
    const cycle = await image(["check", "."], repo);
    expect(cycle.code).toBe(1);
    expect(cycle.stdout).toContain("dependency cycle");
    await rm(join(repo, "apps"), { recursive: true });
    await cp(join(repoRoot, "examples/chain"), join(repo, "apps"), { recursive: true });
    const chain = await image(["check", repo]);
    expect(chain.stderr).toBe("");
    expect(chain.code).toBe(0);
  });

  it("runs the pre-commit `docker` hook as pre-commit does: the entry as the image's entrypoint, in the repository", async () => {
    const hooks = parse(await readFile(join(repoRoot, ".pre-commit-hooks.yaml"), "utf8")) as Array<{ id: string; entry: string; args?: string[]; language: string }>;
    const hook = hooks.find((h) => h.language === "docker");
    expect(hook?.id).toBe("releasegate-check-docker");
    const [exe, ...rest] = hook!.entry.split(" ");
    // pre-commit runs `docker run --entrypoint EXE IMAGE REST... ARGS...` with the repository as the workdir.
    expect(await whichInStage(final, exe!)).toBe(launcher);
    const repo = join(work, "hook-repo");
    await cp(join(repoRoot, "examples/missing"), join(repo, "apps"), { recursive: true });
    const result = await image([...rest, ...(hook!.args ?? [])], repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("did you mean default/redis?");
  });
});
