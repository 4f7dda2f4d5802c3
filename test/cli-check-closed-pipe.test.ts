// `releasegate check … | head`: the reader goes away after a few lines; the CLI must end quietly (the
// status a tool killed by SIGPIPE reports), never print a stack trace.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binary } from "./helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "releasegate-closed-pipe-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** 3,000 HelmReleases, each depending on one that does not exist: 3,000 problem lines, far more than a pipe holds. */
function manyProblems(): string {
  const file = join(scratch, "missing.yaml");
  const docs: string[] = [];
  for (let i = 0; i < 3_000; i++) {
    docs.push(`---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app-${i}, namespace: apps}\nspec:\n  dependsOn:\n    - name: absent-${i}\n`);
  }
  writeFileSync(file, docs.join(""));
  return file;
}

describe("releasegate check with a reader that stops early", () => {
  it("ends quietly with status 141 when stdout is closed, as a shell pipeline into head does", async () => {
    const file = manyProblems();
    // The real pipeline a user types: bash reports each side's status.
    const result = await new Promise<{ status: string; stderr: string; firstLine: string }>((resolve, reject) => {
      const child = spawn("bash", ["-c", `"${process.execPath}" "${binary}" check "${file}" 2>"${scratch}/stderr" | head -n 1; echo "status \${PIPESTATUS[0]}"; cat "${scratch}/stderr"`], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      child.on("error", reject);
      child.on("close", () => {
        const lines = out.split("\n");
        resolve({ firstLine: lines[0] ?? "", status: lines[1] ?? "", stderr: lines.slice(2).join("\n").trim() + err });
      });
    });
    expect(result.firstLine).toMatch(/missing\.yaml:\d+: apps\/app-\d+: /);
    expect(result.stderr).toBe("");
    expect(result.status).toBe("status 141");
  }, 120_000);
});
