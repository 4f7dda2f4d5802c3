// What one review costs the webhook's own code, in-process, without the network or TLS: the same
// cluster and review mix as bench/admission.ts (bench/admission-mix.ts), each body through the steps
// serve takes after the bytes arrive — JSON.parse (all a bare server does), reviewAdmission (parse into
// a typed request, decide on the graph, render), JSON.stringify of the answer, and the metrics — timed
// per category. The deny path's consistent read is a stub that finds nothing at once, so only our side
// of it is counted. This says how far from a bare server's per-request work the webhook is before any
// socket is involved (bench/admission.ts measures the whole, with serve as its own process).
// Run: npm run bench:admission-cpu  (ONLY=allowed|cycle|missing for one category, PASSES=N)
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { AdmissionGraphs } from "../src/admission/admission-graphs.js";
import { PendingBatch } from "../src/admission/pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "../src/admission/policy.js";
import { reviewAdmission } from "../src/admission/review-handler.js";
import type { AdmissionContext, ReviewResult } from "../src/admission/review-handler.js";
import { KindStore } from "../src/cluster/kind-store.js";
import type { StoreSource } from "../src/cluster/kind-store.js";
import { decodeFluxObject } from "../src/flux/decode.js";
import type { FluxObject } from "../src/graph/types.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { CATEGORIES, makeFleet, makePayloads, seedObjects } from "./admission-mix.js";
import type { Category } from "./admission-mix.js";
import { mulberry32 } from "./random.js";

const PASSES = Number(process.env.PASSES ?? 20);

/** A synced cache holding the seeded HelmReleases. */
function syncedSource(objects: FluxObject[]): StoreSource {
  return { kind: "HelmRelease", isSynced: () => true, list: () => objects, subscribe: () => () => undefined };
}

async function main(): Promise<void> {
  const random = mulberry32(42);
  const fleet = makeFleet(random);
  // ONLY=allowed|cycle|missing times that category alone.
  const only = process.env.ONLY as Category | undefined;
  const payloads = makePayloads(fleet, random).filter((p) => only === undefined || p.category === only);
  const releases = seedObjects(fleet)
    .filter((o) => (o as { kind?: string }).kind === "HelmRelease")
    .map((o) => decodeFluxObject("HelmRelease", o));
  const graphs = new AdmissionGraphs([new KindStore(syncedSource(releases))]);
  const metrics = createMetrics({ defaultMetrics: false });
  const ctx: AdmissionContext = {
    graphs,
    pending: new PendingBatch(),
    policy: DEFAULT_ADMISSION_POLICY,
    confirmMissing: () => Promise.resolve(new Map()),
  };

  const parseUs: Record<Category, number[]> = { allowed: [], cycle: [], missing: [] };
  const reviewUs: Record<Category, number[]> = { allowed: [], cycle: [], missing: [] };
  const one = async (body: string, category: Category, record: boolean): Promise<void> => {
    const t0 = performance.now();
    const parsed: unknown = JSON.parse(body);
    const t1 = performance.now();
    const pending = reviewAdmission(parsed, ctx);
    const result: ReviewResult = pending instanceof Promise ? await pending : pending;
    if (result.type !== "answer") throw new Error(`unexpected ${result.type}`);
    JSON.stringify(result.response);
    metrics.admissionTally.record("HelmRelease", "CREATE", result.decision.allowed ? "allowed" : "denied", result.decision.reason, (performance.now() - t0) / 1000);
    const t2 = performance.now();
    if (record) {
      parseUs[category].push((t1 - t0) * 1000);
      reviewUs[category].push((t2 - t1) * 1000);
    }
  };
  // Warm-up pass (JIT), then the measured passes.
  for (const p of payloads) await one(p.body, p.category, false);
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let pass = 0; pass < PASSES; pass++) for (const p of payloads) await one(p.body, p.category, true);
  const wallMs = performance.now() - wallBefore;
  const cpu = process.cpuUsage(cpuBefore);

  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const p99 = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.99 * xs.length) - 1)] ?? NaN;
  const reviews = PASSES * payloads.length;
  console.log(`bench/admission-cpu (node ${process.version}): ${releases.length} releases in the graph, ${payloads.length} reviews × ${PASSES} passes; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log(`                 share   JSON.parse mean   review+answer mean   review+answer p99   (µs, wall-clock per review)`);
  for (const c of CATEGORIES) {
    const share = parseUs[c].length / reviews;
    console.log(`  ${c.padEnd(9)}  ${(share * 100).toFixed(1).padStart(5)}%   ${mean(parseUs[c]).toFixed(1).padStart(15)}   ${mean(reviewUs[c]).toFixed(1).padStart(18)}   ${p99(reviewUs[c]).toFixed(1).padStart(17)}`);
  }
  const all = CATEGORIES.flatMap((c) => reviewUs[c]);
  const allParse = CATEGORIES.flatMap((c) => parseUs[c]);
  console.log(`  the mix           ${mean(allParse).toFixed(1).padStart(15)}   ${mean(all).toFixed(1).padStart(18)}   ${p99(all).toFixed(1).padStart(17)}`);
  console.log(`  CPU (user + system) ${(((cpu.user + cpu.system) / reviews)).toFixed(1)} µs a review over ${(wallMs / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
