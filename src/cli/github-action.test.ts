import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { actionArguments, runAction } from "./github-action.js";

function capture() {
  const out = { stdout: "", stderr: "" };
  const io = { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t), stdin: new PassThrough() };
  return { out, io };
}

describe("the GitHub Action's inputs", () => {
  it("become one check command line: flags, then paths; annotations and the whole workspace by default", () => {
    expect(actionArguments({})).toEqual(["--output", "github", "."]);
    expect(actionArguments({ INPUT_PATHS: "clusters/prod\nclusters/staging ", INPUT_OUTPUT: "json", INPUT_ARGS: " --strict  --cross-namespace deny" })).toEqual([
      "--output",
      "json",
      "--strict",
      "--cross-namespace",
      "deny",
      "clusters/prod",
      "clusters/staging",
    ]);
  });

  it("annotates problems and reports a wrong input as one error annotation, exit 2", async () => {
    const cycle = capture();
    expect(await runAction({ INPUT_PATHS: "examples/cycle" }, cycle.io)).toBe(1);
    expect(cycle.out.stdout).toMatch(/^::error file=examples\/cycle\/backend\.yaml,line=4::default\/backend: dependency cycle/m);
    const wrong = capture();
    expect(await runAction({ INPUT_OUTPUT: "xml" }, wrong.io)).toBe(2);
    expect(wrong.out.stdout).toBe("::error title=releasegate check::--output must be one of text, json, github, not \"xml\"\n");
  });
});
