// Controller benchmark (DESIGN.md, Performance targets: under 200 MiB RSS with 10,000 cached releases
// carrying 20 KiB of values each; a reconcile request within 1 s of the dependency turning Ready,
// where Flux alone takes up to 30 s a hop).
//
// This process runs the sandbox API seeded with 10,000 HelmReleases (20 KiB of Helm values each, in
// chains of four, all Ready, plus 200 "probe" pairs whose dependency is still installing and whose
// dependent waits with Ready=False DependencyNotReady). `releasegate serve` runs as its own process
// against it, as in a pod, so its RSS is its own. Measured:
// - sync: from spawning serve to its HelmRelease cache holding all 10,000 objects, and to /readyz;
// - RSS of the serve process once synced (from /proc, and prom-client's process_resident_memory_bytes);
// - gate opening: for each probe, one at a time, the time from sending the dependency's Ready status
//   to seeing the dependent's reconcile.fluxcd.io/requestedAt patch through a watch (end to end, API
//   round trips included), p50/p99/max; plus the controller's own gate_open_latency_seconds.
// Run: npm run bench:controller   (RELEASES=… PROBES=… VALUES_KIB=… to change the shape; the serve
// process inherits the environment, so e.g. MALLOC_ARENA_MAX=2 shows the allocator's share of RSS)

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import https from "node:https";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AdmissionregistrationV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { freePort, sandboxWebhookConfiguration, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { ObjectCache } from "../src/cluster/object-cache.js";
import { RECONCILE_REQUEST_ANNOTATION } from "../src/cluster/reconcile-request.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import { mulberry32 } from "./random.js";

const RELEASES = Number(process.env.RELEASES ?? 10_000);
const PROBES = Number(process.env.PROBES ?? 200);
const VALUES_KIB = Number(process.env.VALUES_KIB ?? 20);
const CHAIN = 4;
const RSS_TARGET_MIB = 200;
const GATE_TARGET_MS = 1000;
const FLUX_POLL_MS = 30_000;

const binary = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));


/** About `kib` KiB of Helm values, different per release (nothing a cache could share). */
function values(random: () => number, kib: number): Record<string, unknown> {
  const config: Record<string, string> = {};
  const chunk = 256;
  for (let i = 0; i < (kib * 1024) / chunk; i++) {
    let text = "";
    while (text.length < chunk) text += Math.floor(random() * 36 ** 8).toString(36);
    config[`key${i}`] = text.slice(0, chunk - 16);
  }
  return { replicaCount: 2, image: { repository: "example/app", tag: "1.0.0" }, config };
}

const READY = [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded", lastTransitionTime: "2024-01-01T00:00:00Z" }];
const PROGRESSING = [{ type: "Ready", status: "Unknown", reason: "Progressing", message: "Running 'install' action", lastTransitionTime: "2024-01-01T00:00:00Z" }];

function release(name: string, dependsOn: string[], conditions: object[], random: () => number): object {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: "default", generation: 1 },
    spec: {
      interval: "10m",
      chart: { spec: { chart: "app", version: "1.x", sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } },
      ...(dependsOn.length > 0 ? { dependsOn: dependsOn.map((d) => ({ name: d })) } : {}),
      values: values(random, VALUES_KIB),
    },
    status: { observedGeneration: 1, conditions },
  };
}

function waitingOn(dep: string): object[] {
  return [{ type: "Ready", status: "False", reason: "DependencyNotReady", message: `dependency 'default/${dep}' is not ready`, lastTransitionTime: "2024-01-01T00:00:00Z" }];
}

function seedObjects(): object[] {
  const random = mulberry32(42);
  const objects: object[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }];
  for (let p = 0; p < PROBES; p++) {
    objects.push(release(`probe-dep-${p}`, [], PROGRESSING, random));
    objects.push(release(`probe-app-${p}`, [`probe-dep-${p}`], waitingOn(`probe-dep-${p}`), random));
  }
  const rest = RELEASES - 2 * PROBES;
  for (let i = 0; i < rest; i++) {
    const position = i % CHAIN;
    objects.push(release(`app-${i}`, position === 0 ? [] : [`app-${i - 1}`], READY, random));
  }
  return objects;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kib * 1024;
}

function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
  });
}

async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

function metricValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(/\s+/).at(-1));
}

/** p99 from a Prometheus histogram's cumulative buckets: the upper bound of the bucket holding it. */
function histogramQuantile(text: string, name: string, q: number): string {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, "gm"))].map((m) => ({ le: m[1]!, count: Number(m[2]) }));
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return "n/a";
  const bucket = buckets.find((b) => b.count >= q * total);
  return bucket === undefined ? "n/a" : `≤ ${bucket.le} s`;
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  console.log(`bench/controller: ${RELEASES} HelmReleases with ${VALUES_KIB} KiB of values each, ${PROBES} gate openings; load average ${loadavg()[0]!.toFixed(2)}`);
  let t = performance.now();
  const seed = seedObjects();
  const sandbox = await startSandbox({ seed, historyLimit: 50_000 });
  seed.length = 0;
  console.log(`  sandbox seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const kc = sandbox.kubeConfig();
  const dir = await mkdtemp(join(tmpdir(), "releasegate-bench-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  await kc.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(webhookPort) });

  // The bench's own watch, to see the patches arrive.
  const watcher = new ObjectCache(kc, { kind: "HelmRelease" });
  const patched = new Map<string, (at: number) => void>();
  watcher.subscribe((change) => {
    if (change.type !== "upsert" || change.object.annotations?.[RECONCILE_REQUEST_ANNOTATION] === undefined) return;
    patched.get(change.key)?.(performance.now());
  });
  const listStarted = performance.now();
  watcher.start();
  await watcher.synced;
  console.log(`  the bench's own cache (same list, no controller) synced in ${((performance.now() - listStarted) / 1000).toFixed(2)} s`);

  t = performance.now();
  const child = spawn(
    process.execPath,
    [binary, "serve", "--kubeconfig", kubeconfig, "--namespace", SANDBOX_NAMESPACE, "--bind-address", "127.0.0.1", "--webhook-port", String(webhookPort), "--metrics-port", String(metricsPort), "--identity", "bench", "--log-level", "info"],
    // The allocator setting the container image ships (Dockerfile), unless the caller sets one.
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2" } },
  );
  let syncedMs: number | undefined;
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.includes('"msg":"cache synced"') && line.includes('"kind":"HelmRelease"')) syncedMs = performance.now() - t;
    }
  });
  let readyMs: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
    if ((await httpsStatus(`https://127.0.0.1:${webhookPort}/readyz`)) === 200) readyMs = performance.now() - t;
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const text = await metricsText(metricsPort);
  const cached = (metricValue(text, 'releasegate_releases{kind="HelmRelease",state="open"}') ?? 0) + (metricValue(text, 'releasegate_releases{kind="HelmRelease",state="NotReady"}') ?? 0);
  // Let the first-sync garbage go, as a long-running pod's would.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const rssSynced = rssOf(child.pid!);
  // And once the process has settled (V8's memory reducer runs when allocation stops).
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const rssSettled = rssOf(child.pid!);
  const syncedText = await metricsText(metricsPort);
  const rssMetric = metricValue(syncedText, "process_resident_memory_bytes") ?? NaN;
  const heapUsed = metricValue(syncedText, "nodejs_heap_size_used_bytes") ?? NaN;
  const heapTotal = metricValue(syncedText, "nodejs_heap_size_total_bytes") ?? NaN;
  const external = metricValue(syncedText, "nodejs_external_memory_bytes") ?? NaN;

  // Gate openings, one at a time.
  const api = kc.makeApiClient(CustomObjectsApi);
  const latencies: number[] = [];
  const slowest: Array<{ probe: number; ms: number }> = [];
  for (let p = 0; p < PROBES; p++) {
    const seen = new Promise<number>((resolve) => patched.set(`default/probe-app-${p}`, resolve));
    const sentAt = performance.now();
    await api.patchNamespacedCustomObjectStatus(
      {
        group: "helm.toolkit.fluxcd.io",
        version: "v2",
        plural: "helmreleases",
        namespace: "default",
        name: `probe-dep-${p}`,
        body: { status: { observedGeneration: 1, conditions: READY } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const at = await Promise.race([seen, new Promise<number>((resolve) => setTimeout(() => resolve(NaN), 35_000))]);
    latencies.push(at - sentAt);
    slowest.push({ probe: p, ms: at - sentAt });
  }
  const finalText = await metricsText(metricsPort);
  const rssAfter = rssOf(child.pid!);

  child.kill("SIGTERM");
  await new Promise((resolve) => child.on("exit", resolve));
  await watcher.stop();
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });

  const ok = latencies.filter((l) => Number.isFinite(l)).sort((a, b) => a - b);
  const p50 = percentile(ok, 50);
  const p99 = percentile(ok, 99);
  const max = ok.at(-1) ?? NaN;
  console.log("");
  console.log(`  objects in the controller's graph      ${cached} of ${RELEASES}`);
  console.log(`  HelmRelease cache synced               ${((syncedMs ?? NaN) / 1000).toFixed(2)} s after spawning serve`);
  console.log(`  /readyz 200                            ${(readyMs / 1000).toFixed(2)} s after spawning serve`);
  console.log(`  RSS once synced                        ${mib(rssSynced)} MiB (process_resident_memory_bytes ${mib(rssMetric)} MiB); target < ${RSS_TARGET_MIB} MiB: ratio ${(rssSynced / (RSS_TARGET_MIB * 1024 * 1024)).toFixed(2)}`);
  console.log(`  RSS 30 s later, settled                ${mib(rssSettled)} MiB; ratio ${(rssSettled / (RSS_TARGET_MIB * 1024 * 1024)).toFixed(2)}`);
  console.log(`  V8 heap when synced                    ${mib(heapUsed)} MiB used of ${mib(heapTotal)} MiB; external ${mib(external)} MiB`);
  console.log(`  RSS after the gate openings            ${mib(rssAfter)} MiB`);
  console.log(`  gate opening, Ready sent → patch seen  p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${ok.length}/${PROBES}`);
  console.log(`                                         target p99 < ${GATE_TARGET_MS} ms: ratio ${(p99 / GATE_TARGET_MS).toFixed(3)}; vs Flux's ${FLUX_POLL_MS / 1000} s poll: ${(FLUX_POLL_MS / p99).toFixed(0)}× sooner`);
  const worst = slowest.sort((a, b) => b.ms - a.ms).slice(0, 3).map((s) => `#${s.probe} ${s.ms.toFixed(0)} ms`);
  console.log(`                                         slowest: ${worst.join(", ")}`);
  console.log(`  controller's gate_open_latency p99     ${histogramQuantile(finalText, "releasegate_gate_open_latency_seconds", 0.99)} (seen Ready → patch acknowledged)`);
  console.log(
    JSON.stringify({
      releases: RELEASES,
      valuesKiB: VALUES_KIB,
      syncSeconds: syncedMs === undefined ? null : +(syncedMs / 1000).toFixed(2),
      readySeconds: +(readyMs / 1000).toFixed(2),
      rssMiB: +mib(rssSynced),
      rssSettledMiB: +mib(rssSettled),
      gateOpenMs: { p50: +p50.toFixed(1), p99: +p99.toFixed(1), max: +max.toFixed(1), samples: ok.length },
      load: +loadavg()[0]!.toFixed(2),
    }),
  );
  if (ok.length < PROBES) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
