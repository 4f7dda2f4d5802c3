// `releasegate why` and `releasegate graph --format html` as a user runs them (the built binary):
// from files, and `why` against a live cluster (the sandbox, through its kubeconfig).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSeedObjects } from "../src/cli/sandbox-seed.js";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { runCli } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { quietLogger } from "./helpers/quiet-logger.js";

describe("releasegate why --from PATH", () => {
  it("prints the chain to a missing dependency and exits 1", async () => {
    const result = await runCli(["why", "HelmRelease/default/backend", "--from", "examples/missing"]);
    expect(result.stdout).toBe(
      [
        "HelmRelease default/backend  blocked (Missing): blocked by default/redsi: HelmRelease default/redsi does not exist: create it or fix the dependsOn entry",
        "└─ HelmRelease default/redsi  missing [root cause]: HelmRelease default/redsi does not exist",
        "",
      ].join("\n"),
    );
    expect(result.code).toBe(1);
  });

  it("marks a cycle, and takes paths after the object too", async () => {
    const result = await runCli(["why", "hr/default/redis", "examples/cycle"]);
    expect(result.code).toBe(1);
    // The cycle is named from its root cause, its smallest member; the chain ends where it first closes.
    expect(result.stdout).toContain("HelmRelease default/redis  blocked (Cycle): blocked by dependency cycle default/backend → default/redis → default/backend");
    expect(result.stdout.trimEnd().split("\n")).toHaveLength(3);
    expect(result.stdout.trimEnd().split("\n")[2]).toContain("HelmRelease default/redis  blocked (Cycle) [cycle closes here]");
  });

  it("shows a 3,000-object chain bounded: the first hops, how many more, the last ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "releasegate-why-chain-"));
    try {
      const docs = Array.from({ length: 3000 }, (_, i) =>
        [
          "apiVersion: helm.toolkit.fluxcd.io/v2",
          "kind: HelmRelease",
          `metadata: {name: bulk-${i}, namespace: default}`,
          `spec: {interval: 10m, chart: {spec: {chart: app, sourceRef: {kind: HelmRepository, name: charts}}}${i === 0 ? "" : `, dependsOn: [{name: bulk-${i - 1}}]`}}`,
        ].join("\n"),
      );
      await writeFile(join(dir, "chain.yaml"), `${docs.join("\n---\n")}\n`);
      const result = await runCli(["why", "hr/default/bulk-2999", join(dir, "chain.yaml")]);
      expect(result.code).toBe(1);
      const lines = result.stdout.trimEnd().split("\n");
      // The object, six hops, the omitted ones, six more ending at the root cause.
      expect(lines).toHaveLength(14);
      expect(lines[0]).toContain("HelmRelease default/bulk-2999  blocked (NotReady): blocked by default/bulk-0 via default/bulk-2998 → default/bulk-2997 → default/bulk-2996 → default/bulk-2995 → default/bulk-2994 → default/bulk-2993 → … 2987 more … → default/bulk-5");
      expect(lines[1]).toContain("HelmRelease default/bulk-2998");
      expect(lines[7]).toContain("… 2987 more …");
      expect(lines[13]).toContain("HelmRelease default/bulk-0  open, progressing [root cause]");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 0 for an open gate", async () => {
    const result = await runCli(["why", "HelmRelease/default/redis", "--from", "examples/missing"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("HelmRelease default/redis  open, progressing: gate open: every dependency is Ready\n");
  });

  it("exits 2 with one line for bad usage or an object that is not there", async () => {
    const bad = await runCli(["why", "default/backend", "--from", "examples/missing"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('releasegate why: "default/backend" is not KIND/NAMESPACE/NAME (e.g. HelmRelease/default/backend); see --help\n');
    const absent = await runCli(["why", "HelmRelease/default/nope", "--from", "examples/missing"]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toBe("releasegate why: HelmRelease default/nope not found under examples/missing\n");
    expect((await runCli(["why"])).code).toBe(2);
  });
});

describe("releasegate why against a live cluster (the sandbox)", () => {
  let env: SandboxEnvironment;
  let dir: string;
  let kubeconfig: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "releasegate-why-"));
    kubeconfig = join(dir, "kubeconfig");
    env = await startSandboxEnvironment({ logger: quietLogger(), seed: await readSeedObjects("examples/failure"), installDelayMs: 50, requeueDependencyMs: 60_000, kubeconfigOut: kubeconfig });
    await eventually(
      () => {
        const gate = env.serve.controller.state("HelmRelease", "default/backend");
        return gate?.state === "blocked" && gate.reason === "Failed";
      },
      { timeoutMs: 20_000, what: "backend blocked by the failed redis" },
    );
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the cluster of the kubeconfig: backend blocked by redis, exit 1", async () => {
    const result = await runCli(["why", "HelmRelease/default/backend", "--kubeconfig", kubeconfig]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(
      [
        "HelmRelease default/backend  blocked (Failed): blocked by default/redis: install retries exhausted",
        "└─ HelmRelease default/redis  open, failed [root cause]: install retries exhausted",
        "",
      ].join("\n"),
    );
    expect(result.code).toBe(1);
  });

  it("says in one line when the cluster cannot be reached", async () => {
    const broken = join(dir, "broken");
    await writeFile(broken, (await readFile(kubeconfig, "utf8")).replace(/server: https:\/\/127\.0\.0\.1:\d+/, "server: https://127.0.0.1:1"));
    const result = await runCli(["why", "HelmRelease/default/backend", "--kubeconfig", broken]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("cannot reach the Kubernetes API at https://127.0.0.1:1");
  }, 60_000);
});

describe("releasegate graph --format html", () => {
  it("writes one self-contained page with the graph and the script inlined", async () => {
    const result = await runCli(["graph", "--format", "html", "examples/missing"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^<!doctype html>/);
    expect(result.stdout).not.toContain('src="graph-page.js"');
    const data = /<script type="application\/json" id="graph-data">(.*?)<\/script>/s.exec(result.stdout)?.[1];
    const snapshot = JSON.parse(data!) as { nodes: { id: string; ghost?: boolean; message: string }[] };
    expect(snapshot.nodes.find((n) => n.id === "HelmRelease/default/redsi")).toMatchObject({ ghost: true, message: "HelmRelease default/redsi does not exist" });
  });
});
