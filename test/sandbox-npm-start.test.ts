// `npm start` as a new user runs it: the sandbox seeded with examples/chain, whose tour shows backend
// waiting on redis and reconciled early when releasegate opens its gate; then SIGINT to the process the
// user started (npm) stops everything: no process of the tree, no listening port and no kubeconfig left.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";

/** Every process whose parent chain leads to `root` (from /proc, Linux). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/**
 * A copy of the project to run `npm start` in: its build rewrites dist/, which other tests are running
 * from at the same time. node_modules is shared through a symlink.
 */
function projectCopy(into: string): string {
  const dir = join(into, "project");
  for (const entry of ["package.json", "tsconfig.json", "tsconfig.build.json", "tsconfig.client.json", "src", "bench", "examples", "test/helpers"]) {
    cpSync(join(repoRoot, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  return dir;
}

describe("npm start", () => {
  const work = mkdtempSync(join(tmpdir(), "npm-start-"));
  const kubeconfig = join(work, "kubeconfig");
  const project = projectCopy(work);
  let npm: ChildProcess | undefined;
  let tree: number[] = [];
  afterAll(() => {
    for (const pid of [npm?.pid, ...tree]) if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL");
    rmSync(work, { recursive: true, force: true });
  });

  it("shows the early reconcile in its tour, and stops everything on SIGINT to npm", async () => {
    npm = spawn("npm", ["start", "--", "--api-port", "0", "--webhook-port", "0", "--metrics-port", "0", "--kubeconfig-out", kubeconfig], {
      cwd: project,
      env: { ...process.env, CI: process.env.CI ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    npm.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
    npm.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm?.once("exit", (code, signal) => resolve({ code, signal })));

    await eventually(() => stdout.includes("Press Ctrl-C to stop."), { timeoutMs: 180_000, intervalMs: 200, what: `the banner (stderr: ${stderr.slice(-500)})` });
    const ports = [/Kubernetes API\s+https:\/\/127\.0\.0\.1:(\d+)/, /webhook\s+https:\/\/127\.0\.0\.1:(\d+)/, /metrics\s+http:\/\/127\.0\.0\.1:(\d+)/].map((re) => Number(re.exec(stdout)?.[1]));
    expect(ports.every((p) => p > 0)).toBe(true);
    expect(existsSync(kubeconfig)).toBe(true);

    const tour = await eventually(() => /tour: HelmRelease default\/backend waited .*\n/.exec(stdout)?.[0], { timeoutMs: 60_000, intervalMs: 100, what: "the tour line" });
    expect(tour).toMatch(/gate opened → reconcile requested → Ready \d+\.\d s later \(Flux alone would have polled \d+\.\d s later\)/);

    tree = descendants(npm.pid!);
    expect(tree.length).toBeGreaterThan(0);
    npm.kill("SIGINT");
    const result = await exited;
    expect(stdout).toContain("received SIGINT; stopping");
    expect(stdout).toContain("stopped");
    expect(result.code).toBe(0);
    await eventually(() => tree.every((pid) => !alive(pid)), { timeoutMs: 10_000, what: `no process left of ${tree.join(", ")}` });
    for (const port of ports) expect(await refused(port), `port ${port}`).toBe(true);
    expect(existsSync(kubeconfig)).toBe(false);
  }, 300_000);
});
