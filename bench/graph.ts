// Graph benchmark (docs/behaviour.md, Performance targets: full rebuild with gate states for 100,000
// releases under 1 s; one watch event applied in under 1 ms p99). Builds random release DAGs
// (average 3 dependencies, depth up to 20, a realistic mix of statuses) and times:
// - the load as `serve` runs it: each guarded kind's cache, synced, handing its first list to its
//   KindStore, all stores feeding one FluxGraph (GateTracker.replaceKind), until every store has
//   announced its batch of gate states to a listener (the controller's place). The objects are what
//   the cache holds: decoded by decodeFluxObject from a JSON list response, decoding not timed (it is
//   the cache's work, done as the pages arrive);
// - the graph core alone (DependencyGraph upserts + computeGateStates) on the same objects;
// - single events through GateTracker.upsert;
// and prints each next to a baseline measured in the same process, in alternating runs: a plain Map
// of the same objects by node key (the least any store of them costs) for the loads, a full
// recomputation per event for the tracker. Wall and CPU time both: the machine may be shared, and
// CPU time does not count waiting for a core.
// Run: npm run bench:graph   (SIZES=100000 for one size; REBUILD_ONLY=1 skips the events;
// npm run bench:graph:profile runs the 100k loads alone under --cpu-prof and prints the top self times)

import { loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { KindStore } from "../src/cluster/kind-store.js";
import type { StoreSource } from "../src/cluster/kind-store.js";
import { FluxGraph } from "../src/cluster/flux-graph.js";
import { decodeFluxObject } from "../src/flux/decode.js";
import { GUARDED_KINDS } from "../src/flux/kinds.js";
import { computeGateStates, DependencyGraph, GateTracker, nodeOf, sameGate } from "../src/graph/index.js";
import type { DependencyEntry, FluxKind, FluxObject, GateState } from "../src/graph/index.js";
import { mulberry32 } from "./random.js";

// A full garbage collection between runs, so no run pays for the garbage of the one before
// (the documented way to reach V8's gc() without a command-line flag).
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;


const MAX_DEPTH = 20;

interface Release {
  namespace: string;
  name: string;
  level: number;
}

interface Fleet {
  releases: Release[];
  byLevel: number[][];
  objects: FluxObject[];
}

type Status = "ready" | "failed" | "stalled" | "progressing" | "suspended";

/** 85% Ready, 5% failed, 1% stalled, 7% progressing, 2% suspended. */
function randomStatus(random: () => number): Status {
  const r = random();
  if (r < 0.85) return "ready";
  if (r < 0.9) return "failed";
  if (r < 0.91) return "stalled";
  if (r < 0.98) return "progressing";
  return "suspended";
}

function makeObject(release: Release, dependsOn: DependencyEntry[], status: Status, generation: number): FluxObject {
  const obj: FluxObject = {
    kind: "HelmRelease",
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    namespace: release.namespace,
    name: release.name,
    generation,
    dependsOn,
    status: { observedGeneration: generation, conditions: [] },
  };
  const conditions = obj.status!.conditions!;
  switch (status) {
    case "ready":
      conditions.push({ type: "Ready", status: "True", reason: "UpgradeSucceeded", message: "Helm upgrade succeeded" });
      break;
    case "failed":
      conditions.push({ type: "Ready", status: "False", reason: "InstallFailed", message: "install retries exhausted" });
      break;
    case "stalled":
      conditions.push({ type: "Ready", status: "False", reason: "UpgradeFailed", message: "timed out waiting for the condition" });
      conditions.push({ type: "Stalled", status: "True", reason: "RetriesExceeded", message: "Failed to upgrade after 3 attempt(s)" });
      break;
    case "progressing":
      obj.status!.observedGeneration = generation - 1;
      conditions.push({ type: "Ready", status: "Unknown", reason: "Progressing", message: "Running 'upgrade' action" });
      break;
    case "suspended":
      obj.suspend = true;
      conditions.push({ type: "Ready", status: "Unknown", reason: "Progressing", message: "Running 'install' action" });
      break;
  }
  return obj;
}

/** Levels 0..20, more releases near the bottom; each depends on ~3 releases from lower levels. */
function makeFleet(n: number, seed: number): Fleet {
  const random = mulberry32(seed);
  const namespaces = Math.max(10, Math.round(n / 100));
  const releases: Release[] = [];
  const byLevel: number[][] = Array.from({ length: MAX_DEPTH + 1 }, () => []);
  for (let i = 0; i < n; i++) {
    const level = Math.min(MAX_DEPTH, Math.floor(Math.pow(random(), 1.3) * (MAX_DEPTH + 1)));
    releases.push({ namespace: `team-${i % namespaces}`, name: `release-${i}`, level });
    byLevel[level]!.push(i);
  }
  if (byLevel[0]!.length === 0) {
    releases[0]!.level = 0;
    byLevel[0]!.push(0);
  }
  const objects = releases.map((release) => makeObject(release, dependenciesFor(release, releases, byLevel, random), randomStatus(random), 1));
  return { releases, byLevel, objects };
}

function dependenciesFor(release: Release, releases: Release[], byLevel: number[][], random: () => number): DependencyEntry[] {
  if (release.level === 0) return [];
  const count = 1 + Math.floor(random() * 5); // 1..5, average 3
  const chosen = new Set<number>();
  for (let k = 0; k < count; k++) {
    // The first dependency one level down keeps the depth; the rest anywhere below.
    let level = k === 0 ? release.level - 1 : Math.floor(random() * release.level);
    while (byLevel[level]!.length === 0) level--;
    const pool = byLevel[level]!;
    chosen.add(pool[Math.floor(random() * pool.length)]!);
  }
  return [...chosen].map((i) => {
    const dep = releases[i]!;
    return dep.namespace === release.namespace ? { name: dep.name } : { name: dep.name, namespace: dep.namespace };
  });
}

// --- statistics ---

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, at)]!;
}

function summary(samples: number[]): { median: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1]! };
}

const ms = (x: number): string => `${x.toFixed(x < 1 ? 3 : 1)} ms`;

/** Wall-clock and CPU time of `f` in ms: on a busy machine the difference is time spent waiting for a core. */
function timed<T>(f: () => T): { wall: number; cpu: number; result: T } {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const result = f();
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1000, result };
}

async function timedAsync<T>(f: () => Promise<T>): Promise<{ wall: number; cpu: number; result: T }> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const result = await f();
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1000, result };
}

// --- rebuild ---

/** The object as the API server lists it (the fields decodeFluxObject reads). */
function unstructured(obj: FluxObject): Record<string, unknown> {
  const spec: Record<string, unknown> = { dependsOn: obj.dependsOn };
  if (obj.suspend !== undefined) spec["suspend"] = obj.suspend;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name: obj.name, namespace: obj.namespace, generation: obj.generation },
    spec,
    status: obj.status,
  };
}

/** What the cache of each kind holds once synced: the list response parsed, each item decoded. */
function cachedLists(objects: readonly FluxObject[]): Map<FluxKind, FluxObject[]> {
  const lists = new Map<FluxKind, FluxObject[]>(GUARDED_KINDS.map((kind) => [kind, []]));
  for (const kind of GUARDED_KINDS) {
    const body = JSON.stringify({ items: objects.filter((obj) => obj.kind === kind).map(unstructured) });
    const items = (JSON.parse(body) as { items: unknown[] }).items;
    lists.set(kind, items.map((raw) => decodeFluxObject(kind, raw)));
  }
  return lists;
}

/**
 * A kind's cache as a KindStore reads it (no watch events here), holding `objects` once `sync` is called:
 * the store loads them when `synced` resolves, as it does in serve.
 */
function cacheSyncingWith(kind: FluxKind, objects: FluxObject[]): { source: StoreSource; sync: () => void } {
  let synced = false;
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  const source: StoreSource = { kind, isSynced: () => synced, synced: promise, list: () => objects, subscribe: () => () => undefined };
  return { source, sync: () => ((synced = true), resolve()) };
}

/**
 * What the target times, as serve does it (src/cli/serve.ts): one FluxGraph, one KindStore per guarded
 * kind; a listener on each (the controller's place); then each kind's cache syncs and its store loads
 * the whole list at once. Resolves once every store has announced its load.
 */
async function serveLoad(lists: ReadonlyMap<FluxKind, FluxObject[]>): Promise<{ shared: FluxGraph; announced: number }> {
  const shared = new FluxGraph();
  let announced = 0;
  const caches = [...lists].map(([kind, objects]) => cacheSyncingWith(kind, objects));
  const stores = caches.map(({ source }) => new KindStore(source, shared));
  for (const store of stores) store.onGateChanges({ onGateBatch: (batch) => (announced += batch.changes.length) });
  for (const cache of caches) cache.sync();
  await Promise.all(stores.map((store) => store.synced));
  if (!stores.every((store) => store.isSynced())) throw new Error("a store did not load");
  return { shared, announced };
}

/** The graph core alone: a graph from every object, then every gate state (named for the profile). */
function rebuildWithGates(objects: readonly FluxObject[]): { graph: DependencyGraph; states: Map<string, GateState> } {
  const graph = new DependencyGraph();
  for (const obj of objects) graph.upsert(obj);
  return { graph, states: computeGateStates(graph) };
}

interface Timing {
  wall: number[];
  cpu: number[];
}

interface RebuildTimes {
  serve: Timing;
  core: Timing;
  baseline: Timing;
  blocked: number;
}

async function timeRebuild(objects: readonly FluxObject[], runs: number): Promise<RebuildTimes> {
  const lists = cachedLists(objects);
  const cached = [...lists.values()].flat();
  const times: RebuildTimes = { serve: { wall: [], cpu: [] }, core: { wall: [], cpu: [] }, baseline: { wall: [], cpu: [] }, blocked: 0 };
  const record = (into: Timing, t: { wall: number; cpu: number }): void => {
    into.wall.push(t.wall);
    into.cpu.push(t.cpu);
  };
  for (let run = 0; run < runs; run++) {
    gc();
    const plain = timed(() => {
      const map = new Map<string, FluxObject>();
      for (const obj of cached) map.set(nodeOf(obj), obj);
      return map;
    });
    record(times.baseline, plain);
    gc();
    const serve = await timedAsync(() => serveLoad(lists));
    record(times.serve, serve);
    gc();
    const core = timed(() => rebuildWithGates(cached));
    record(times.core, core);
    const states = serve.result.shared.gates.states();
    if (serve.result.announced !== cached.length) throw new Error(`serve's stores announced ${serve.result.announced} gates of ${cached.length} objects`);
    if (states.size !== core.result.states.size || plain.result.size !== core.result.graph.size) throw new Error("serve's graph, the core and the baseline disagree on the object count");
    times.blocked = 0;
    for (const [key, state] of core.result.states) {
      if (!sameGate(state, states.get(key) ?? { state: "open" })) throw new Error(`serve's graph and the core disagree on ${key}`);
      if (state.state === "blocked") times.blocked++;
    }
  }
  return times;
}

// --- events ---

interface EventTimes {
  status: number[];
  dependsOn: number[];
  all: number[];
  allCpu: number[];
  changes: number;
  naive: number[];
}

type Event = { kind: "status" | "dependsOn"; index: number; obj: FluxObject };

/**
 * The event stream, generated up front so only the tracker's own work is timed: 80% status flips
 * (a new reconcile result), 19% dependsOn edits (replace, add or drop one dependency), 1% a
 * dependency pointing upwards (a cycle may close, as in the admission window) undone next event.
 */
function makeEvents(fleet: Fleet, count: number, random: () => number): { events: Event[]; final: FluxObject[] } {
  const current = [...fleet.objects];
  const generation = new Map<number, number>();
  const events: Event[] = [];
  const push = (kind: Event["kind"], index: number, obj: FluxObject): void => {
    current[index] = obj;
    events.push({ kind, index, obj });
  };
  while (events.length < count) {
    const i = Math.floor(random() * current.length);
    const release = fleet.releases[i]!;
    const old = current[i]!;
    const r = random();
    if (r < 0.8 || release.level === 0) {
      push("status", i, makeObject(release, old.dependsOn, randomStatus(random), generation.get(i) ?? 1));
    } else if (r < 0.99) {
      const gen = (generation.get(i) ?? 1) + 1;
      generation.set(i, gen);
      const deps = [...old.dependsOn];
      const replacement = dependenciesFor(release, fleet.releases, fleet.byLevel, random)[0]!;
      const choice = random();
      if (choice < 0.5 && deps.length > 0) deps[Math.floor(random() * deps.length)] = replacement;
      else if (choice < 0.8 || deps.length <= 1) deps.push(replacement);
      else deps.splice(Math.floor(random() * deps.length), 1);
      push("dependsOn", i, makeObject(release, deps, "progressing", gen));
    } else {
      const low = fleet.byLevel[Math.max(0, release.level - 1)]!;
      const j = low[Math.floor(random() * low.length)]!;
      if (j === i) continue;
      const lower = current[j]!;
      push("dependsOn", j, { ...lower, dependsOn: [...lower.dependsOn, { name: old.name, namespace: old.namespace }] });
      push("dependsOn", j, lower);
    }
  }
  return { events, final: current };
}

function timeEvents(fleet: Fleet, count: number, naiveEvents: number, seed: number): EventTimes {
  const random = mulberry32(seed);
  const { events, final } = makeEvents(fleet, count, random);
  const tracker = new GateTracker(fleet.objects);
  const times: EventTimes = { status: [], dependsOn: [], all: [], allCpu: [], changes: 0, naive: [] };
  gc();
  for (const event of events) {
    const { wall, cpu, result } = timed(() => tracker.upsert(event.obj));
    (event.kind === "status" ? times.status : times.dependsOn).push(wall);
    times.all.push(wall);
    times.allCpu.push(cpu);
    times.changes += result.length;
  }

  // Correctness: the tracker must equal a full recomputation on the final graph.
  const full = computeGateStates(tracker.graph);
  if (full.size !== tracker.states().size) throw new Error("tracker and full recomputation disagree on the object count");
  for (const [key, state] of full) {
    const tracked: GateState | undefined = tracker.state(key);
    if (tracked === undefined || !sameGate(tracked, state)) throw new Error(`tracker disagrees with full recomputation on ${key}`);
  }

  // Baseline: apply an event by recomputing every gate (what a controller without the tracker does).
  for (let e = 0; e < naiveEvents; e++) {
    const i = Math.floor(random() * final.length);
    const obj = makeObject(fleet.releases[i]!, final[i]!.dependsOn, randomStatus(random), final[i]!.generation ?? 1);
    const graph = tracker.graph;
    times.naive.push(
      timed(() => {
        graph.upsert(obj);
        return computeGateStates(graph);
      }).wall,
    );
  }
  return times;
}

// --- report ---

const TARGET_REBUILD_MS = 1000;
const TARGET_EVENT_P99_MS = 1;

async function main(): Promise<void> {
  const only = process.env.SIZES?.split(",").map(Number);
  const rebuildOnly = process.env.REBUILD_ONLY === "1";
  const sizes = [
    { n: 10_000, runs: 9, events: 5_000, naiveEvents: 20 },
    { n: 100_000, runs: 5, events: 5_000, naiveEvents: 3 },
  ].filter((s) => only === undefined || only.includes(s.n));
  const load = (): string => loadavg().map((x) => x.toFixed(1)).join(" ");
  console.log(`releasegate graph benchmark (node ${process.version}, load average ${load()})`);
  const verdicts: string[] = [];
  for (const { n, runs, events, naiveEvents } of sizes) {
    const fleet = makeFleet(n, 42 + n);
    const edges = fleet.objects.reduce((sum, obj) => sum + obj.dependsOn.length, 0);
    const blockedStatuses = fleet.objects.filter((obj) => obj.status?.conditions?.[0]?.status !== "True").length;
    console.log(
      `\n${n.toLocaleString("en")} releases, ${edges.toLocaleString("en")} dependsOn entries (avg ${(edges / n).toFixed(2)}), ` +
        `depth ${MAX_DEPTH}, ${((100 * blockedStatuses) / n).toFixed(0)}% not Ready`,
    );

    const rebuild = await timeRebuild(fleet.objects, runs);
    const sw = summary(rebuild.serve.wall);
    const sc = summary(rebuild.serve.cpu);
    const cw = summary(rebuild.core.wall);
    const cc = summary(rebuild.core.cpu);
    const bw = summary(rebuild.baseline.wall);
    const bc = summary(rebuild.baseline.cpu);
    console.log(`  load as serve runs it (a KindStore per guarded kind into one FluxGraph, batches announced), ${runs} runs:`);
    console.log(`    wall median ${ms(sw.median)}, max ${ms(sw.max)}; CPU median ${ms(sc.median)}, max ${ms(sc.max)}  [${rebuild.blocked.toLocaleString("en")} gates blocked]`);
    console.log(`  graph core alone (DependencyGraph upserts + computeGateStates), same objects:`);
    console.log(`    wall median ${ms(cw.median)}, max ${ms(cw.max)}; CPU median ${ms(cc.median)}, max ${ms(cc.max)}`);
    console.log(`  baseline: plain Map of the same objects by node key, wall median ${ms(bw.median)}; CPU median ${ms(bc.median)}`);
    console.log(`  ratio serve load / baseline (CPU median): ${(sc.median / bc.median).toFixed(1)}x`);
    if (n === 100_000) {
      verdicts.push(
        `target: load with gate states, 100k < ${TARGET_REBUILD_MS} ms, as serve runs it: CPU median ${ms(sc.median)} ${sc.median < TARGET_REBUILD_MS ? "PASS" : "FAIL"}, ` +
          `wall median ${ms(sw.median)} ${sw.median < TARGET_REBUILD_MS ? "PASS" : "FAIL"} (load average ${load()})`,
      );
    }
    if (rebuildOnly) continue;

    const ev = timeEvents(fleet, events, naiveEvents, 7 + n);
    const all = summary(ev.all);
    const cpu = summary(ev.allCpu);
    const status = summary(ev.status);
    const deps = summary(ev.dependsOn);
    const naive = summary(ev.naive);
    console.log(`  one event through GateTracker.upsert, ${ev.all.length} events:`);
    console.log(`    wall median ${ms(all.median)}, p99 ${ms(all.p99)}, max ${ms(all.max)}; CPU median ${ms(cpu.median)}, p99 ${ms(cpu.p99)}`);
    console.log(`    status flips (${ev.status.length}): wall median ${ms(status.median)}, p99 ${ms(status.p99)}`);
    console.log(`    dependsOn edits (${ev.dependsOn.length}, some closing and opening cycles): wall median ${ms(deps.median)}, p99 ${ms(deps.p99)}`);
    console.log(`    gate changes reported: ${ev.changes.toLocaleString("en")} (${(ev.changes / ev.all.length).toFixed(1)} per event); equals a full recomputation at the end`);
    console.log(`  baseline: full recomputation per event (${ev.naive.length} events), wall median ${ms(naive.median)}`);
    console.log(`  ratio baseline / incremental (median): ${(naive.median / all.median).toFixed(0)}x`);

    if (n === 100_000) {
      verdicts.push(`target: one event < ${TARGET_EVENT_P99_MS} ms p99 at 100k: wall p99 ${ms(all.p99)} ${all.p99 < TARGET_EVENT_P99_MS ? "PASS" : "FAIL"} (CPU p99 ${ms(cpu.p99)} ${cpu.p99 < TARGET_EVENT_P99_MS ? "PASS" : "FAIL"})`);
    }
  }
  console.log(`\nload average at the end: ${load()} (wall-clock includes waiting for a core; CPU time does not)`);
  for (const verdict of verdicts) console.log(verdict);
}

await main();
