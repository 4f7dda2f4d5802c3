// The container image cannot be built here (no Docker engine), so this test checks what can be checked:
// the Dockerfile's shape, and its production install — exactly its steps, in a clean folder: package files
// plus the built dist/src, `npm ci --omit=dev`, then the binary runs without any dev dependency.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/cli.js";

const run = promisify(execFile);

describe("Dockerfile", () => {
  it("is multi-stage, runs as non-root with releasegate serve by default, and copies only what exists", async () => {
    const dockerfile = await readFile(join(repoRoot, "Dockerfile"), "utf8");
    const stages = dockerfile.match(/^FROM /gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["releasegate"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["serve"\]$/m);
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
    const ignore = await readFile(join(repoRoot, ".dockerignore"), "utf8");
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of (sources ?? "").split(/\s+/)) {
        await expect(readFile(join(repoRoot, source)).catch((e: NodeJS.ErrnoException) => (e.code === "EISDIR" ? "dir" : Promise.reject(e)))).resolves.toBeDefined();
        expect(ignore, `${source} must be let into the build context`).toMatch(new RegExp(`^!${source.replace(/\/$/, "")}/?$`, "m"));
      }
    }
  });

  describe("production install", () => {
    let folder = "";
    afterAll(async () => {
      if (folder !== "") await rm(folder, { recursive: true, force: true });
    });

    it("runs `releasegate --help` and `check` with production dependencies only", async () => {
      folder = await mkdtemp(join(tmpdir(), "releasegate-image-"));
      for (const file of ["package.json", "package-lock.json"]) await cp(join(repoRoot, file), join(folder, file));
      await cp(join(repoRoot, "dist/src"), join(folder, "dist/src"), { recursive: true });
      await run("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"], { cwd: folder, timeout: 240_000 });
      const help = await run(process.execPath, [join(folder, "dist/src/cli/main.js"), "--help"], { cwd: folder });
      expect(help.stdout).toContain("Usage: releasegate COMMAND");
      for (const command of ["serve", "sandbox"]) {
        const sub = await run(process.execPath, [join(folder, "dist/src/cli/main.js"), command, "--help"], { cwd: folder });
        expect(sub.stdout).toContain(`releasegate ${command}`);
      }
      const check = await run(process.execPath, [join(folder, "dist/src/cli/main.js"), "check", join(repoRoot, "examples/cycle")], { cwd: folder }).catch(
        (error: { code: number; stdout: string }) => error,
      );
      expect(check.stdout).toContain("dependency cycle");
    }, 300_000);
  });
});
