// Admission benchmark in the shipped configuration (docs/behaviour.md, Performance targets: throughput at least 0.70 of a
// bare Node HTTPS server that parses the same bodies and answers, server-side p99 under 2 ms, a
// missing-dependency denial p99 under 20 ms, with 10,000 releases cached).
//
// - The API: the sandbox, in this process, seeded with 10,000 HelmReleases (all Ready) in teams of 20
//   leaning on shared infra; no webhook registered (the benchmark posts the reviews itself).
// - releasegate: `node dist/src/cli/main.js serve` as its own process with its defaults, in the image's
//   environment (the Dockerfile's ENV lines: bench/serve-process.ts, imageEnvironment); the only flags
//   are the ones a user must give (kubeconfig, certificate files) and the ones this shared machine forces
//   (ports of our own, loopback).
// - The baseline: bench/bare-server.ts, its own process too, same certificate: reads the body,
//   JSON.parses it, answers a fixed AdmissionReview.
// - The load: a worker thread keeps 8 keep-alive HTTPS connections busy (a closed loop, a minimal
//   HTTP/1.1 client) with the same 2,000 reviews (bench/admission-mix.ts): 10% UPDATEs closing a cycle,
//   5% CREATEs naming a missing dependency, the rest allowed CREATEs and UPDATEs. Rounds alternate
//   between the two servers, so a change in the machine's load hits both alike.
// - CPU per review: each server's user + system time (every thread, from /proc) inside its measuring
//   windows, divided by the reviews answered. On a shared machine the throughput ratio follows the
//   scheduler as much as the code; this figure is what a review costs, and its ratio is what the
//   throughput ratio tends to when each server has a core of its own.
// - Latency: serve's own releasegate_admission_duration_seconds (histogram; the difference of two scrapes
//   around each measuring window, quantile interpolated in the bucket as Prometheus does): the target is
//   on its source="memory" series (answers decided from the cache); the source="reads" series (answers
//   that waited for the API server's read) is printed beside it. Cross-checked client-side on one
//   connection with the bare server's latency (the network and TLS floor) subtracted. The
//   missing-denial target is client-side, as a user waits for it.
// - Then serve again under `--cpu-prof` for one round, and its top self-time functions.
// Run: npm run bench:admission
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { CATEGORIES, makeFleet, makePayloads, seedObjects } from "./admission-mix.js";
import type { Category } from "./admission-mix.js";
import { generateCertificateAuthority, generateServingCertificate } from "../src/certs/generate.js";
import { freePort } from "../src/cli/sandbox.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import { formatSelfTimes } from "./cpu-profile.js";
import type { Window } from "./cpu-profile.js";
import { bucketDelta, histogramBuckets, histogramQuantile } from "./prom-text.js";
import type { Bucket } from "./prom-text.js";
import { imageEnvironment, metricsText, startServe, waitReady } from "./serve-process.js";
import type { ServeProcess } from "./serve-process.js";
import { mulberry32 } from "./random.js";

const CONNECTIONS = 8;
const WARMUP_MS = 1_000;
const MEASURE_MS = Number(process.env.MEASURE_MS ?? 3_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PROFILE = process.env.PROFILE !== "0";
const HISTOGRAM = "releasegate_admission_duration_seconds";
// Its two series: answers decided from the cache, and those that waited for the deny path's reads.
const MEMORY = 'source="memory"';
const READS = 'source="reads"';
// Reviews that add a dependsOn edge: answered after one read proving the API server answers, and telling the peers.
const PATH = 'source="path"';
/** The edge-adding path's p99 target, server-side (docs/behaviour.md, "No window"). */
const TARGET_PATH_P99_MS = 5;

const TARGET_RATIO = 0.7;
const TARGET_P99_MS = 2;
const TARGET_MISSING_P99_MS = 20;

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ");

// --- the load generator (worker thread): a minimal keep-alive HTTP/1.1 client over TLS ---

interface LoadRequest {
  port: number;
  ca: string;
  payloads: string[];
  categories: Category[];
  connections: number;
  warmupMs: number;
  measureMs: number;
}

interface LoadResult {
  completed: number;
  /** Answers with allowed:false, by the category of the review sent. */
  denied: Record<Category, number>;
  sent: Record<Category, number>;
  errors: number;
  elapsedMs: number;
  /** Client-side latency per category in ms, inside the measuring window. */
  latencies: Record<Category, number[]>;
}

/** A response not complete within this is an error (the connection is dropped and reopened). */
const RESPONSE_TIMEOUT_MS = 15_000;

function runLoad(request: LoadRequest): Promise<LoadResult> {
  const requests = request.payloads.map((body) =>
    Buffer.from(`POST /validate?timeout=10s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
  );
  let next = 0;
  let measuring = false;
  let stopping = false;
  const zero = (): Record<Category, number> => ({ allowed: 0, cycle: 0, missing: 0 });
  const result: LoadResult = { completed: 0, denied: zero(), sent: zero(), errors: 0, elapsedMs: 0, latencies: { allowed: [], cycle: [], missing: [] } };
  const DENIED = Buffer.from('"allowed":false');
  const HEADER_END = Buffer.from("\r\n\r\n");

  const connection = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: request.port, ca: request.ca, servername: "localhost" });
      let buffer: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let index = 0;
      let timer: NodeJS.Timeout | undefined;
      const send = (): void => {
        clearTimeout(timer);
        if (stopping) {
          socket.end();
          return;
        }
        index = next++ % requests.length;
        sentAt = performance.now();
        timer = setTimeout(() => {
          result.errors++;
          socket.destroy();
        }, RESPONSE_TIMEOUT_MS);
        socket.write(requests[index]!);
      };
      socket.on("secureConnect", send);
      socket.on("data", (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        const headerEnd = buffer.indexOf(HEADER_END);
        if (headerEnd < 0) return;
        const head = buffer.subarray(0, headerEnd).toString("latin1");
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        const end = headerEnd + 4 + length;
        if (buffer.length < end) return;
        const body = buffer.subarray(headerEnd + 4, end);
        buffer = buffer.subarray(end);
        if (measuring) {
          const category = request.categories[index]!;
          if (!head.startsWith("HTTP/1.1 200")) result.errors++;
          else {
            result.completed++;
            result.sent[category]++;
            result.latencies[category].push(performance.now() - sentAt);
            if (body.includes(DENIED)) result.denied[category]++;
          }
        }
        send();
      });
      socket.on("error", () => {
        result.errors++;
      });
      socket.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });

  return new Promise((resolve) => {
    const all = Array.from({ length: request.connections }, connection);
    let started = 0;
    setTimeout(() => {
      parentPort?.postMessage({ type: "measuring" });
      measuring = true;
      started = performance.now();
      setTimeout(() => {
        measuring = false;
        result.elapsedMs = performance.now() - started;
        parentPort?.postMessage({ type: "measured" });
        stopping = true;
        void Promise.all(all).then(() => resolve(result));
      }, request.measureMs);
    }, request.warmupMs);
  });
}

if (!isMainThread) {
  void runLoad(workerData as LoadRequest).then((result) => parentPort?.postMessage({ type: "result", result }));
}

/** Runs the load in a worker; `onWindow(true|false)` brackets the measuring window. */
function runWorker(request: LoadRequest, onWindow: (on: boolean) => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: request });
    worker.on("message", (message: { type: "measuring" } | { type: "measured" } | { type: "result"; result: LoadResult }) => {
      if (message.type === "measuring") onWindow(true);
      else if (message.type === "measured") onWindow(false);
      else {
        resolve(message.result);
        void worker.terminate();
      }
    });
    worker.once("error", reject);
  });
}

// --- the baseline process ---

interface BareServer {
  port: number;
  child: ChildProcess;
  record(on: boolean): void;
  samples(): Promise<number[]>;
  close(): Promise<void>;
}

async function startBare(certFile: string, keyFile: string): Promise<BareServer> {
  // BARE_NODE_FLAGS: node flags for the baseline (e.g. --cpu-prof, to compare where its time goes).
  const execArgv = process.env.BARE_NODE_FLAGS?.split(" ").filter((f) => f !== "") ?? [];
  // The same runtime settings as serve (the image's environment): only the code differs.
  const child = fork(fileURLToPath(new URL("./bare-server.js", import.meta.url)), [certFile, keyFile], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv, env: { ...process.env, ...imageEnvironment() } });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { type: string; port: number }) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return {
    port,
    child,
    record: (on) => child.send({ type: "record", on }),
    samples: () =>
      new Promise((resolve) => {
        const on = (m: { type: string; samples?: number[] }): void => {
          if (m.type !== "samples") return;
          child.off("message", on);
          resolve(m.samples ?? []);
        };
        child.on("message", on);
        child.send({ type: "samples" });
      }),
    close: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.send({ type: "close" });
      }),
  };
}

// --- statistics ---

/**
 * CPU time a process has used so far, user + system, all its threads, in ms: fields 14 and 15 of
 * /proc/PID/stat, in clock ticks of 10 ms (Linux's USER_HZ is 100 on every architecture Node runs on).
 * NaN where /proc is not there. Wall-clock profiles on a shared machine count the time a process was
 * preempted inside a syscall; this does not, so it says what each review costs on a quiet machine.
 */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Brackets a measuring window with CPU readings of `pid`; `spent()` is the CPU ms used inside it. */
function cpuMeter(pid: number): { onWindow(on: boolean): void; spent(): number } {
  let from = NaN;
  let to = NaN;
  return {
    onWindow: (on) => {
      if (on) from = cpuMs(pid);
      else to = cpuMs(pid);
    },
    spent: () => to - from,
  };
}

function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const fmt = (ms: number): string => (Number.isFinite(ms) ? `${ms.toFixed(3)} ms` : "n/a");
const verdict = (ok: boolean): string => (ok ? "met" : "MISSED");

interface Totals {
  completed: number;
  ms: number;
  /** CPU ms the server used inside the measuring windows. */
  cpuMs: number;
  errors: number;
  latencies: Record<Category, number[]>;
  sent: Record<Category, number>;
  denied: Record<Category, number>;
}

function emptyTotals(): Totals {
  return { completed: 0, ms: 0, cpuMs: 0, errors: 0, latencies: { allowed: [], cycle: [], missing: [] }, sent: { allowed: 0, cycle: 0, missing: 0 }, denied: { allowed: 0, cycle: 0, missing: 0 } };
}

function add(totals: Totals, result: LoadResult, cpu = NaN): void {
  totals.completed += result.completed;
  totals.cpuMs += cpu;
  totals.ms += result.elapsedMs;
  totals.errors += result.errors;
  for (const c of CATEGORIES) {
    totals.latencies[c].push(...result.latencies[c]);
    totals.sent[c] += result.sent[c];
    totals.denied[c] += result.denied[c];
  }
}

const rate = (t: Totals): number => (t.completed / t.ms) * 1000;
const perReviewUs = (cpu: number, completed: number): string => (Number.isFinite(cpu) && completed > 0 ? `${((cpu * 1000) / completed).toFixed(0)} µs` : "n/a");
const all = (t: Totals): number[] => CATEGORIES.flatMap((c) => t.latencies[c]);

/** A serve round: the worker's result plus serve's histogram over the measuring window. */
async function serveRound(
  base: Omit<LoadRequest, "port" | "connections">,
  port: number,
  metricsPort: number,
  connections: number,
  pid: number,
): Promise<{ result: LoadResult; buckets: Bucket[]; readBuckets: Bucket[]; pathBuckets: Bucket[]; window: Window; cpuMs: number }> {
  let before: Promise<string> = Promise.resolve("");
  let after: Promise<string> = Promise.resolve("");
  const window: Window = { fromUs: 0, toUs: 0 };
  const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
  const scrape = (): Promise<string> => metricsText(metricsPort);
  const cpu = cpuMeter(pid);
  const result = await runWorker({ ...base, port, connections }, (on) => {
    cpu.onWindow(on);
    if (on) {
      window.fromUs = nowUs();
      before = scrape();
    } else {
      window.toUs = nowUs();
      after = scrape();
    }
  });
  const [from, to] = [await before, await after];
  const delta = (labels: string): Bucket[] => bucketDelta(histogramBuckets(from, HISTOGRAM, labels), histogramBuckets(to, HISTOGRAM, labels));
  return { result, buckets: delta(MEMORY), readBuckets: delta(READS), pathBuckets: delta(PATH), window, cpuMs: cpu.spent() };
}

function sumBuckets(into: Bucket[], more: readonly Bucket[]): Bucket[] {
  if (into.length === 0) return more.map((b) => ({ ...b }));
  return into.map((b, i) => ({ le: b.le, count: b.count + (more[i]?.count ?? 0) }));
}

async function main(): Promise<void> {
  console.log(`bench/admission (node ${process.version}); load average at start ${load()}`);
  const random = mulberry32(42);
  const fleet = makeFleet(random);
  // ONLY=allowed|cycle|missing sends that category alone: what each costs (not the benchmark's figure).
  const only = process.env.ONLY as Category | undefined;
  const payloads = makePayloads(fleet, random).filter((p) => only === undefined || p.category === only);
  const share = (c: Category): number => payloads.filter((p) => p.category === c).length / payloads.length;
  const meanBytes = payloads.reduce((sum, p) => sum + Buffer.byteLength(p.body), 0) / payloads.length;

  const t = performance.now();
  const sandbox = await startSandbox({ seed: seedObjects(fleet) });
  console.log(`  sandbox API seeded with ${fleet.releases.length} HelmReleases in ${((performance.now() - t) / 1000).toFixed(1)} s (in this process; no webhook registered)`);
  const dir = await mkdtemp(join(tmpdir(), "releasegate-bench-admission-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  const ca = generateCertificateAuthority("bench-ca");
  const serving = generateServingCertificate(ca, { commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  await writeFile(certFile, serving.certPem);
  await writeFile(keyFile, serving.keyPem);
  const certFlags = ["--cert-mode", "files", "--tls-cert-file", certFile, "--tls-key-file", keyFile];

  const spawnServe = async (nodeFlags: string[] = []): Promise<{ serve: ServeProcess; webhookPort: number; metricsPort: number; readyMs: number }> => {
    const [webhookPort, metricsPort] = [await freePort(), await freePort()];
    const serve = startServe({ kubeconfig, webhookPort, metricsPort, flags: certFlags, nodeFlags });
    const readyMs = await waitReady(serve, webhookPort);
    return { serve, webhookPort, metricsPort, readyMs };
  };

  // SERVE_NODE_FLAGS: node flags for the measured serve (e.g. --perf-basic-prof, to look with perf).
  const running = await spawnServe(process.env.SERVE_NODE_FLAGS?.split(" ").filter((f) => f !== "") ?? []);
  console.log(`  serve ready (caches synced) ${(running.readyMs / 1000).toFixed(1)} s after spawning: node dist/src/cli/main.js serve --kubeconfig … ${certFlags.join(" ").replaceAll(dir, "$TMP")} (+ ports, --bind-address 127.0.0.1)`);
  console.log(`  serve's environment from the image (Dockerfile): ${Object.entries(imageEnvironment()).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  const bare = await startBare(certFile, keyFile);

  const base = {
    ca: ca.certPem,
    payloads: payloads.map((p) => p.body),
    categories: payloads.map((p) => p.category),
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
  };
  const totals = { bare: emptyTotals(), ours: emptyTotals() };
  let ourBuckets: Bucket[] = [];
  let ourReadBuckets: Bucket[] = [];
  let ourPathBuckets: Bucket[] = [];
  let bareServerSide: number[] = [];
  const loads: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const bareCpu = cpuMeter(bare.child.pid!);
    const b = await runWorker({ ...base, port: bare.port, connections: CONNECTIONS }, (on) => {
      bareCpu.onWindow(on);
      bare.record(on);
    });
    bareServerSide = bareServerSide.concat(await bare.samples());
    add(totals.bare, b, bareCpu.spent());
    const o = await serveRound(base, running.webhookPort, running.metricsPort, CONNECTIONS, running.serve.pid);
    add(totals.ours, o.result, o.cpuMs);
    ourBuckets = sumBuckets(ourBuckets, o.buckets);
    ourReadBuckets = sumBuckets(ourReadBuckets, o.readBuckets);
    ourPathBuckets = sumBuckets(ourPathBuckets, o.pathBuckets);
    loads.push(loadavg()[0]!.toFixed(2));
    console.log(
      `  round ${round + 1}: bare ${Math.round((b.completed / b.elapsedMs) * 1000)} req/s, releasegate ${Math.round((o.result.completed / o.result.elapsedMs) * 1000)} req/s` +
        ` (errors ${b.errors}/${o.result.errors}); CPU per review bare ${perReviewUs(bareCpu.spent(), b.completed)}, releasegate ${perReviewUs(o.cpuMs, o.result.completed)}; load average ${load()}`,
    );
  }

  // Latency without queueing: one connection, one request at a time, each server in turn.
  const single = { bare: emptyTotals(), ours: emptyTotals() };
  add(single.bare, await runWorker({ ...base, port: bare.port, connections: 1 }, () => undefined));
  const singleOurs = await serveRound(base, running.webhookPort, running.metricsPort, 1, running.serve.pid);
  add(single.ours, singleOurs.result);
  const loadAfterRounds = load();
  await running.serve.stop();

  // The same load once more against serve under --cpu-prof.
  let profileText = "";
  if (PROFILE) {
    // PROFILE_DIR keeps the .cpuprofile (for a closer look: who calls what); otherwise it goes with the temporary folder.
    const profileDir = process.env.PROFILE_DIR ?? join(dir, "profile");
    const profiled = await spawnServe(["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
    const p = await serveRound({ ...base, measureMs: 5_000 }, profiled.webhookPort, profiled.metricsPort, CONNECTIONS, profiled.serve.pid);
    const code = await profiled.serve.stop();
    if (process.env.PROFILE_DIR !== undefined) await writeFile(join(profileDir, "window.json"), JSON.stringify(p.window));
    const files = (await readdir(profileDir).catch(() => [] as string[])).filter((f) => f.endsWith(".cpuprofile"));
    profileText =
      files.length === 0
        ? `  no .cpuprofile written (serve exited with ${code})`
        : `  serve under --cpu-prof, ${Math.round((p.result.completed / p.result.elapsedMs) * 1000)} req/s; samples inside the 5 s measuring window only (start-up and sync left out):\n${formatSelfTimes(join(profileDir, files[0]!), 25, p.window)}`;
  }
  await bare.close();
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });

  const ratio = rate(totals.ours) / rate(totals.bare);
  const serverP50 = histogramQuantile(ourBuckets, 0.5);
  const serverP99 = histogramQuantile(ourBuckets, 0.99);
  const readsP50 = histogramQuantile(ourReadBuckets, 0.5);
  const readsP99 = histogramQuantile(ourReadBuckets, 0.99);
  const pathP50 = histogramQuantile(ourPathBuckets, 0.5);
  const pathP99 = histogramQuantile(ourPathBuckets, 0.99);
  const missingP50 = quantile(totals.ours.latencies.missing, 0.5);
  const missingP99 = quantile(totals.ours.latencies.missing, 0.99);
  const floorP50 = quantile(all(single.bare), 0.5);
  const singleP50 = quantile(all(single.ours), 0.5);
  const singleP99 = quantile(all(single.ours), 0.99);
  const singleAllowedP99 = quantile([...single.ours.latencies.allowed, ...single.ours.latencies.cycle], 0.99);
  const singleMissingP99 = quantile(single.ours.latencies.missing, 0.99);
  const pct = (n: number, d: number): string => `${((100 * n) / Math.max(1, d)).toFixed(1)}%`;

  console.log("");
  console.log(`admission benchmark: ${fleet.releases.length} releases cached, ${payloads.length} distinct reviews (mean ${meanBytes.toFixed(0)} bytes), ${CONNECTIONS} keep-alive HTTPS connections, ${ROUNDS} alternating rounds of ${MEASURE_MS / 1000} s per server`);
  console.log(`  mix sent: ${(share("cycle") * 100).toFixed(1)}% cycles, ${(share("missing") * 100).toFixed(1)}% missing, ${(share("allowed") * 100).toFixed(1)}% allowed CREATE/UPDATE`);
  console.log(
    `  releasegate's answers: cycles denied ${pct(totals.ours.denied.cycle, totals.ours.sent.cycle)}, missing denied ${pct(totals.ours.denied.missing, totals.ours.sent.missing)}, allowed-mix denied ${pct(totals.ours.denied.allowed, totals.ours.sent.allowed)}`,
  );
  console.log(`  load average (1 min) after each round: ${loads.join(", ")}`);
  console.log(`                 requests/s   client p50    client p99    server-side p50   server-side p99`);
  console.log(
    `  bare HTTPS   ${rate(totals.bare).toFixed(0).padStart(10)}   ${fmt(quantile(all(totals.bare), 0.5)).padStart(10)}   ${fmt(quantile(all(totals.bare), 0.99)).padStart(10)}   ${fmt(quantile(bareServerSide, 0.5)).padStart(14)}   ${fmt(quantile(bareServerSide, 0.99)).padStart(14)}  (timed in its listener)`,
  );
  console.log(
    `  releasegate  ${rate(totals.ours).toFixed(0).padStart(10)}   ${fmt(quantile(all(totals.ours), 0.5)).padStart(10)}   ${fmt(quantile(all(totals.ours), 0.99)).padStart(10)}   ${fmt(serverP50.estimate * 1000).padStart(14)}   ${fmt(serverP99.estimate * 1000).padStart(14)}  (its ${HISTOGRAM}{${MEMORY}}: p50 ≤ ${serverP50.bound * 1000} ms, p99 ≤ ${serverP99.bound * 1000} ms bucket)`,
  );
  console.log(
    `  releasegate, answers after the deny path's reads (${HISTOGRAM}{${READS}}, ${ourReadBuckets.at(-1)?.count ?? 0} answers): p50 ${fmt(readsP50.estimate * 1000)}, p99 ${fmt(readsP99.estimate * 1000)} (bucket ≤ ${readsP99.bound * 1000} ms)`,
  );
  console.log(
    `  releasegate, edge-adding reviews (${HISTOGRAM}{${PATH}}, ${ourPathBuckets.at(-1)?.count ?? 0} answers): p50 ${fmt(pathP50.estimate * 1000)}, p99 ${fmt(pathP99.estimate * 1000)} (bucket ≤ ${pathP99.bound * 1000} ms; target < ${TARGET_PATH_P99_MS} ms: ${verdict(pathP99.estimate * 1000 < TARGET_PATH_P99_MS)})`,
  );
  console.log(`  errors: bare ${totals.bare.errors}, releasegate ${totals.ours.errors}`);
  const cpuRatio = totals.bare.cpuMs / totals.bare.completed / (totals.ours.cpuMs / totals.ours.completed);
  console.log(
    `  CPU per review (user + system, every thread, inside the measuring windows): bare ${perReviewUs(totals.bare.cpuMs, totals.bare.completed)}, releasegate ${perReviewUs(totals.ours.cpuMs, totals.ours.completed)};` +
      ` releasegate's CPU-bound throughput relative to bare ${Number.isFinite(cpuRatio) ? cpuRatio.toFixed(2) : "n/a"} (what the ratio tends to when each server has a core of its own)`,
  );
  console.log(`  missing-dependency denials (client-side, 8 connections): p50 ${fmt(missingP50)}, p99 ${fmt(missingP99)} over ${totals.ours.latencies.missing.length}`);
  console.log(
    `  one connection, no queueing: bare p50 ${fmt(floorP50)} (the network + TLS + parse floor); releasegate p50 ${fmt(singleP50)}, p99 ${fmt(singleP99)}; ` +
      `minus the floor: p50 ${fmt(singleP50 - floorP50)}, p99 ${fmt(singleP99 - floorP50)} (allowed + cycle p99 ${fmt(singleAllowedP99 - floorP50)}); missing denial p99 ${fmt(singleMissingP99)}`,
  );
  console.log(`  load average after the rounds: ${loadAfterRounds}`);
  console.log("");
  console.log(`throughput ratio ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}: ${verdict(ratio >= TARGET_RATIO)})`);
  console.log(`server-side p99 ${fmt(serverP99.estimate * 1000)} of the answers from memory, from serve's histogram (bucket ≤ ${serverP99.bound * 1000} ms) (target < ${TARGET_P99_MS} ms: ${verdict(serverP99.bound * 1000 <= TARGET_P99_MS ? true : serverP99.estimate * 1000 < TARGET_P99_MS)}${serverP99.bound * 1000 > TARGET_P99_MS && serverP99.estimate * 1000 < TARGET_P99_MS ? ", estimate only: the bucket's bound is above 2 ms" : ""})`);
  console.log(`missing-denial p99 ${fmt(missingP99)} client-side under load (target < ${TARGET_MISSING_P99_MS} ms: ${verdict(missingP99 < TARGET_MISSING_P99_MS)})`);
  if (profileText !== "") {
    console.log("");
    console.log(profileText);
  }
  console.log(`\nload average at the end: ${load()}`);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    process.exit(1);
  });
}
