// What one store per kind saves (docs/architecture.md, "The pipe"): before, the webhook kept its own
// DependencyGraph of every object beside the gate tracker's; now it reads the tracker's. This builds
// 100,000 HelmReleases (each depending on up to 3 of the ones before it, as bench/graph.ts does),
// holds them in a GateTracker, and measures the heap a second DependencyGraph of the same objects
// costs. Objects are shared, so the figure is the graph's own structure. Run: npm run bench:graph-memory

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DependencyGraph, GateTracker } from "../src/graph/index.js";
import type { FluxObject } from "../src/graph/index.js";
import { mulberry32 } from "./random.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const COUNT = 100_000;
const random = mulberry32(9);
const objects: FluxObject[] = [];
for (let i = 0; i < COUNT; i++) {
  const namespace = `team-${i % 200}`;
  const dependsOn = [];
  for (let d = 0; d < Math.floor(random() * 4) && i > 0; d++) {
    const target = Math.floor(random() * i);
    dependsOn.push(target % 200 === i % 200 ? { name: `release-${target}` } : { name: `release-${target}`, namespace: `team-${target % 200}` });
  }
  objects.push({
    kind: "HelmRelease",
    namespace,
    name: `release-${i}`,
    generation: 1,
    dependsOn,
    status: { observedGeneration: 1, conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded" }] },
  });
}

/** The V8 heap and the typed arrays' memory beside it (the graph keeps its edges and ids in typed arrays). */
function heap(): number {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const base = heap();
const tracker = new GateTracker(objects);
const withTracker = heap();
const second = new DependencyGraph();
for (const object of objects) second.upsert(object);
const withSecond = heap();

console.log(`objects: ${COUNT} HelmReleases (shared by both structures)`);
console.log(`gate tracker with its graph: ${mib(withTracker - base)}`);
console.log(`a second DependencyGraph (what the webhook kept before): ${mib(withSecond - withTracker)}`);
console.log(`saved by one store per kind: ${mib(withSecond - withTracker)} of ${mib(withSecond - base)} (${(((withSecond - withTracker) / (withSecond - base)) * 100).toFixed(0)}%)`);
// Keep both alive until measured.
if (tracker.graph.size !== second.size) throw new Error("the graphs differ");
