// Controller benchmark in the shipped configuration (docs/behaviour.md, Performance targets; README, Sizing: under 200 MiB RSS at every
// moment with 10,000 releases of 20 KiB values: sync, 3,000 releases turning blocked at once, 200 gate
// openings; a reconcile request within 1 s of the dependency turning Ready, where Flux alone takes up to
// 30 s a hop).
//
// This process runs the sandbox API seeded with RELEASES HelmReleases (VALUES_KIB of Helm values each):
// PROBES pairs whose dependency is still installing and whose dependent waits (Ready=False
// DependencyNotReady), BURST releases depending on one shared `burst-root`, the rest in chains of four,
// all Ready. `releasegate serve` runs as its own process with its defaults (self-managed certificates,
// the webhook configuration registered as the chart does) and the environment the container image sets
// (the Dockerfile's ENV lines: allocator arenas, V8's young generation), so its RSS and CPU are its own. Its RSS is
// read from /proc every 250 ms through every phase, and a preload (bench/memory-probe.ts) logs
// process.memoryUsage() from inside at the same pace. Phases:
// - sync: spawn → HelmRelease cache synced → /readyz, then 3 s;
// - settled: 15 s of nothing;
// - burst: `burst-root` turns InstallFailed, BURST dependents block at once (Events, metrics), until the
//   Events stop growing;
// - gate openings: each probe's dependency turns Ready, one at a time; the time to seeing the dependent's
//   reconcile.fluxcd.io/requestedAt patch through a watch.
// Each phase's PEAK is printed, with the memoryUsage breakdown at that peak, then the settled figure.
// Run: npm run bench:controller  (RELEASES=… VALUES_KIB=… BURST=… PROBES=… change the shape; JSON=1
// prints one JSON line per run for the sizing table, bench/sizing.ts; PROFILE_PHASE=burst (or sync,
// settled, gate openings) records what serve allocates during that phase, bench/controller-alloc-probe.ts,
// and prints where the profile went; SERVE_NODE_FLAGS="--max-semi-space-size=…" adds flags to serve's node;
// READY_EXPR=1 gives every dependsOn entry a readyExpr over both objects' spec.values and the dependency's
// status (VALUES_READY_EXPR below), READY_EXPR="<CEL>" a readyExpr of your own: serve then keeps of each
// release the fields the expressions read, not its whole values)

import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { AdmissionregistrationV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { freePort, sandboxWebhookConfiguration, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { ObjectCache } from "../src/cluster/object-cache.js";
import { RECONCILE_REQUEST_ANNOTATION } from "../src/cluster/reconcile-request.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import { bucketDelta, histogramBuckets, histogramQuantile, metricValue } from "./prom-text.js";
import { mulberry32 } from "./random.js";
import { cpuSeconds, imageEnvironment, metricsText, mib, procStatus, rssByMapping, startServe, waitReady } from "./serve-process.js";
import type { ProcStatus } from "./serve-process.js";

const RELEASES = Number(process.env.RELEASES ?? 10_000);
const VALUES_KIB = Number(process.env.VALUES_KIB ?? 20);
const PROBES = Number(process.env.PROBES ?? Math.min(200, Math.floor(RELEASES * 0.02)));
const BURST = Number(process.env.BURST ?? Math.min(3_000, Math.floor(RELEASES * 0.3)));
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 15_000);
const CHAIN = 4;
const RSS_TARGET_MIB = 200;
const GATE_TARGET_MS = 1000;
const FLUX_POLL_MS = 30_000;
const SAMPLE_MS = 250;
const PROFILE_PHASE = process.env.PROFILE_PHASE ?? "";
const SERVE_NODE_FLAGS = (process.env.SERVE_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
/** Reads spec.values of both objects, and still waits for the dependency to be Ready (so the phases mean the same). */
const VALUES_READY_EXPR = "self.spec.values.image.tag == dep.spec.values.image.tag && dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')";
const READY_EXPR = process.env.READY_EXPR === undefined || process.env.READY_EXPR === "" ? undefined : process.env.READY_EXPR === "1" ? VALUES_READY_EXPR : process.env.READY_EXPR;

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

const condition = (status: string, reason: string, message: string): object[] => [{ type: "Ready", status, reason, message, lastTransitionTime: "2026-01-01T00:00:00Z" }];
const READY = condition("True", "InstallSucceeded", "Helm install succeeded");
const PROGRESSING = condition("Unknown", "Progressing", "Running 'install' action");
const FAILED = condition("False", "InstallFailed", "install retries exhausted");
const waitingOn = (dep: string): object[] => condition("False", "DependencyNotReady", `dependency 'default/${dep}' is not ready`);

function release(name: string, dependsOn: string[], conditions: object[], random: () => number): object {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: "default", generation: 1 },
    spec: {
      interval: "10m",
      chart: { spec: { chart: "app", version: "1.x", sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } },
      ...(dependsOn.length > 0 ? { dependsOn: dependsOn.map((d) => (READY_EXPR === undefined ? { name: d } : { name: d, readyExpr: READY_EXPR })) } : {}),
      values: values(random, VALUES_KIB),
    },
    status: { observedGeneration: 1, conditions },
  };
}

function seedObjects(): object[] {
  const random = mulberry32(42);
  const objects: object[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }];
  for (let p = 0; p < PROBES; p++) {
    objects.push(release(`probe-dep-${p}`, [], PROGRESSING, random));
    objects.push(release(`probe-app-${p}`, [`probe-dep-${p}`], waitingOn(`probe-dep-${p}`), random));
  }
  if (BURST > 0) {
    objects.push(release("burst-root", [], READY, random));
    for (let b = 0; b < BURST; b++) objects.push(release(`burst-app-${b}`, ["burst-root"], READY, random));
  }
  const rest = RELEASES - 2 * PROBES - (BURST > 0 ? BURST + 1 : 0);
  for (let i = 0; i < rest; i++) objects.push(release(`app-${i}`, i % CHAIN === 0 ? [] : [`app-${i - 1}`], READY, random));
  return objects;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Inside {
  us: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  malloced: number;
}

interface Phase {
  name: string;
  fromUs: number;
  toUs: number;
  cpuFrom: number;
  cpuTo: number;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const load1 = (): string => loadavg()[0]!.toFixed(2);

async function main(): Promise<void> {
  const json = process.env.JSON === "1";
  console.log(
    `bench/controller: ${RELEASES} HelmReleases with ${VALUES_KIB} KiB of values each${READY_EXPR === undefined ? "" : `, every dependsOn entry with readyExpr "${READY_EXPR}"`}, a ${BURST}-release blocked burst, ${PROBES} gate openings; node ${process.version}; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`,
  );
  let t = performance.now();
  const seed = seedObjects();
  const sandbox = await startSandbox({ seed, historyLimit: 50_000 });
  seed.length = 0;
  console.log(`  sandbox seeded in ${((performance.now() - t) / 1000).toFixed(1)} s (in this process)`);
  const kc = sandbox.kubeConfig();
  const dir = await mkdtemp(join(tmpdir(), "releasegate-bench-"));
  const kubeconfig = join(dir, "kubeconfig");
  const memoryFile = join(dir, "memory.jsonl");
  await sandbox.writeKubeconfig(kubeconfig);
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  await kc.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(webhookPort) });

  // The bench's own watch, to see the reconcile patches arrive.
  const watcher = new ObjectCache(kc, { kind: "HelmRelease" });
  const patched = new Map<string, (at: number) => void>();
  watcher.subscribe((change) => {
    if (change.type !== "upsert" || change.object.annotations?.[RECONCILE_REQUEST_ANNOTATION] === undefined) return;
    patched.get(change.key)?.(performance.now());
  });
  watcher.start();
  await watcher.synced;

  const samples: Array<{ us: number } & ProcStatus> = [];
  const phases: Phase[] = [];
  let pid = 0;
  const sampler = setInterval(() => {
    try {
      if (pid !== 0) samples.push({ us: nowUs(), ...procStatus(pid) });
    } catch {
      // the process is gone
    }
  }, SAMPLE_MS);
  const allocFile = join(dir, "allocations.heapprofile");
  const phase = async (name: string, body: () => Promise<void>): Promise<void> => {
    // The probe starts and stops the allocation profile on SIGUSR2.
    // (sync: from the process's start, so the probe starts it by itself.)
    const profiled = name === PROFILE_PHASE;
    if (profiled && name !== "sync") process.kill(pid, "SIGUSR2");
    const p: Phase = { name, fromUs: nowUs(), toUs: 0, cpuFrom: cpuSeconds(pid), cpuTo: 0 };
    await body();
    if (profiled) {
      process.kill(pid, "SIGUSR2");
      await sleep(3000);
      const kept = join(tmpdir(), `releasegate-${name.replace(/ /g, "-")}-${process.pid}.heapprofile`);
      await copyFile(allocFile, kept).catch(() => undefined);
      await copyFile(allocFile.replace(/\.heapprofile$/, ".txt"), kept.replace(/\.heapprofile$/, ".txt")).catch(() => undefined);
      console.log(`  allocation profile of ${name}: ${kept} (summary: ${kept.replace(/\.heapprofile$/, ".txt")})`);
    }
    p.toUs = nowUs();
    p.cpuTo = cpuSeconds(pid);
    phases.push(p);
  };

  const image = imageEnvironment();
  console.log(`  serve's environment from the image (Dockerfile): ${Object.entries(image).map(([k, v]) => `${k}=${v}`).join(" ")}${SERVE_NODE_FLAGS.length > 0 ? `; node flags ${SERVE_NODE_FLAGS.join(" ")}` : ""}`);
  t = performance.now();
  let syncedMs: number | undefined;
  const serve = startServe({
    kubeconfig,
    webhookPort,
    metricsPort,
    // What a user outside a pod must give: the namespace of the Lease and the certificate Secret.
    flags: ["--namespace", SANDBOX_NAMESPACE],
    nodeFlags: [
      ...SERVE_NODE_FLAGS,
      "--import",
      new URL("./memory-probe.js", import.meta.url).href,
      ...(PROFILE_PHASE !== "" ? ["--import", new URL("./controller-alloc-probe.js", import.meta.url).href] : []),
    ],
    // The environment the container image ships (Dockerfile): allocator and V8 heap settings.
    env: { ...image, RELEASEGATE_BENCH_MEMORY_FILE: memoryFile, RELEASEGATE_BENCH_ALLOC_FILE: allocFile, RELEASEGATE_BENCH_ALLOC_FROM_START: PROFILE_PHASE === "sync" ? "1" : "" },
    onLine: (line) => {
      if (line.includes('"msg":"cache synced"') && line.includes('"kind":"HelmRelease"')) syncedMs ??= performance.now() - t;
    },
  });
  pid = serve.pid;
  let readyMs = 0;
  await phase("sync", async () => {
    // The sandbox in this process serves the lists: at 100,000 releases (2 GB) that alone takes about 300 s.
    readyMs = await waitReady(serve, webhookPort, Math.max(300_000, RELEASES * 6));
    await sleep(3000);
  });
  const syncLoad = load1();
  const text = await metricsText(metricsPort);
  const cached = ["open", "Cycle", "Missing", "Failed", "NotReady", "Suspended"].reduce((sum, s) => sum + (metricValue(text, `releasegate_releases{kind="HelmRelease",state="${s}"}`) ?? 0), 0);

  await phase("settled", () => sleep(SETTLE_MS));
  const settledLoad = load1();
  const mappings = rssByMapping(pid);

  const api = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const setStatus = (name: string, conditions: object[]): Promise<unknown> =>
    api.patchNamespacedCustomObjectStatus(
      { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases", namespace: "default", name, body: { status: { observedGeneration: 1, conditions } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  const countEvents = async (): Promise<number> => (await core.listNamespacedEvent({ namespace: "default" })).items.length;
  let burstBlocked = 0;
  let burstEvents = 0;
  let burstMs = 0;
  const eventsBefore = await countEvents();
  if (BURST > 0) {
    await phase("burst", async () => {
      const started = performance.now();
      await setStatus("burst-root", FAILED);
      // Until the gates are blocked and the Events have stopped growing for 3 s (at most 180 s).
      let last = -1;
      let stableSince = performance.now();
      while (performance.now() - started < 180_000) {
        await sleep(1000);
        burstBlocked = metricValue(await metricsText(metricsPort), 'releasegate_releases{kind="HelmRelease",state="Failed"}') ?? 0;
        const events = (await countEvents()) - eventsBefore;
        if (events !== last) {
          last = events;
          stableSince = performance.now();
        } else if (burstBlocked >= BURST && performance.now() - stableSince >= 3000) break;
      }
      burstEvents = last;
      burstMs = performance.now() - started;
      await sleep(2000);
    });
  }
  const burstLoad = load1();

  const latencies: number[] = [];
  const slowest: Array<{ probe: number; ms: number }> = [];
  const gateBefore = histogramBuckets(await metricsText(metricsPort), "releasegate_gate_open_latency_seconds");
  await phase("gate openings", async () => {
    for (let p = 0; p < PROBES; p++) {
      const seen = new Promise<number>((resolve) => patched.set(`default/probe-app-${p}`, resolve));
      const sentAt = performance.now();
      await setStatus(`probe-dep-${p}`, READY);
      const at = await Promise.race([seen, new Promise<number>((resolve) => setTimeout(() => resolve(NaN), 35_000))]);
      latencies.push(at - sentAt);
      slowest.push({ probe: p, ms: at - sentAt });
    }
    await sleep(2000);
  });
  const gateLoad = load1();
  const gateAfter = histogramBuckets(await metricsText(metricsPort), "releasegate_gate_open_latency_seconds");

  clearInterval(sampler);
  await serve.stop();
  await watcher.stop();
  await sandbox.close();
  const inside: Inside[] = (await readFile(memoryFile, "utf8").catch(() => ""))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Inside);
  await rm(dir, { recursive: true, force: true });

  // --- report ---
  const loads: Record<string, string> = { sync: syncLoad, settled: settledLoad, burst: burstLoad, "gate openings": gateLoad };
  console.log("");
  console.log(`  objects in the controller's graph      ${cached} of ${RELEASES}`);
  console.log(`  HelmRelease cache synced               ${((syncedMs ?? NaN) / 1000).toFixed(2)} s after spawning serve; /readyz 200 after ${(readyMs / 1000).toFixed(2)} s`);
  console.log(`  RSS sampled every ${SAMPLE_MS} ms from /proc (${samples.length} samples); memoryUsage() from inside serve every ${SAMPLE_MS} ms (${inside.length} samples)`);
  console.log(`  phase            peak RSS   (anon + file)          at the peak (inside):  heapUsed  heapTotal  external  arrayBuffers  malloc   | end RSS   CPU s   load`);
  const peaks: Record<string, number> = {};
  for (const p of phases) {
    const within = samples.filter((s) => s.us >= p.fromUs && s.us <= p.toUs);
    if (within.length === 0) continue;
    const peak = within.reduce((a, b) => (b.rss > a.rss ? b : a));
    peaks[p.name] = peak.rss;
    const near = inside.reduce<Inside | undefined>((best, s) => (best === undefined || Math.abs(s.us - peak.us) < Math.abs(best.us - peak.us) ? s : best), undefined);
    const end = within.at(-1)!;
    const cols = near === undefined ? "n/a" : `${mib(near.heapUsed).padStart(8)}  ${mib(near.heapTotal).padStart(9)}  ${mib(near.external).padStart(8)}  ${mib(near.arrayBuffers).padStart(12)}  ${mib(near.malloced).padStart(5)}`;
    console.log(
      `  ${p.name.padEnd(15)} ${mib(peak.rss).padStart(7)} MiB (${mib(peak.rssAnon)} + ${mib(peak.rssFile)})${" ".repeat(Math.max(1, 16 - `${mib(peak.rssAnon)} + ${mib(peak.rssFile)}`.length))}                    ${cols}   | ${mib(end.rss).padStart(6)}  ${(p.cpuTo - p.cpuFrom).toFixed(1).padStart(6)}  ${loads[p.name] ?? ""}`,
    );
  }
  const overallPeak = Math.max(...samples.map((s) => s.rss));
  const maxHeap = Math.max(...inside.map((s) => s.heapUsed));
  const maxExternal = Math.max(...inside.map((s) => s.external));
  const maxArrayBuffers = Math.max(...inside.map((s) => s.arrayBuffers));
  console.log(`  largest inside figures over the run: heapUsed ${mib(maxHeap)} MiB, external ${mib(maxExternal)} MiB, arrayBuffers ${mib(maxArrayBuffers)} MiB`);
  console.log(
    `  settled RSS by mapping (/proc/PID/smaps): brk heap (small mallocs) ${mib(mappings.brkHeap)} MiB, anonymous mappings ${mib(mappings.anonymous)} MiB (largest ${mappings.largestAnonymous.map(mib).join(", ")}), files ${mib(mappings.files)} MiB`,
  );
  if (BURST > 0) console.log(`  burst: ${burstBlocked} of ${BURST} blocked (Failed), ${burstEvents} Events written, settled after ${(burstMs / 1000).toFixed(1)} s`);

  const ok = latencies.filter((l) => Number.isFinite(l)).sort((a, b) => a - b);
  const p50 = percentile(ok, 50);
  const p99 = percentile(ok, 99);
  const max = ok.at(-1) ?? NaN;
  const worst = slowest.sort((a, b) => b.ms - a.ms).slice(0, 3).map((s) => `#${s.probe} ${s.ms.toFixed(0)} ms`);
  console.log(`  gate opening, Ready sent → patch seen  p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${ok.length}/${PROBES}; slowest ${worst.join(", ")}`);
  const gateP99 = histogramQuantile(bucketDelta(gateBefore, gateAfter), 0.99);
  console.log(`  controller's gate_open_latency p99     ≤ ${gateP99.bound} s bucket (seen Ready → patch acknowledged)`);
  console.log("");
  const verdict = (bytes: number): string => `${bytes < RSS_TARGET_MIB * 1024 * 1024 ? "met" : "MISSED"}`;
  console.log(`peak RSS over the whole run ${mib(overallPeak)} MiB (target < ${RSS_TARGET_MIB} MiB at every sample: ${verdict(overallPeak)}); per phase: ${Object.entries(peaks).map(([k, v]) => `${k} ${mib(v)}`).join(", ")}`);
  console.log(`gate opening p99 ${p99.toFixed(1)} ms (target < ${GATE_TARGET_MS} ms: ${p99 < GATE_TARGET_MS ? "met" : "MISSED"}; Flux alone polls every ${FLUX_POLL_MS / 1000} s: ${(FLUX_POLL_MS / p99).toFixed(0)}× sooner)`);
  console.log(`load average at the end ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  if (json) {
    const syncPhase = phases.find((p) => p.name === "sync");
    const settled = phases.find((p) => p.name === "settled");
    const settledEnd = samples.filter((s) => settled !== undefined && s.us <= settled.toUs).at(-1);
    console.log(
      "RESULT " +
        JSON.stringify({
          releases: RELEASES,
          valuesKiB: VALUES_KIB,
          burst: BURST,
          probes: PROBES,
          syncSeconds: syncedMs === undefined ? null : +(syncedMs / 1000).toFixed(2),
          syncCpuSeconds: syncPhase === undefined ? null : +(syncPhase.cpuTo - syncPhase.cpuFrom).toFixed(1),
          idleCpuPercent: settled === undefined ? null : +((100 * (settled.cpuTo - settled.cpuFrom)) / ((settled.toUs - settled.fromUs) / 1e6)).toFixed(1),
          peakMiB: Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, +mib(v)])),
          settledMiB: settledEnd === undefined ? null : +mib(settledEnd.rss),
          heapUsedMaxMiB: +mib(maxHeap),
          burstCpuSeconds: (() => {
            const b = phases.find((p) => p.name === "burst");
            return b === undefined ? null : +(b.cpuTo - b.cpuFrom).toFixed(1);
          })(),
          gateOpenMs: { p50: +p50.toFixed(1), p99: +p99.toFixed(1) },
          load: +load1(),
        }),
    );
  }
  if (ok.length < PROBES) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
