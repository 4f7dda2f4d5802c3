// `releasegate sandbox` as a person runs it (what `npm start` does): the binary seeded with
// examples/chain, then the real kubectl against the kubeconfig it writes, following the hints it
// prints: the failure scenario seen in the metrics, the cycle and missing examples denied.
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binary, repoRoot } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { findSamples, parseMetricsText } from "./helpers/metrics-text.js";
import { runTool, toolPath } from "./helpers/tools.js";

describe("releasegate sandbox (the binary) with kubectl", () => {
  let dir: string;
  let kubeconfig: string;
  let kubectlPath: string;
  let child: ChildProcessWithoutNullStreams;
  let stdout = "";
  let stderr = "";
  let exit: Promise<number | null>;
  let metricsUrl: string;

  const kubectl = (...args: string[]) => runTool(kubectlPath, ["--kubeconfig", kubeconfig, ...args], { timeoutMs: 20_000 });
  const metrics = async () => parseMetricsText(await (await fetch(metricsUrl)).text());
  const readyStatus = async (name: string) =>
    (await kubectl("get", "helmrelease", name, "-n", "default", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")).stdout;

  beforeAll(async () => {
    kubectlPath = await toolPath("kubectl");
    dir = await mkdtemp(join(tmpdir(), "releasegate-sandbox-"));
    kubeconfig = join(dir, "kubeconfig");
    child = spawn(
      process.execPath,
      [binary, "sandbox", "--seed", "examples/chain", "--kubeconfig-out", kubeconfig, "--api-port", "0", "--webhook-port", "0", "--metrics-port", "0", "--install-delay", "100ms"],
      { cwd: repoRoot },
    );
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    exit = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    await eventually(() => stdout.includes("Press Ctrl-C") || child.exitCode !== null, { timeoutMs: 40_000 });
    const match = /metrics\s+(http:\/\/\S+)/.exec(stdout);
    if (!match) throw new Error(`no metrics URL in the sandbox output:\n${stdout}\n${stderr}`);
    metricsUrl = match[1]!;
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("prints where everything listens and what to try", () => {
    expect(stdout).toContain(`kubeconfig       ${kubeconfig}`);
    expect(stdout).toMatch(/Kubernetes API\s+https:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toContain("apply -f examples/cycle/");
    expect(stdout).toContain("releasegate_release_blocked");
  });

  it("installs the seed: backend becomes Ready as soon as redis is, asked by releasegate", async () => {
    await eventually(async () => (await readyStatus("backend")) === "True", { timeoutMs: 20_000, what: "backend Ready" });
    const annotation = await kubectl("get", "helmrelease", "backend", "-n", "default", "-o", "jsonpath={.metadata.annotations.reconcile\\.fluxcd\\.io/requestedAt}");
    expect(annotation.stdout).toMatch(/^\d{4}-\d\d-\d\dT/);
    const list = await kubectl("get", "helmreleases", "-A");
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("backend");
  });

  it("shows the failure scenario in the metrics after kubectl apply -f examples/failure/", async () => {
    const applied = await kubectl("apply", "-f", "examples/failure/");
    expect(applied.code, applied.stderr).toBe(0);
    // First NotReady while the simulated install runs, then Failed when it gives up.
    const sample = await eventually(async () => findSamples(await metrics(), "releasegate_release_blocked", { name: "backend", reason: "Failed" })[0], {
      timeoutMs: 20_000,
    });
    expect(sample.labels).toMatchObject({ kind: "HelmRelease", namespace: "default", root_cause: "default/redis" });
  });

  it("denies examples/cycle/ with the whole cycle, and examples/missing/ with a suggestion", async () => {
    const cycle = await kubectl("apply", "-f", "examples/cycle/");
    expect(cycle.code).not.toBe(0);
    expect(cycle.stderr).toContain('admission webhook "dependencies.releasegate.io" denied the request');
    expect(cycle.stderr).toContain("default/redis → default/backend → default/redis");
    const missing = await kubectl("apply", "-f", "examples/missing/");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("default/redsi");
    expect(missing.stderr).toContain("did you mean default/redis");
  });

  it("stops cleanly on SIGINT", async () => {
    child.kill("SIGINT");
    expect(await exit).toBe(0);
    expect(stdout).toContain("stopped");
  });
});
