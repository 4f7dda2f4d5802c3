// Shapes benchmark (docs/behaviour.md, Performance targets: memory and time linear in the graph whatever its
// shape). For each shape and size, the sandbox API seeded with that many HelmReleases (2 KiB of values each,
// created without admission, as objects applied while the webhook was down), and `releasegate serve` as its
// own process in the shipped configuration: the image's environment (Dockerfile ENV, NODE_OPTIONS included)
// and a 128 MB old-space cap, about the chart's memory limit. Printed per shape and size: serve's peak RSS,
// the time from the caches' sync to every gate computed (releasegate_releases counts every object), the
// Events written and dropped, whether serve stayed up and held the Lease throughout; per shape, the growth
// from the smallest to the largest size (linear is the size ratio; the target is ≤ 1.2× that).
// Then, in this process, for each shape: the admission decision for a review adding one edge (p99, the
// cycle message's length) and `check` on the shape as one file.
// Run: npm run bench:shapes   (SIZES=1000,3000 SHAPES=chain,cycle to run fewer; BINARY=… for another build;
// SERVE=0 or OFFLINE=0 to leave out the serve runs or the in-process parts)
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { freePort, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { countEvents as countEventsOf } from "./burst-scenario.js";
import type { Running } from "./burst-scenario.js";
import { metricValue } from "./prom-text.js";
import { CLI, imageEnvironment, procStatus } from "./serve-process.js";
import { shapeAdmission, shapeCheck } from "./shapes-offline.js";
import { SHAPES, shapeObjects } from "./shapes-seed.js";
import type { ShapeName } from "./shapes-seed.js";

const SIZES = (process.env.SIZES ?? "1000,3000,10000").split(",").map(Number);
const ONLY = process.env.SHAPES?.split(",") as ShapeName[] | undefined;
const BINARY = process.env.BINARY ?? CLI;
const HEAP_MIB = 128;
const IDENTITY = "shapes";

const READY = [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded", lastTransitionTime: "2024-01-01T00:00:00Z" }];
const FAILED = [
  { type: "Ready", status: "False", reason: "RetriesExceeded", message: "install retries exhausted", lastTransitionTime: "2024-01-01T00:01:00Z" },
  { type: "Stalled", status: "True", reason: "RetriesExceeded", message: "install retries exhausted", lastTransitionTime: "2024-01-01T00:01:00Z" },
];

interface Row {
  shape: ShapeName;
  size: number;
  peakRss: number;
  /** From serve's start to every gate computed, and the part of it after the caches' sync. */
  gatesMs: number | undefined;
  afterSyncMs: number | undefined;
  events: number;
  dropped: number;
  up: boolean;
  lease: boolean;
  note: string;
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function metrics(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return await response.text();
  } catch {
    return undefined;
  }
}

/** releasegate_releases by state for HelmReleases: how many gates are known, and how many blocked. */
function gateCounts(text: string): { total: number; blocked: number } {
  let total = 0;
  let blocked = 0;
  for (const match of text.matchAll(/^releasegate_releases\{([^}]*)\} (\S+)$/gm)) {
    if (!match[1]!.includes('kind="HelmRelease"')) continue;
    const value = Number(match[2]);
    total += value;
    if (!match[1]!.includes('state="open"')) blocked += value;
  }
  return { total, blocked };
}

async function leaseHolder(sandbox: Sandbox): Promise<string | undefined> {
  const { CoordinationV1Api } = await import("@kubernetes/client-node");
  try {
    const lease = await sandbox.kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: SANDBOX_NAMESPACE, name: "releasegate-leader" });
    return lease.spec?.holderIdentity ?? undefined;
  } catch {
    return undefined;
  }
}

async function setStatus(sandbox: Sandbox, name: string, conditions: object[]): Promise<void> {
  await sandbox.kubeConfig().makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
    { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases", namespace: "default", name, body: { status: { observedGeneration: 1, conditions } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

async function runOne(shape: ShapeName, size: number): Promise<Row> {
  const { objects, blocked, burstRoot } = shapeObjects(shape, size);
  const sandbox = await startSandbox({ seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, ...objects], historyLimit: 50_000 });
  const dir = await mkdtemp(join(tmpdir(), "releasegate-shapes-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  const peakFile = join(dir, "peak");
  const peakRss = new URL("./peak-rss.js", import.meta.url).pathname;
  const args = [`--max-old-space-size=${HEAP_MIB}`, "--import", peakRss, BINARY, "serve", "--kubeconfig", kubeconfig, "--namespace", SANDBOX_NAMESPACE];
  args.push("--bind-address", "127.0.0.1", "--webhook-port", String(webhookPort), "--metrics-port", String(metricsPort), "--identity", IDENTITY, "--log-level", "warn", "--ui-port", "0");
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...imageEnvironment(), RELEASEGATE_PEAK_RSS_FILE: peakFile },
  });
  let output = "";
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let sampledPeak = 0;
  let leaseLost = false;
  let leaseHeld = false;
  let sampling = true;
  const sampler = (async () => {
    while (sampling && child.exitCode === null && child.signalCode === null) {
      try {
        sampledPeak = Math.max(sampledPeak, procStatus(child.pid!).rss);
      } catch {
        break;
      }
      await sleep(100);
    }
  })();
  const leaseWatch = (async () => {
    while (sampling && child.exitCode === null && child.signalCode === null) {
      const holder = await leaseHolder(sandbox);
      if (holder === IDENTITY) leaseHeld = true;
      else if (leaseHeld) leaseLost = true;
      await sleep(500);
    }
  })();
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const notes: string[] = [];
  let gatesMs: number | undefined;
  let afterSyncMs: number | undefined;
  const spawnedAt = performance.now();
  try {
    // Sync, then every gate computed.
    const deadline = Date.now() + 300_000;
    let syncedAt: number | undefined;
    while (alive() && Date.now() < deadline) {
      const text = await metrics(metricsPort);
      if (text !== undefined) {
        if (syncedAt === undefined && metricValue(text, 'releasegate_cache_synced{kind="HelmRelease"}') === 1) syncedAt = performance.now();
        const counts = gateCounts(text);
        if (syncedAt !== undefined && counts.total >= size && counts.blocked === blocked) {
          gatesMs = performance.now() - spawnedAt;
          afterSyncMs = performance.now() - syncedAt;
          break;
        }
      }
      await sleep(50);
    }
    if (burstRoot !== undefined && alive() && gatesMs !== undefined) {
      // All blocked at once, then all opening.
      for (const [label, conditions, expected] of [
        ["blocked", FAILED, size - 1],
        ["opened", READY, 0],
      ] as const) {
        while (!leaseHeld && alive()) await sleep(100);
        const started = performance.now();
        await setStatus(sandbox, burstRoot, [...conditions]);
        let done: number | undefined;
        while (alive() && performance.now() - started < 120_000) {
          const text = await metrics(metricsPort);
          if (text !== undefined && gateCounts(text).blocked === expected) {
            done = performance.now() - started;
            break;
          }
          await sleep(100);
        }
        notes.push(`all ${label} in ${done === undefined ? "—" : `${(done / 1000).toFixed(1)} s`}`);
      }
    }
    // Let the Event queue work a while, as the burst benchmark does.
    const settle = Date.now() + 5_000;
    while (alive() && Date.now() < settle) await sleep(200);
    const text = alive() ? await metrics(metricsPort) : undefined;
    const dropped = text === undefined ? NaN : (metricValue(text, "releasegate_events_dropped_total") ?? 0);
    const events = await countEventsOf({ sandbox } as Running).catch(() => NaN);
    const up = alive();
    if (!up) notes.push(`serve exited (${child.exitCode ?? child.signalCode}): ${/heap out of memory|FATAL ERROR[^\n]*/.exec(output)?.[0] ?? output.split("\n").slice(-2).join(" ")}`);
    sampling = false;
    await Promise.all([sampler, leaseWatch]);
    if (up) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    const exitPeak = await readFile(peakFile, "utf8").then((t) => Number(t.split(" ")[0]) * 1024).catch(() => 0);
    return { shape, size, peakRss: Math.max(exitPeak, sampledPeak), gatesMs, afterSyncMs, events, dropped, up, lease: leaseHeld && !leaseLost && up, note: notes.join("; ") };
  } finally {
    sampling = false;
    if (alive()) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function row(r: Row): string {
  const gates = r.gatesMs === undefined ? "—" : `${(r.gatesMs / 1000).toFixed(2)} s (${(r.afterSyncMs! / 1000).toFixed(2)} s after sync)`;
  return `  ${r.shape.padEnd(8)} ${String(r.size).padStart(6)}  peak RSS ${mib(r.peakRss).padStart(4)} MiB  every gate ${gates.padStart(24)}  Events ${String(r.events).padStart(6)} written ${String(r.dropped).padStart(6)} dropped  serve ${r.up ? "up" : "DOWN"}  Lease ${r.lease ? "kept" : "LOST"}${r.note === "" ? "" : `  (${r.note})`}`;
}

async function main(): Promise<void> {
  const shapes = SHAPES.filter((s) => ONLY === undefined || ONLY.includes(s));
  console.log(`bench/shapes: serve as its own process, image environment (NODE_OPTIONS=${imageEnvironment()["NODE_OPTIONS"] ?? ""}) and --max-old-space-size=${HEAP_MIB}; sizes ${SIZES.join(", ")}; load ${loadavg()[0]!.toFixed(2)}`);
  for (const shape of process.env.SERVE === "0" ? [] : shapes) {
    const rows: Row[] = [];
    for (const size of SIZES) {
      const r = await runOne(shape, size);
      rows.push(r);
      console.log(row(r));
    }
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    if (rows.length > 1 && first.up && last.up) {
      const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || a === 0 ? "—" : `${(b / a).toFixed(1)}×`);
      console.log(`  ${shape.padEnd(8)} growth ${first.size}→${last.size} (${(last.size / first.size).toFixed(0)}× the objects): peak RSS ${ratio(first.peakRss, last.peakRss)}, time to every gate ${ratio(first.gatesMs, last.gatesMs)}`);
    }
  }
  if (process.env.OFFLINE !== "0") {
    console.log("admission (in process, the shape at the largest size cached; one review adding one edge, 2,000 times):");
    for (const shape of shapes) console.log(`  ${shape.padEnd(8)} ${shapeAdmission(shape, SIZES[SIZES.length - 1]!)}`);
    console.log("check (the shape as one file, the built CLI, its own process):");
    const dir = await mkdtemp(join(tmpdir(), "releasegate-shapes-check-"));
    try {
      for (const shape of shapes) console.log(`  ${shape.padEnd(8)} ${await shapeCheck(shape, SIZES[SIZES.length - 1]!, dir, writeFile, execFileSync)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
