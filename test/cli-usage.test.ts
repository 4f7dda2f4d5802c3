// Usage errors of the built `releasegate` binary, spawned as a user runs it: every one is a single line on
// stderr naming the command once (`releasegate check: no PATH given; see --help`), exit 2, nothing on
// stdout; every --help lines up its option descriptions; and the README's `releasegate` examples print
// what the binary prints.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runCli } from "./helpers/cli.js";

const COMMANDS = ["check", "graph", "serve", "sandbox", "certs"] as const;

/** Runs a mistaken command line: exit 2, nothing on stdout, one line on stderr naming the command once. */
async function usageError(args: string[]): Promise<string> {
  const result = await runCli(args);
  expect(result.stdout, `stdout of ${args.join(" ")}`).toBe("");
  expect(result.code, `exit code of ${args.join(" ")}: ${result.stderr}`).toBe(2);
  expect(result.stderr.split("\n"), result.stderr).toHaveLength(2);
  const command = args[0] ?? "";
  expect(result.stderr.match(new RegExp(`\\b${command}\\b`, "g")), result.stderr).toHaveLength(1);
  return result.stderr;
}

describe("usage errors", { timeout: 120_000 }, () => {
  it.each(COMMANDS)("%s: an unknown flag gets our own one-line message", async (command) => {
    expect(await usageError([command, "--no-such-flag", "x"])).toBe(`releasegate ${command}: unknown flag --no-such-flag; see --help\n`);
  });

  it("a short flag it does not know, and a value given to a switch", async () => {
    expect(await usageError(["check", "-Z"])).toBe("releasegate check: unknown flag -Z; see --help\n");
    expect(await usageError(["graph", "--help=yes"])).toBe("releasegate graph: --help takes no value; see --help\n");
  });

  it("names the command once when the PATH is missing", async () => {
    expect(await usageError(["check"])).toBe("releasegate check: no PATH given; see --help\n");
    expect(await usageError(["graph"])).toBe("releasegate graph: no PATH given; see --help\n");
  });

  it("says which flag lacks its value, also when the next flag was taken for it", async () => {
    expect(await usageError(["check", "examples/cycle", "--output"])).toBe("releasegate check: --output needs a value; see --help\n");
    expect(await usageError(["check", "--output", "--cross-namespace", "deny", "examples/cycle"])).toBe(
      "releasegate check: --output needs a value, got the flag --cross-namespace (write --output=--cross-namespace if that is the value); see --help\n",
    );
    expect(await usageError(["check", "--output", "yaml", "examples/cycle"])).toBe('releasegate check: --output must be one of text, json, github, not "yaml"; see --help\n');
  });

  it("refuses stray arguments in one line", async () => {
    expect(await usageError(["serve", "extra"])).toBe('releasegate serve: unexpected argument "extra"; see --help\n');
    expect(await usageError(["sandbox", "extra"])).toBe('releasegate sandbox: unexpected argument "extra" (to start with objects, use --seed PATH); see --help\n');
    expect(await usageError(["sandbox", "--simulate-flux", "maybe"])).toBe('releasegate sandbox: --simulate-flux must be true or false, not "maybe"; see --help\n');
    expect(await usageError(["certs", "a", "b"])).toBe("releasegate certs: give at most one DIR, got 2; see --help\n");
    expect(await usageError(["serve", "--webhook-port", "http"])).toBe('releasegate serve: --webhook-port ($RELEASEGATE_WEBHOOK_PORT): "http" is not a port number (0-65535); see --help\n');
  });

  it("an unknown command is one line too", async () => {
    expect(await usageError(["chek"])).toBe(`releasegate: unknown command "chek"; run 'releasegate --help' for the list\n`);
  });
});

describe("--help", { timeout: 120_000 }, () => {
  it.each(COMMANDS)("%s: every option's description starts in the same column", async (command) => {
    const { code, stdout } = await runCli([command, "--help"]);
    expect(code).toBe(0);
    const options = stdout.split("\n").filter((line) => /^ {2}-/.test(line));
    expect(options.length).toBeGreaterThan(1);
    expect(options.at(-1)).toMatch(/^ {2}-h, --help +show this help$/);
    const columns = new Set(options.map((line) => /^ {2}-\S*(?: \S+)* {2,}/.exec(line)?.[0].length));
    expect(columns, options.join("\n")).toEqual(new Set([expect.any(Number)]));
  });
});

/** The README's console examples of `npx releasegate …` and `releasegate check …`: the command, the output shown, the exit status shown. */
async function readmeExamples(): Promise<Array<{ args: string[]; output: string; code: number | undefined }>> {
  const readme = await readFile(join(repoRoot, "README.md"), "utf8");
  const examples = [];
  for (const [, block] of readme.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = (block ?? "").split("\n");
    for (let i = 0; i < lines.length; i++) {
      // `releasegate check …` as installed (the README's CI section), or `npx releasegate …` in the clone.
      const command = /^\$ (?:npx releasegate (.*)|releasegate (check .*))$/.exec(lines[i] ?? "");
      if (command === null) continue;
      const output: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !lines[j]!.startsWith("$ "); j++) output.push(lines[j]!);
      const status = lines[j] === "$ echo $?" ? Number(lines[j + 1]) : undefined;
      examples.push({ args: (command[1] ?? command[2]!).split(" "), output: output.join("\n").trimEnd(), code: status });
    }
  }
  return examples;
}

describe("the README's examples", () => {
  it("print exactly what the binary prints, line numbers included", async () => {
    const examples = await readmeExamples();
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const result = await runCli(example.args);
      expect(result.stdout.trimEnd(), `releasegate ${example.args.join(" ")}`).toBe(example.output);
      if (example.code !== undefined) expect(result.code).toBe(example.code);
    }
  });
});
