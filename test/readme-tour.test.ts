// The README's tour ("Try it without a cluster"), run literally and in order: `npm start`'s sandbox in
// its own process, then every `$` line of the tour's second block through bash with the real kubectl,
// the built CLI and curl, each output compared with the lines the README shows under it. What a test
// cannot take literally is changed and only that: `npm start` runs its script's command without the
// build (dist/ is built before the tests), every port is a free one instead of the fixed defaults (other
// test runs share the machine), and the kubeconfig is written into a temporary folder. A `tour:` line is
// expected from the sandbox's own output. Read-only commands (`kubectl get`, `why`, `curl`) are run
// again until their output matches, for at most 30 s, as a person would look again; any other command
// runs once.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/cli/sandbox.js";
import { repoRoot } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";

const KUBECTL = "/usr/bin/kubectl";
const skip = existsSync(KUBECTL) || process.env.CI === "true" ? undefined : `${KUBECTL} not found: the README tour test skipped`;
if (skip !== undefined) console.log(skip);

interface Step {
  command: string;
  expected: string[];
}

/** The console blocks of the README's "Try it without a cluster" section, in order. */
function tourBlocks(): string[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf("## Try it without a cluster");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function steps(block: string): Step[] {
  const out: Step[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("$ ")) out.push({ command: line.slice(2), expected: [] });
    else if (line.trim() !== "" && out.length > 0) out[out.length - 1]!.expected.push(line);
  }
  return out;
}

/**
 * An expected line as a pattern: "..." stands for anything, numbers (ages, seconds) for any number,
 * runs of spaces for any run of spaces; the rest must be there as written.
 */
function pattern(line: string): RegExp {
  const escaped = line
    .trim()
    .split("...")
    .map((part) =>
      part
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        .replace(/\d+(\\\.\d+)?/g, "\\d+(?:\\.\\d+)?")
        .replace(/\s+/g, "\\s+"),
    )
    .join(".*");
  return new RegExp(`^\\s*${escaped}\\s*$`);
}

/** Whether the output holds every expected line (other than "..."), in order. */
function matches(output: string, expected: readonly string[]): boolean {
  const lines = output.split("\n");
  let at = 0;
  for (const want of expected) {
    if (want.trim() === "...") continue;
    const re = pattern(want);
    while (at < lines.length && !re.test(lines[at]!)) at++;
    if (at === lines.length) return false;
    at++;
  }
  return true;
}

function run(command: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `exec 2>&1\n${command}`], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

describe.skipIf(skip !== undefined)("the README's sandbox tour, run as written", () => {
  let dir: string;
  let sandbox: ChildProcess;
  let sandboxOutput = "";
  let metricsPort: number;
  const blocks = tourBlocks();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "releasegate-tour-"));
    // `npm start` is `npm run build && exec COMMAND`: the command, as package.json says it.
    const start = steps(blocks[0] ?? "")[0];
    expect(start?.command).toBe("npm start");
    const script = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
    const command = script.slice(script.indexOf("exec ") + "exec ".length).split(" ");
    expect(command.slice(0, 2)).toEqual(["node", "dist/src/cli/main.js"]);
    metricsPort = await freePort();
    const ports = ["--api-port", "0", "--webhook-port", String(await freePort()), "--metrics-port", String(metricsPort), "--ui-port", String(await freePort())];
    sandbox = spawn(process.execPath, [...command.slice(1), ...ports, "--kubeconfig-out", join(dir, "kubeconfig")], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    sandbox.stdout!.on("data", (chunk: Buffer) => (sandboxOutput += chunk.toString()));
    sandbox.stderr!.on("data", (chunk: Buffer) => (sandboxOutput += chunk.toString()));
    // npm start's own block: the banner, then the seed's tour line.
    await eventually(() => matches(sandboxOutput, start!.expected), { timeoutMs: 60_000, what: `npm start's output to show:\n${start!.expected.join("\n")}` });
  }, 90_000);

  afterAll(async () => {
    if (sandbox !== undefined && sandbox.exitCode === null) {
      const exited = new Promise((resolve) => sandbox.once("exit", resolve));
      sandbox.kill("SIGTERM");
      await exited;
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it("shows waiting, the failure, its root cause and the push on the fix, as the README says", async () => {
    const tour = steps(blocks[1] ?? "");
    expect(tour.length).toBeGreaterThan(5);
    let env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: join(dir, "kubeconfig") };
    for (const step of tour) {
      if (/^export KUBECONFIG=/.test(step.command)) {
        env = { ...env, KUBECONFIG: join(dir, "kubeconfig") };
        continue;
      }
      const command = step.command.replaceAll("localhost:8080", `localhost:${metricsPort}`);
      const own = step.expected.filter((line) => !line.startsWith("tour: "));
      const fromSandbox = step.expected.filter((line) => line.startsWith("tour: "));
      const tourSeen = sandboxOutput.length;
      const readOnly = /^(kubectl get|node dist\/src\/cli\/main\.js why|curl) /.test(command);
      let output = await run(command, env);
      if (readOnly) {
        await eventually(
          async () => {
            if (matches(output, own)) return true;
            output = await run(command, env);
            return matches(output, own);
          },
          { timeoutMs: 30_000, intervalMs: 500 },
        ).catch(() => {
          throw new Error(`"$ ${step.command}" printed, for 30 s:\n${output}\nnot the README's:\n${own.join("\n")}`);
        });
      } else {
        expect(matches(output, own), `"$ ${step.command}" printed:\n${output}\nnot the README's:\n${own.join("\n")}`).toBe(true);
      }
      if (fromSandbox.length > 0) {
        await eventually(() => matches(sandboxOutput.slice(tourSeen), fromSandbox), {
          timeoutMs: 30_000,
          what: `npm start to print, after "$ ${step.command}":\n${fromSandbox.join("\n")}\n(its output:\n${sandboxOutput.slice(tourSeen)})`,
        });
        // The saving is true: backend really waited, and Flux's own next poll was still ahead (30 s a poll).
        const line = sandboxOutput.slice(tourSeen).split("\n").find((l) => l.startsWith("tour: "))!;
        const [, waited, , later] = /waited ([\d.]+) s .* Ready ([\d.]+) s later \(Flux alone would have polled ([\d.]+) s later\)/.exec(line) ?? [];
        expect(Number(waited)).toBeGreaterThan(0);
        expect(Number(later)).toBeGreaterThan(0);
        expect(Number(later)).toBeLessThanOrEqual(30);
      }
    }
  }, 300_000);
});
