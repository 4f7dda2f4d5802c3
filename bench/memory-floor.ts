// Where serve's memory outside the V8 heap goes, measured piece by piece, each in a fresh process:
// - node alone; node after importing @kubernetes/client-node; node after importing serve's modules
//   (everything `serve` loads, nothing started); `serve` idle against an empty sandbox;
// - the list + watch path alone, at RELEASES HelmReleases of VALUES_KIB KiB values (pages of 100, as
//   serve lists), two ways, both reducing each object with the product's decoder and keeping the same
//   Map: (a) the product's ObjectCache on client-node; (b) plain node:https, one JSON.parse per page and
//   one per watch line, no client library.
// Each child samples its own RSS every 20 ms (the peak) and reports process.memoryUsage() after a full
// GC once it is synced. The numbers are RSS from /proc; "file" is the part backed by files (the node
// binary's code and ICU data), "anon" the part the program allocated.
// Children run with MALLOC_ARENA_MAX=2, as the container image sets it, unless the caller sets one.
// Run: npm run bench:memory   (RELEASES=… VALUES_KIB=…)
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import https from "node:https";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { decodeFluxObject } from "../src/flux/decode.js";
import type { FluxObject } from "../src/graph/types.js";
import { mulberry32 } from "./random.js";

const RELEASES = Number(process.env.RELEASES ?? 10_000);
const VALUES_KIB = Number(process.env.VALUES_KIB ?? 20);
const PAGE = 100;
const SELF = fileURLToPath(import.meta.url);

interface Report {
  what: string;
  rss: number;
  rssAnon: number;
  rssFile: number;
  peakRss?: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  objects?: number;
  seconds?: number;
}

function status(pid: number | "self" = "self"): { rss: number; rssAnon: number; rssFile: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kib("VmRSS"), rssAnon: kib("RssAnon"), rssFile: kib("RssFile") + kib("RssShmem") };
}

function gc(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The child's own report: RSS after a full GC and a moment's rest, with the inside breakdown. */
async function selfReport(what: string, extra: Partial<Report> = {}): Promise<Report> {
  gc();
  await sleep(500);
  gc();
  const m = process.memoryUsage();
  return { what, ...status(), heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, ...extra };
}

function peakSampler(): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, status().rss)), 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, status().rss);
    },
  };
}

// --- the children ---

interface ClusterAccess {
  server: string;
  token: string;
  ca: string;
}

function access(): ClusterAccess {
  return { server: process.env.BENCH_SERVER!, token: process.env.BENCH_TOKEN!, ca: process.env.BENCH_CA! };
}

const LIST_PATH = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases";

function getJson(a: ClusterAccess, path: string, agent: https.Agent): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${a.server}${path}`, { ca: a.ca, agent, headers: { authorization: `Bearer ${a.token}`, accept: "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          if ((res.statusCode ?? 0) >= 300) throw new Error(`HTTP ${res.statusCode} for ${path}`);
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/** (b): plain node:https list in pages, then a watch whose lines are parsed one by one. */
async function plainListWatch(): Promise<Report> {
  const a = access();
  const before = status().rss;
  const sampler = peakSampler();
  const started = performance.now();
  const agent = new https.Agent({ keepAlive: true });
  const objects = new Map<string, FluxObject>();
  let token: string | undefined;
  let resourceVersion = "";
  do {
    const page = (await getJson(a, `${LIST_PATH}?limit=${PAGE}${token ? `&continue=${encodeURIComponent(token)}` : ""}`, agent)) as { items: unknown[]; metadata?: { continue?: string; resourceVersion?: string } };
    for (const raw of page.items) {
      const o = decodeFluxObject("HelmRelease", raw);
      objects.set(`${o.namespace}/${o.name}`, o);
    }
    token = page.metadata?.continue || undefined;
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
  } while (token);
  const seconds = (performance.now() - started) / 1000;
  // The watch, kept open as serve keeps it: newline-delimited JSON events.
  const watch = https.get(
    `${a.server}${LIST_PATH}?watch=true&allowWatchBookmarks=true&resourceVersion=${resourceVersion}`,
    { ca: a.ca, agent, headers: { authorization: `Bearer ${a.token}` } },
    (res) => {
      let buffered = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const event = JSON.parse(buffered.slice(0, newline)) as { type: string; object: unknown };
          buffered = buffered.slice(newline + 1);
          if (event.type === "ADDED" || event.type === "MODIFIED") {
            const o = decodeFluxObject("HelmRelease", event.object);
            objects.set(`${o.namespace}/${o.name}`, o);
          }
        }
      });
    },
  );
  watch.on("error", () => undefined);
  await sleep(2000);
  const peakRss = sampler.stop();
  const report = await selfReport("(b) list + watch on plain node:https", { peakRss, objects: objects.size, seconds });
  watch.destroy();
  return { ...report, what: `${report.what} (RSS before listing ${(before / 1048576).toFixed(1)} MiB)` };
}

/** (a): the product's ObjectCache on client-node, pages of 100 as serve lists. */
async function clientNodeListWatch(): Promise<Report> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const { ObjectCache } = await import("../src/cluster/object-cache.js");
  const a = access();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "bench", server: a.server, caData: Buffer.from(a.ca).toString("base64"), skipTLSVerify: false }],
    users: [{ name: "bench", token: a.token }],
    contexts: [{ name: "bench", cluster: "bench", user: "bench" }],
    currentContext: "bench",
  });
  const before = status().rss;
  const sampler = peakSampler();
  const started = performance.now();
  const cache = new ObjectCache(kc, { kind: "HelmRelease", pageSize: PAGE });
  cache.start();
  await cache.synced;
  const seconds = (performance.now() - started) / 1000;
  await sleep(2000);
  const peakRss = sampler.stop();
  const report = await selfReport("(a) list + watch on client-node (ObjectCache)", { peakRss, objects: cache.list().length, seconds });
  await cache.stop();
  return { ...report, what: `${report.what} (RSS before listing ${(before / 1048576).toFixed(1)} MiB)` };
}

async function child(mode: string): Promise<Report> {
  switch (mode) {
    case "node":
      return selfReport("node alone");
    case "client-node":
      await import("@kubernetes/client-node");
      return selfReport("node + import @kubernetes/client-node");
    case "serve-modules":
      await import("../src/cli/serve.js");
      return selfReport("node + import of serve's modules (nothing started)");
    case "plain":
      return plainListWatch();
    case "client-node-list":
      return clientNodeListWatch();
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

// --- the parent ---

function runChild(mode: string, env: NodeJS.ProcessEnv = {}): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SELF, "child", mode], { env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2", ...env }, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${mode}: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as Report);
    });
  });
}

const mib = (bytes: number | undefined): string => (bytes === undefined ? "" : (bytes / 1048576).toFixed(1));

function row(r: Report): string {
  return `  ${mib(r.rss).padStart(6)} ${`(${mib(r.rssAnon)} + ${mib(r.rssFile)})`.padEnd(15)} ${mib(r.peakRss).padStart(6)}  ${mib(r.heapUsed).padStart(6)} ${mib(r.heapTotal).padStart(6)} ${mib(r.external).padStart(6)} ${mib(r.arrayBuffers).padStart(6)}  ${r.what}${r.objects !== undefined ? `: ${r.objects} objects in ${r.seconds?.toFixed(1)} s` : ""}`;
}

async function idleServe(): Promise<Report> {
  const { startSandbox } = await import("../src/sandbox/sandbox.js");
  const { freePort } = await import("../src/cli/sandbox.js");
  const { startServe, waitReady, procStatus } = await import("./serve-process.js");
  const sandbox = await startSandbox({ seed: [] });
  const dir = await mkdtemp(join(tmpdir(), "releasegate-bench-memory-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  const serve = startServe({ kubeconfig, webhookPort, metricsPort, env: { MALLOC_ARENA_MAX: "2" } });
  await waitReady(serve, webhookPort);
  await sleep(10_000);
  const s = procStatus(serve.pid);
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (name: string): number => Number(text.split("\n").find((l) => l.startsWith(`${name} `))?.split(" ")[1] ?? NaN);
  await serve.stop();
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
  return {
    what: "serve idle, empty cluster (10 s after /readyz; inside figures from its /metrics)",
    rss: s.rss,
    rssAnon: s.rssAnon,
    rssFile: s.rssFile,
    heapUsed: value("nodejs_heap_size_used_bytes"),
    heapTotal: value("nodejs_heap_size_total_bytes"),
    external: value("nodejs_external_memory_bytes"),
    arrayBuffers: NaN,
  };
}

function values(random: () => number, kib: number): Record<string, unknown> {
  const config: Record<string, string> = {};
  for (let i = 0; i < (kib * 1024) / 256; i++) {
    let text = "";
    while (text.length < 256) text += Math.floor(random() * 36 ** 8).toString(36);
    config[`key${i}`] = text.slice(0, 240);
  }
  return { replicaCount: 2, config };
}

async function parent(): Promise<void> {
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ");
  console.log(`bench/memory-floor (node ${process.version}); load average ${load()}`);
  console.log(`     RSS (anon + file)      peak   heapUsed heapTotal external arrayBuffers  (MiB)`);
  for (const mode of ["node", "client-node", "serve-modules"]) console.log(row(await runChild(mode)));
  console.log(row(await idleServe()));

  const { startSandbox } = await import("../src/sandbox/sandbox.js");
  const random = mulberry32(7);
  const seed: unknown[] = [];
  for (let i = 0; i < RELEASES; i++) {
    seed.push({
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: `app-${i}`, namespace: "default", generation: 1 },
      spec: { interval: "10m", chart: { spec: { chart: "app", sourceRef: { kind: "HelmRepository", name: "charts" } } }, ...(i % 4 ? { dependsOn: [{ name: `app-${i - 1}` }] } : {}), values: values(random, VALUES_KIB) },
      status: { observedGeneration: 1, conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "ok", lastTransitionTime: "2026-01-01T00:00:00Z" }] },
    });
  }
  const sandbox = await startSandbox({ seed });
  seed.length = 0;
  const kc = sandbox.kubeConfig();
  const token = kc.getCurrentUser()?.token ?? "sandbox-admin";
  const env = { BENCH_SERVER: sandbox.url, BENCH_TOKEN: token, BENCH_CA: sandbox.caPem };
  console.log(`  list + watch of ${RELEASES} HelmReleases with ${VALUES_KIB} KiB of values, pages of ${PAGE}, the same decoder and Map; load average ${load()}`);
  for (const mode of ["client-node-list", "plain", "client-node-list", "plain"]) console.log(row(await runChild(mode, env)));
  await sandbox.close();
  console.log(`load average at the end ${load()}`);
}

if (process.argv[2] === "child") {
  child(process.argv[3] ?? "")
    .then((report) => {
      console.log(JSON.stringify(report));
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.stack : String(error));
      process.exit(1);
    });
} else {
  parent().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    process.exit(1);
  });
}
