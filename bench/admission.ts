// Admission benchmark in the shipped configuration (docs/behaviour.md, Performance targets: throughput at least 0.70 of a
// bare Node HTTPS server that parses the same bodies and answers, server-side p99 under 2 ms, a
// missing-dependency denial p99 under 20 ms, with 10,000 releases cached).
//
// - The API: the sandbox, in this process, seeded with 10,000 HelmReleases (all Ready) in teams of 20
//   leaning on shared infra; no webhook registered (the benchmark posts the reviews itself).
// - releasegate: `node dist/src/cli/main.js serve` as its own process with its defaults; the only flags
//   are the ones a user must give (kubeconfig, certificate files) and the ones this shared machine forces
//   (ports of our own, loopback).
// - The baseline: bench/bare-server.ts, its own process too, same certificate: reads the body,
//   JSON.parses it, answers a fixed AdmissionReview.
// - The load: a worker thread keeps 8 keep-alive HTTPS connections busy (a closed loop, a minimal
//   HTTP/1.1 client) with the same 2,000 reviews: 10% UPDATEs closing a cycle, 5% CREATEs naming a
//   missing dependency, the rest allowed CREATEs and UPDATEs. Rounds alternate between the two servers,
//   so a change in the machine's load hits both alike.
// - Latency: serve's own releasegate_admission_duration_seconds (histogram; the difference of two scrapes
//   around each measuring window, quantile interpolated in the bucket as Prometheus does), cross-checked
//   client-side on one connection with the bare server's latency (the network and TLS floor) subtracted.
//   The missing-denial latency is client-side (the histogram has no decision label).
// - Then serve again under `--cpu-prof` for one round, and its top self-time functions.
// Run: npm run bench:admission
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { admissionReview, fluxManifest } from "../src/admission/review-builder.test-support.js";
import type { ManifestSpec, ReviewSpec } from "../src/admission/review-builder.test-support.js";
import { generateCertificateAuthority, generateServingCertificate } from "../src/certs/generate.js";
import { freePort } from "../src/cli/sandbox.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import { formatSelfTimes } from "./cpu-profile.js";
import type { Window } from "./cpu-profile.js";
import { bucketDelta, histogramBuckets, histogramQuantile } from "./prom-text.js";
import type { Bucket } from "./prom-text.js";
import { metricsText, startServe, waitReady } from "./serve-process.js";
import type { ServeProcess } from "./serve-process.js";
import { mulberry32 } from "./random.js";

const RELEASES = Number(process.env.RELEASES ?? 10_000);
const NAMESPACE_SIZE = 20;
const INFRA = 20;
const PAYLOADS = 2_000;
const CONNECTIONS = 8;
const WARMUP_MS = 1_000;
const MEASURE_MS = Number(process.env.MEASURE_MS ?? 3_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PROFILE = process.env.PROFILE !== "0";
const HISTOGRAM = "releasegate_admission_duration_seconds";

const TARGET_RATIO = 0.7;
const TARGET_P99_MS = 2;
const TARGET_MISSING_P99_MS = 20;

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ");

// --- the fleet: teams of 20 in their own namespaces, leaning on shared infra ---

interface Release {
  namespace: string;
  name: string;
  dependsOn: { name: string; namespace?: string }[];
}

interface Fleet {
  releases: Release[];
  /** Names by namespace, in creation order (dependencies only point to earlier ones: a DAG). */
  byNamespace: Map<string, string[]>;
}

function makeFleet(random: () => number): Fleet {
  const releases: Release[] = [];
  const byNamespace = new Map<string, string[]>();
  const add = (namespace: string, name: string, dependsOn: Release["dependsOn"]): void => {
    releases.push({ namespace, name, dependsOn });
    const list = byNamespace.get(namespace) ?? [];
    list.push(name);
    byNamespace.set(namespace, list);
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const infra: string[] = [];
  for (let i = 0; i < INFRA; i++) {
    const name = `infra-${i}`;
    add("infra", name, i === 0 ? [] : [{ name: pick(infra) }]);
    infra.push(name);
  }
  for (let t = 0; releases.length < RELEASES; t++) {
    const namespace = `team-${t}`;
    const names: string[] = [];
    for (let i = 0; i < NAMESPACE_SIZE && releases.length < RELEASES; i++) {
      const deps: Release["dependsOn"] = [];
      const count = names.length === 0 ? 0 : Math.floor(random() * 3);
      for (let d = 0; d < count; d++) deps.push({ name: pick(names) });
      if (random() < 0.3) deps.push({ name: pick(infra), namespace: "infra" });
      const name = `app-${t}-${i}`;
      add(namespace, name, [...new Map(deps.map((d) => [`${d.namespace ?? ""}/${d.name}`, d])).values()]);
      names.push(name);
    }
  }
  return { releases, byNamespace };
}

/** What the sandbox stores: the namespaces, and each release as Flux leaves it (Ready, up to date). */
function seedObjects(fleet: Fleet): unknown[] {
  const objects: unknown[] = [...fleet.byNamespace.keys()].map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
  for (const r of fleet.releases) {
    objects.push({
      ...fluxManifest({ name: r.name, namespace: r.namespace, dependsOn: r.dependsOn }),
      status: {
        observedGeneration: 1,
        conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded", lastTransitionTime: "2026-01-01T00:00:00Z" }],
      },
    });
  }
  return objects;
}

type Category = "allowed" | "cycle" | "missing";
const CATEGORIES: readonly Category[] = ["allowed", "cycle", "missing"];

/** The review mix: 10% close a cycle, 5% name a missing dependency, 45% allowed CREATE, 40% UPDATE (half keep dependsOn). */
function makePayloads(fleet: Fleet, random: () => number): { body: string; category: Category }[] {
  const byKey = new Map(fleet.releases.map((r) => [`${r.namespace}/${r.name}`, r]));
  const teams = [...fleet.byNamespace.keys()].filter((ns) => ns !== "infra");
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const spec = (r: Release, dependsOn = r.dependsOn, labels?: Record<string, string>): ManifestSpec => ({
    name: r.name,
    namespace: r.namespace,
    dependsOn,
    ...(labels ? { labels } : {}),
  });
  const out: { body: string; category: Category }[] = [];
  for (let i = 0; out.length < PAYLOADS; i++) {
    const r = random();
    const namespace = pick(teams);
    const names = fleet.byNamespace.get(namespace)!;
    let review: ReviewSpec;
    let category: Category = "allowed";
    if (r < 0.1) {
      // UPDATE a release's dependency d to depend back on the release: d → release → d.
      const release = names.map((n) => byKey.get(`${namespace}/${n}`)!).find((o) => o.dependsOn.some((d) => d.namespace === undefined) && random() < 0.5);
      const dep = release?.dependsOn.find((d) => d.namespace === undefined);
      if (release === undefined || dep === undefined) continue;
      const target = byKey.get(`${namespace}/${dep.name}`)!;
      review = { operation: "UPDATE", oldObject: spec(target), object: spec(target, [...target.dependsOn, { name: release.name }]) };
      category = "cycle";
    } else if (r < 0.15) {
      // CREATE naming a dependency with a typo.
      review = { operation: "CREATE", object: { name: `new-${i}`, namespace, dependsOn: [{ name: `${pick(names)}x` }] } };
      category = "missing";
    } else if (r < 0.6) {
      const deps: { name: string; namespace?: string }[] = [...new Set([pick(names), pick(names)])].map((name) => ({ name }));
      if (random() < 0.3) deps.push({ name: `infra-${Math.floor(random() * INFRA)}`, namespace: "infra" });
      review = { operation: "CREATE", object: { name: `new-${i}`, namespace, dependsOn: deps } };
    } else if (r < 0.8) {
      const o = byKey.get(`${namespace}/${pick(names)}`)!;
      review = { operation: "UPDATE", oldObject: spec(o), object: spec(o, o.dependsOn, { revision: String(i) }) };
    } else {
      // UPDATE adding a dependency on an earlier release of the team: still a DAG.
      const index = 1 + Math.floor(random() * (names.length - 1));
      const o = byKey.get(`${namespace}/${names[index]!}`)!;
      const earlier = names[Math.floor(random() * index)]!;
      review = { operation: "UPDATE", oldObject: spec(o), object: spec(o, [...o.dependsOn.filter((d) => d.name !== earlier), { name: earlier }]) };
    }
    out.push({ body: JSON.stringify(admissionReview({ ...review, uid: `bench-${i}` })), category });
  }
  return out;
}

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
  const child = fork(fileURLToPath(new URL("./bare-server.js", import.meta.url)), [certFile, keyFile], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
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
  errors: number;
  latencies: Record<Category, number[]>;
  sent: Record<Category, number>;
  denied: Record<Category, number>;
}

function emptyTotals(): Totals {
  return { completed: 0, ms: 0, errors: 0, latencies: { allowed: [], cycle: [], missing: [] }, sent: { allowed: 0, cycle: 0, missing: 0 }, denied: { allowed: 0, cycle: 0, missing: 0 } };
}

function add(totals: Totals, result: LoadResult): void {
  totals.completed += result.completed;
  totals.ms += result.elapsedMs;
  totals.errors += result.errors;
  for (const c of CATEGORIES) {
    totals.latencies[c].push(...result.latencies[c]);
    totals.sent[c] += result.sent[c];
    totals.denied[c] += result.denied[c];
  }
}

const rate = (t: Totals): number => (t.completed / t.ms) * 1000;
const all = (t: Totals): number[] => CATEGORIES.flatMap((c) => t.latencies[c]);

/** A serve round: the worker's result plus serve's histogram over the measuring window. */
async function serveRound(
  base: Omit<LoadRequest, "port" | "connections">,
  port: number,
  metricsPort: number,
  connections: number,
): Promise<{ result: LoadResult; buckets: Bucket[]; window: Window }> {
  let before: Promise<Bucket[]> = Promise.resolve([]);
  let after: Promise<Bucket[]> = Promise.resolve([]);
  const window: Window = { fromUs: 0, toUs: 0 };
  const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
  const scrape = async (): Promise<Bucket[]> => histogramBuckets(await metricsText(metricsPort), HISTOGRAM);
  const result = await runWorker({ ...base, port, connections }, (on) => {
    if (on) {
      window.fromUs = nowUs();
      before = scrape();
    } else {
      window.toUs = nowUs();
      after = scrape();
    }
  });
  return { result, buckets: bucketDelta(await before, await after), window };
}

function sumBuckets(into: Bucket[], more: readonly Bucket[]): Bucket[] {
  if (into.length === 0) return more.map((b) => ({ ...b }));
  return into.map((b, i) => ({ le: b.le, count: b.count + (more[i]?.count ?? 0) }));
}

async function main(): Promise<void> {
  console.log(`bench/admission (node ${process.version}); load average at start ${load()}`);
  const random = mulberry32(42);
  const fleet = makeFleet(random);
  const payloads = makePayloads(fleet, random);
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

  const running = await spawnServe();
  console.log(`  serve ready (caches synced) ${(running.readyMs / 1000).toFixed(1)} s after spawning: node dist/src/cli/main.js serve --kubeconfig … ${certFlags.join(" ").replaceAll(dir, "$TMP")} (+ ports, --bind-address 127.0.0.1)`);
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
  let bareServerSide: number[] = [];
  const loads: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const b = await runWorker({ ...base, port: bare.port, connections: CONNECTIONS }, (on) => bare.record(on));
    bareServerSide = bareServerSide.concat(await bare.samples());
    add(totals.bare, b);
    const o = await serveRound(base, running.webhookPort, running.metricsPort, CONNECTIONS);
    add(totals.ours, o.result);
    ourBuckets = sumBuckets(ourBuckets, o.buckets);
    loads.push(loadavg()[0]!.toFixed(2));
    console.log(
      `  round ${round + 1}: bare ${Math.round((b.completed / b.elapsedMs) * 1000)} req/s, releasegate ${Math.round((o.result.completed / o.result.elapsedMs) * 1000)} req/s` +
        ` (errors ${b.errors}/${o.result.errors}); load average ${load()}`,
    );
  }

  // Latency without queueing: one connection, one request at a time, each server in turn.
  const single = { bare: emptyTotals(), ours: emptyTotals() };
  add(single.bare, await runWorker({ ...base, port: bare.port, connections: 1 }, () => undefined));
  const singleOurs = await serveRound(base, running.webhookPort, running.metricsPort, 1);
  add(single.ours, singleOurs.result);
  const loadAfterRounds = load();
  await running.serve.stop();

  // The same load once more against serve under --cpu-prof.
  let profileText = "";
  if (PROFILE) {
    const profileDir = join(dir, "profile");
    const profiled = await spawnServe(["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
    const p = await serveRound({ ...base, measureMs: 5_000 }, profiled.webhookPort, profiled.metricsPort, CONNECTIONS);
    const code = await profiled.serve.stop();
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
    `  releasegate  ${rate(totals.ours).toFixed(0).padStart(10)}   ${fmt(quantile(all(totals.ours), 0.5)).padStart(10)}   ${fmt(quantile(all(totals.ours), 0.99)).padStart(10)}   ${fmt(serverP50.estimate * 1000).padStart(14)}   ${fmt(serverP99.estimate * 1000).padStart(14)}  (its ${HISTOGRAM}: p50 ≤ ${serverP50.bound * 1000} ms, p99 ≤ ${serverP99.bound * 1000} ms bucket)`,
  );
  console.log(`  errors: bare ${totals.bare.errors}, releasegate ${totals.ours.errors}`);
  console.log(`  missing-dependency denials (client-side, 8 connections): p50 ${fmt(missingP50)}, p99 ${fmt(missingP99)} over ${totals.ours.latencies.missing.length}`);
  console.log(
    `  one connection, no queueing: bare p50 ${fmt(floorP50)} (the network + TLS + parse floor); releasegate p50 ${fmt(singleP50)}, p99 ${fmt(singleP99)}; ` +
      `minus the floor: p50 ${fmt(singleP50 - floorP50)}, p99 ${fmt(singleP99 - floorP50)} (allowed + cycle p99 ${fmt(singleAllowedP99 - floorP50)}); missing denial p99 ${fmt(singleMissingP99)}`,
  );
  console.log(`  load average after the rounds: ${loadAfterRounds}`);
  console.log("");
  console.log(`throughput ratio ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}: ${verdict(ratio >= TARGET_RATIO)})`);
  console.log(`server-side p99 ${fmt(serverP99.estimate * 1000)} from serve's histogram (bucket ≤ ${serverP99.bound * 1000} ms) (target < ${TARGET_P99_MS} ms: ${verdict(serverP99.bound * 1000 <= TARGET_P99_MS ? true : serverP99.estimate * 1000 < TARGET_P99_MS)}${serverP99.bound * 1000 > TARGET_P99_MS && serverP99.estimate * 1000 < TARGET_P99_MS ? ", estimate only: the bucket's bound is above 2 ms" : ""})`);
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
