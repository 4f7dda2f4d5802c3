// Admission benchmark (DESIGN.md, Performance targets: with 10,000 releases cached, server-side p99 under
// 2 ms and throughput at least 70% of a bare Node HTTPS server answering a fixed AdmissionReview on the
// same payloads). Both servers run in this process over HTTPS with the same certificate; a load generator
// in a worker thread keeps several keep-alive connections busy with the same mix of reviews (CREATE and
// UPDATE; 10% close a cycle, 5% name a missing dependency) and a minimal HTTP/1.1 client, so the client
// costs little and the server is what is measured. Server-side latency is timed inside the request
// listener, from the request's arrival to the response being written. Run: npm run bench:admission
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { performance } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { AdmissionGraphs } from "../src/admission/admission-graphs.js";
import { KindStore } from "../src/cluster/kind-store.js";
import type { StoreSource as ObjectCacheLike } from "../src/cluster/kind-store.js";
import { createAdmissionListener } from "../src/admission/app.js";
import { PendingBatch } from "../src/admission/pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "../src/admission/policy.js";
import { admissionReview } from "../src/admission/review-builder.test-support.js";
import type { ManifestSpec, ReviewSpec } from "../src/admission/review-builder.test-support.js";
import { startAdmissionServer } from "../src/admission/server.js";
import { generateCertificateAuthority, generateServingCertificate } from "../src/certs/generate.js";
import { parseTlsMaterial } from "../src/certs/tls-material.js";
import type { TlsSource } from "../src/certs/tls-source.js";
import type { FluxObject } from "../src/graph/types.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { mulberry32 } from "./random.js";

const RELEASES = 10_000;
const NAMESPACE_SIZE = 20;
const INFRA = 20;
const PAYLOADS = 2_000;
const CONNECTIONS = 8;
const WARMUP_S = 1;
const MEASURE_S = 2;
/** Short alternating rounds, so a change in the machine's load affects both servers alike. */
const ROUNDS = 5;


// --- the fleet: 10,000 releases, teams of 20 in their own namespaces, leaning on shared infra ---

interface Fleet {
  objects: FluxObject[];
  /** Names by namespace, in creation order (dependencies only point to earlier ones: a DAG). */
  byNamespace: Map<string, string[]>;
}

function makeFleet(random: () => number): Fleet {
  const objects: FluxObject[] = [];
  const byNamespace = new Map<string, string[]>();
  const add = (namespace: string, name: string, dependsOn: FluxObject["dependsOn"]): void => {
    objects.push({ kind: "HelmRelease", namespace, name, dependsOn, generation: 1 });
    const list = byNamespace.get(namespace) ?? [];
    list.push(name);
    byNamespace.set(namespace, list);
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const infra: string[] = [];
  for (let i = 0; i < INFRA; i++) {
    const deps = i === 0 ? [] : [{ name: pick(infra) }];
    const name = `infra-${i}`;
    add("infra", name, deps);
    infra.push(name);
  }
  for (let t = 0; objects.length < RELEASES; t++) {
    const namespace = `team-${t}`;
    const names: string[] = [];
    for (let i = 0; i < NAMESPACE_SIZE && objects.length < RELEASES; i++) {
      const deps: FluxObject["dependsOn"] = [];
      const count = names.length === 0 ? 0 : Math.floor(random() * 3);
      for (let d = 0; d < count; d++) deps.push({ name: pick(names) });
      if (random() < 0.3) deps.push({ name: pick(infra), namespace: "infra" });
      const name = `app-${t}-${i}`;
      add(namespace, name, [...new Map(deps.map((d) => [`${d.namespace ?? ""}/${d.name}`, d])).values()]);
      names.push(name);
    }
  }
  return { objects, byNamespace };
}

type Expect = "allowed" | "denied";

/** The review mix: 45% CREATE allowed, 10% closes a cycle, 5% missing, 40% UPDATE (half keep dependsOn). */
function makePayloads(fleet: Fleet, random: () => number): { body: string; expect: Expect }[] {
  const byKey = new Map(fleet.objects.map((o) => [`${o.namespace}/${o.name}`, o]));
  const teams = [...fleet.byNamespace.keys()].filter((ns) => ns !== "infra");
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const spec = (o: FluxObject, dependsOn = o.dependsOn, labels?: Record<string, string>): ManifestSpec => ({
    name: o.name,
    namespace: o.namespace,
    dependsOn,
    ...(labels ? { labels } : {}),
  });
  const out: { body: string; expect: Expect }[] = [];
  for (let i = 0; i < PAYLOADS; i++) {
    const r = random();
    const namespace = pick(teams);
    const names = fleet.byNamespace.get(namespace)!;
    let review: ReviewSpec;
    let expect: Expect = "allowed";
    if (r < 0.1) {
      // UPDATE a release's dependency d to depend back on the release: d → release → d.
      const withDeps = names.map((n) => byKey.get(`${namespace}/${n}`)!).filter((o) => o.dependsOn.some((d) => d.namespace === undefined));
      const release = withDeps.length > 0 ? pick(withDeps) : byKey.get(`${namespace}/${names[names.length - 1]!}`)!;
      const dep = release.dependsOn.find((d) => d.namespace === undefined);
      if (dep === undefined) {
        i--;
        continue;
      }
      const target = byKey.get(`${namespace}/${dep.name}`)!;
      review = { operation: "UPDATE", oldObject: spec(target), object: spec(target, [...target.dependsOn, { name: release.name }]) };
      expect = "denied";
    } else if (r < 0.15) {
      // CREATE naming a dependency with a typo.
      const real = pick(names);
      review = { operation: "CREATE", object: { name: `new-${i}`, namespace, dependsOn: [{ name: `${real}x` }] } };
      expect = "denied";
    } else if (r < 0.6) {
      const deps = [...new Set([pick(names), pick(names)])].map((name) => ({ name }));
      if (random() < 0.3) deps.push({ name: `infra-${Math.floor(random() * INFRA)}`, namespace: "infra" } as { name: string; namespace?: string });
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
    out.push({ body: JSON.stringify(admissionReview({ ...review, uid: `bench-${i}` })), expect });
  }
  return out;
}

// --- the load generator (worker thread): a minimal keep-alive HTTP/1.1 client over TLS ---

interface LoadRequest {
  port: number;
  ca: string;
  payloads: string[];
  connections: number;
  warmupMs: number;
  measureMs: number;
}

interface LoadResult {
  completed: number;
  denied: number;
  errors: number;
  elapsedMs: number;
}

function runLoad(request: LoadRequest): Promise<LoadResult> {
  const requests = request.payloads.map((body) =>
    Buffer.from(`POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
  );
  let next = 0;
  let measuring = false;
  let stopping = false;
  const result: LoadResult = { completed: 0, denied: 0, errors: 0, elapsedMs: 0 };
  const DENIED = Buffer.from('"allowed":false');
  const HEADER_END = Buffer.from("\r\n\r\n");

  const connection = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: request.port, ca: request.ca, servername: "localhost" });
      let buffer: Buffer = Buffer.alloc(0);
      const send = (): void => {
        if (stopping) {
          socket.end();
          return;
        }
        socket.write(requests[next++ % requests.length]!);
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
          if (!head.startsWith("HTTP/1.1 200")) result.errors++;
          else {
            result.completed++;
            if (body.includes(DENIED)) result.denied++;
          }
        }
        send();
      });
      socket.on("error", () => {
        result.errors++;
        resolve();
      });
      socket.on("close", () => resolve());
    });

  return new Promise((resolve) => {
    const all = Array.from({ length: request.connections }, connection);
    let started = 0;
    setTimeout(() => {
      measuring = true;
      started = performance.now();
      parentPort?.postMessage({ type: "measuring" });
      setTimeout(() => {
        measuring = false;
        result.elapsedMs = performance.now() - started;
        stopping = true;
        void Promise.all(all).then(() => resolve(result));
      }, request.measureMs);
    }, request.warmupMs);
  });
}

if (!isMainThread) {
  void runLoad(workerData as LoadRequest).then((result) => parentPort?.postMessage({ type: "result", result }));
}

/** Runs the load in a worker; `onMeasuring(true|false)` brackets the measuring window. */
function load(request: LoadRequest, onMeasuring: (on: boolean) => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: request });
    worker.on("message", (message: { type: "measuring" } | { type: "result"; result: LoadResult }) => {
      if (message.type === "measuring") onMeasuring(true);
      else {
        onMeasuring(false);
        resolve(message.result);
      }
    });
    worker.once("error", reject);
  });
}

// --- measuring inside the server ---

class Latencies {
  samples: number[] = [];
  recording = false;

  wrap(listener: (req: IncomingMessage, res: ServerResponse) => void) {
    return (req: IncomingMessage, res: ServerResponse): void => {
      const start = process.hrtime.bigint();
      if (this.recording) res.once("finish", () => this.samples.push(Number(process.hrtime.bigint() - start) / 1e6));
      listener(req, res);
    };
  }

  quantile(q: number): number {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  }
}

async function main(): Promise<void> {
  const random = mulberry32(42);
  const fleet = makeFleet(random);
  const payloads = makePayloads(fleet, random);
  const expectedDenied = payloads.filter((p) => p.expect === "denied").length / payloads.length;

  const ca = generateCertificateAuthority("bench-ca");
  const serving = generateServingCertificate(ca, { commonName: "bench", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const material = parseTlsMaterial({ ...serving, caPem: ca.certPem }, { cert: "bench", key: "bench" }, new Date());
  const source: TlsSource = { current: () => material, notAfter: material.notAfter, onChange: () => () => undefined, start: async () => {}, stop: async () => {} };

  // releasegate: the real app, its graphs fed from a synced cache of 10,000 releases, metrics on.
  const cache: ObjectCacheLike = { kind: "HelmRelease", isSynced: () => true, list: () => fleet.objects, subscribe: () => () => undefined };
  const kustomizations: ObjectCacheLike = { kind: "Kustomization", isSynced: () => true, list: () => [], subscribe: () => () => undefined };
  const app = createAdmissionListener({
    graphs: new AdmissionGraphs([new KindStore(cache), new KindStore(kustomizations)]),
    pending: new PendingBatch(),
    policy: DEFAULT_ADMISSION_POLICY,
    metrics: createMetrics(),
    // A single replica with a complete cache: nothing to wait for on the deny path.
    cacheLagMs: 0,
  });
  const ours = new Latencies();
  const server = await startAdmissionServer(ours.wrap(app), source, { port: 0, host: "127.0.0.1" });

  // The baseline: node:https answering one fixed AdmissionReview after reading the body.
  const fixed = Buffer.from(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "fixed", allowed: true } }));
  const bare = new Latencies();
  const bareServer = https.createServer(
    { cert: material.certPem, key: material.keyPem, minVersion: "TLSv1.2", keepAliveTimeout: 120_000 },
    bare.wrap((req, res) => {
      req.on("data", () => undefined);
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json", "content-length": fixed.length });
        res.end(fixed);
      });
    }),
  );
  await new Promise<void>((resolve) => bareServer.listen(0, "127.0.0.1", resolve));
  const barePort = (bareServer.address() as AddressInfo).port;

  const base = { ca: material.caPem!, payloads: payloads.map((p) => p.body), connections: CONNECTIONS, warmupMs: WARMUP_S * 1000, measureMs: MEASURE_S * 1000 };
  const us = (t: { completed: number; busyMs: number }): string => `${((t.busyMs / t.completed) * 1000).toFixed(0)} µs`;
  const totals = { bare: { completed: 0, ms: 0, errors: 0, busyMs: 0 }, ours: { completed: 0, ms: 0, errors: 0, busyMs: 0, denied: 0 } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of ["bare", "ours"] as const) {
      const latencies = which === "bare" ? bare : ours;
      // Record only inside the measuring window, after the warm-up; the server thread's busy time
      // (event loop utilisation) over the same window gives its cost per request.
      let elu = performance.eventLoopUtilization();
      const result = await load({ ...base, port: which === "bare" ? barePort : server.port }, (on) => {
        latencies.recording = on;
        if (on) elu = performance.eventLoopUtilization();
        else totals[which].busyMs += performance.eventLoopUtilization(elu).active;
      });
      totals[which].completed += result.completed;
      totals[which].ms += result.elapsedMs;
      totals[which].errors += result.errors;
      if (which === "ours") totals.ours.denied += result.denied;
      console.log(`round ${round + 1} ${which === "bare" ? "bare HTTPS " : "releasegate"}: ${Math.round((result.completed / result.elapsedMs) * 1000)} requests/s`);
    }
  }
  await server.close();
  await new Promise<void>((resolve) => bareServer.close(() => resolve()));

  const rate = (t: { completed: number; ms: number }): number => (t.completed / t.ms) * 1000;
  const ratio = rate(totals.ours) / rate(totals.bare);
  const p99 = ours.quantile(0.99);
  const fmt = (ms: number): string => `${ms.toFixed(3)} ms`;
  console.log("");
  console.log(`admission benchmark: ${fleet.objects.length} releases cached, ${payloads.length} distinct reviews, ${CONNECTIONS} keep-alive HTTPS connections, ${ROUNDS} alternating rounds of ${MEASURE_S} s per server`);
  console.log(`  mix: CREATE and UPDATE; ${(expectedDenied * 100).toFixed(1)}% expected denied (cycles and missing dependencies); denied: ${((totals.ours.denied / totals.ours.completed) * 100).toFixed(1)}%`);
  console.log(`                 requests/s   p50 (server)   p99 (server)   server thread busy per request`);
  console.log(`  bare HTTPS   ${rate(totals.bare).toFixed(0).padStart(10)}   ${fmt(bare.quantile(0.5)).padStart(12)}   ${fmt(bare.quantile(0.99)).padStart(12)}   ${us(totals.bare).padStart(8)}`);
  console.log(`  releasegate  ${rate(totals.ours).toFixed(0).padStart(10)}   ${fmt(ours.quantile(0.5)).padStart(12)}   ${fmt(p99).padStart(12)}   ${us(totals.ours).padStart(8)}`);
  console.log(`  errors: bare ${totals.bare.errors}, releasegate ${totals.ours.errors}`);
  console.log(`throughput ratio ${ratio.toFixed(2)} (target ≥ 0.70: ${ratio >= 0.7 ? "met" : "MISSED"}); p99 ${fmt(p99)} (target < 2 ms: ${p99 < 2 ? "met" : "MISSED"})`);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    process.exitCode = 1;
  });
}
