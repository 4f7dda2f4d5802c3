// The load scenario of docs/behaviour.md (Bounded work), shared by bench/burst.ts (figures) and test/serve-burst.test.ts
// (bounds): the sandbox API with N HelmReleases that all depend on one shared `base`, and `releasegate
// serve` as its own process under a 128 MB V8 heap (about the chart's memory limit), as in a pod.
// 1. burst: `base` turns Failed (install retries exhausted), so all N gates turn blocked at once and the
//    leader has N Events to write;
// 2. bodies: 200 AdmissionReviews of 5 MiB each, all at once, at the webhook.
// Sampled every 100 ms throughout: serve's RSS (/proc), its open TCP connections to the API server
// (/proc/PID/fd against /proc/PID/net/tcp), whether /healthz answers, and who holds the Lease.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoordinationV1Api, CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { admissionReview } from "../src/admission/review-builder.test-support.js";
import { freePort, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";

export const DEFAULT_BINARY = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

const READY = [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded", lastTransitionTime: "2024-01-01T00:00:00Z" }];
const FAILED = [
  { type: "Ready", status: "False", reason: "RetriesExceeded", message: "install retries exhausted", lastTransitionTime: "2024-01-01T00:01:00Z" },
  { type: "Stalled", status: "True", reason: "RetriesExceeded", message: "install retries exhausted", lastTransitionTime: "2024-01-01T00:01:00Z" },
];

function release(name: string, dependsOn: string[]): object {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: "default", generation: 1 },
    spec: {
      interval: "10m",
      chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } },
      ...(dependsOn.length > 0 ? { dependsOn: dependsOn.map((d) => ({ name: d })) } : {}),
      values: { replicaCount: 1 },
    },
    status: { observedGeneration: 1, conditions: READY },
  };
}

export interface Sample {
  at: number;
  rss: number;
  connections: number;
  healthy: boolean;
}

export interface Running {
  sandbox: Sandbox;
  child: ChildProcess;
  webhookPort: number;
  metricsPort: number;
  identity: string;
  apiPort: number;
  output: () => string;
  stop(): Promise<void>;
}

export async function startBurstSetup(options: { objects: number; binary?: string; heapMiB?: number; extraArgs?: string[] }): Promise<Running> {
  const seed: object[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, release("base", [])];
  for (let i = 0; i < options.objects; i++) seed.push(release(`app-${i}`, ["base"]));
  const sandbox = await startSandbox({ seed, historyLimit: 50_000 });
  const dir = await mkdtemp(join(tmpdir(), "releasegate-burst-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  const identity = "burst";
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${options.heapMiB ?? 128}`,
      options.binary ?? DEFAULT_BINARY,
      "serve",
      "--kubeconfig",
      kubeconfig,
      "--namespace",
      SANDBOX_NAMESPACE,
      "--bind-address",
      "127.0.0.1",
      "--webhook-port",
      String(webhookPort),
      "--metrics-port",
      String(metricsPort),
      "--identity",
      identity,
      "--log-level",
      "warn",
      ...(options.extraArgs ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2" } },
  );
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return {
    sandbox,
    child,
    webhookPort,
    metricsPort,
    identity,
    apiPort: Number(new URL(sandbox.url).port),
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
      }
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function httpsGet(port: number, path: string, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get({ host: "127.0.0.1", port, path, rejectUnauthorized: false, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(0));
  });
}

export async function waitReady(run: Running, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await httpsGet(run.webhookPort, "/readyz")) !== 200) {
    if (run.child.exitCode !== null) throw new Error(`serve exited with ${run.child.exitCode}: ${run.output()}`);
    if (Date.now() > deadline) throw new Error(`serve not ready in time: ${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function leaseHolder(run: Running): Promise<string | undefined> {
  try {
    const lease = await run.sandbox.kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: SANDBOX_NAMESPACE, name: "releasegate-leader" });
    return lease.spec?.holderIdentity ?? undefined;
  } catch {
    return undefined;
  }
}

export function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Established TCP connections of `pid` to `remotePort`. */
export function connectionsTo(pid: number, remotePort: number): number {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((inode): inode is string => inode !== undefined),
    );
  } catch {
    return 0;
  }
  let count = 0;
  for (const file of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remote = cols[2]!;
      const state = cols[3]!;
      const inode = cols[9]!;
      if (state === "01" && inodes.has(inode) && parseInt(remote.split(":")[1]!, 16) === remotePort) count++;
    }
  }
  return count;
}

/** Samples serve every 100 ms until stop() is called. */
export function sampler(run: Running): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const healthy = (await httpsGet(run.webhookPort, "/healthz", 5000)) === 200;
      const pid = run.child.pid!;
      samples.push({ at: Date.now(), rss: rssOf(pid), connections: connectionsTo(pid, run.apiPort), healthy });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** `base` turns Failed: every dependent's gate turns blocked at once. */
export async function failBase(run: Running): Promise<void> {
  await run.sandbox.kubeConfig().makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
    {
      group: "helm.toolkit.fluxcd.io",
      version: "v2",
      plural: "helmreleases",
      namespace: "default",
      name: "base",
      body: { status: { observedGeneration: 1, conditions: FAILED } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

export async function countEvents(run: Running): Promise<number> {
  const list = await run.sandbox.kubeConfig().makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: "default" });
  return list.items.length;
}

/** One AdmissionReview of about `mib` MiB (a HelmRelease with that much Helm values). */
export function largeReview(mib: number): Buffer {
  const body = admissionReview({ operation: "CREATE", object: { name: "large", dependsOn: [{ name: "base" }] } }) as { request: { object: { spec: Record<string, unknown> } } };
  body.request.object.spec.values = { blob: "x".repeat(mib * 1024 * 1024) };
  return Buffer.from(JSON.stringify(body));
}

/** Sends `count` copies of `body` to /validate at once; the status of each (0: no answer). */
export function concurrentReviews(port: number, body: Buffer, count: number): Promise<number[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve) => {
          const req = https.request(
            {
              host: "127.0.0.1",
              port,
              path: "/validate",
              method: "POST",
              rejectUnauthorized: false,
              agent: false,
              timeout: 60_000,
              headers: { "content-type": "application/json", "content-length": body.length },
            },
            (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
            },
          );
          req.on("timeout", () => req.destroy(new Error("timeout")));
          req.on("error", () => resolve(0));
          req.end(body);
        }),
    ),
  );
}

export function peak(samples: Sample[], key: "rss" | "connections"): number {
  return samples.reduce((max, s) => Math.max(max, s[key]), 0);
}

export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
