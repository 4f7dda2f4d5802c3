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
    // The cycle in check's words (from its smallest member), whichever member is asked about.
    expect(result.stdout).toContain("HelmRelease default/redis  blocked (Cycle): blocked by dependency cycle default/backend → default/redis → default/backend");
    expect(result.stdout).toContain("[cycle closes here]");
    // The chain ends where it first closes.
    expect(result.stdout.trimEnd().split("\n")).toHaveLength(3);
  });

  it("from files invents no status: a healthy chain is explained and exits 0", async () => {
    const result = await runCli(["why", "HelmRelease/default/backend", "--from", "examples/chain"]);
    expect(result.stdout).toBe(
      [
        "HelmRelease default/backend  no status (from files): waits for HelmRelease default/redis to be Ready (from files: no status)",
        "└─ HelmRelease default/redis  no status (from files): no dependencies (from files: no status)",
        "",
      ].join("\n"),
    );
    expect(result.code).toBe(0);
    const root = await runCli(["why", "HelmRelease/default/redis", "--from", "examples/missing"]);
    expect(root.code).toBe(0);
    expect(root.stdout).toBe("HelmRelease default/redis  no status (from files): no dependencies (from files: no status)\n");
  });

  it("takes KIND/NAME with -n, and --default-namespace without it", async () => {
    const withN = await runCli(["why", "hr/backend", "-n", "default", "--from", "examples/missing"]);
    expect(withN.code).toBe(1);
    expect(withN.stdout).toContain("HelmRelease default/backend  blocked (Missing)");
    const defaulted = await runCli(["why", "HelmRelease/prometheus", "--default-namespace", "monitoring", "--from", "examples/cross-namespace"]);
    expect(defaulted.stdout).toContain("HelmRelease monitoring/prometheus  no status (from files)");
    const clash = await runCli(["why", "hr/default/backend", "-n", "other", "--from", "examples/missing"]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toBe('releasegate why: "hr/default/backend" names namespace default but --namespace says other: give one; see --help\n');
  });

  it("says in one line that there is no kubeconfig, when there is none", async () => {
    const home = await mkdtemp(join(tmpdir(), "releasegate-nohome-"));
    try {
      const result = await runCli(["why", "HelmRelease/backend"], { env: { HOME: home, KUBECONFIG: "" } });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe("releasegate why: no kubeconfig: set KUBECONFIG or pass --kubeconfig FILE to read a cluster, or read manifests with --from PATH; see --help\n");
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("exits 2 with one line for bad usage or an object that is not there", async () => {
    const bad = await runCli(["why", "default/backend", "--from", "examples/missing"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('releasegate why: "default/backend" is not KIND/NAMESPACE/NAME or KIND/NAME (e.g. HelmRelease/default/backend, or HelmRelease/backend -n default); see --help\n');
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
        "└─ HelmRelease default/redis  failed (InstallFailed) [root cause]: install retries exhausted",
        "",
      ].join("\n"),
    );
    expect(result.code).toBe(1);
  });

  it("takes KIND/NAME in the kubeconfig context's namespace, or -n", async () => {
    // The sandbox's kubeconfig names namespace default in its context, as kubectl's does.
    const short = await runCli(["why", "HelmRelease/backend"], { env: { KUBECONFIG: kubeconfig } });
    expect(short.stdout.split("\n")[0]).toBe("HelmRelease default/backend  blocked (Failed): blocked by default/redis: install retries exhausted");
    const other = join(dir, "other-namespace");
    await writeFile(other, (await readFile(kubeconfig, "utf8")).replace(/namespace: default/, "namespace: elsewhere"));
    const elsewhere = await runCli(["why", "hr/backend", "--kubeconfig", other]);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toBe("releasegate why: HelmRelease elsewhere/backend not found in the cluster\n");
    const withN = await runCli(["why", "hr/redis", "-n", "default", "--kubeconfig", other]);
    expect(withN.stdout).toBe("HelmRelease default/redis  failed (InstallFailed): failed: InstallFailed: install retries exhausted (gate open: every dependency is Ready)\n");
    expect(withN.code).toBe(0);
  }, 60_000);

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
    const [snapshot] = JSON.parse(data!) as { nodes: { id: string; ghost?: boolean; message: string }[] }[];
    expect(snapshot!.nodes.find((n) => n.id === "HelmRelease/default/redsi")).toMatchObject({ ghost: true, message: "HelmRelease default/redsi does not exist" });
  });
});
