// serve under a burst, as its own process with a 128 MB V8 heap (docs/behaviour.md, Bounded work; figures from
// bench/burst.ts): 3,000 gates turning blocked at once must not take memory or API connections with
// them (Events go through a bounded queue over a pooled, capped set of connections), the leader keeps
// its Lease and /healthz keeps answering; 200 AdmissionReviews of 5 MiB at once are answered from a
// bounded body budget (429 beyond it) instead of being buffered whole.
import { CoordinationV1Api } from "@kubernetes/client-node";
import type { V1Lease } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  concurrentReviews,
  failBase,
  largeReview,
  leaseHolder,
  peak,
  sampler,
  startBurstSetup,
  waitReady,
} from "../bench/burst-scenario.js";
import type { Running } from "../bench/burst-scenario.js";
import { SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { binary } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";

const MiB = 1024 * 1024;

async function readLease(run: Running): Promise<V1Lease | undefined> {
  return run.sandbox
    .kubeConfig()
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ namespace: SANDBOX_NAMESPACE, name: "releasegate-leader" })
    .catch(() => undefined);
}

describe("serve under a burst (own process, --max-old-space-size=128)", () => {
  let run: Running;

  beforeAll(async () => {
    run = await startBurstSetup({ objects: 3000, binary });
    await waitReady(run);
    await eventually(async () => (await leaseHolder(run)) === run.identity, { timeoutMs: 30_000, intervalMs: 100, what: "serve holding the Lease" });
  }, 180_000);
  afterAll(() => run?.stop());

  it("stays up with bounded RSS and API connections while 3,000 gates turn blocked at once, and keeps the Lease", async () => {
    expect(await leaseHolder(run)).toBe(run.identity);
    const samples = sampler(run);
    await failBase(run);
    // Until every gate is blocked and the Lease has been renewed several times (every 2 s, serve's
    // default retry period) since the burst began, who holds the Lease is read at each look.
    const holders = new Set<string | undefined>();
    const renewals = new Set<string>();
    await eventually(
      async () => {
        const lease = await readLease(run);
        holders.add(lease?.spec?.holderIdentity ?? undefined);
        if (lease?.spec?.renewTime !== undefined) renewals.add(JSON.stringify(lease.spec.renewTime));
        const blocked = findSamples(await scrape(run.metricsPort), "releasegate_releases", { state: "Failed" }).reduce((sum, s) => sum + s.value, 0);
        return blocked >= 3000 && renewals.size >= 5;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: "3,000 gates blocked and the Lease renewed through the burst" },
    );
    const seen = await samples.stop();
    expect(run.child.exitCode).toBeNull();
    expect([...holders]).toEqual([run.identity]);
    // Before: 992 connections and 281 MiB; after: a pooled handful (16 at most, plus watches and Lease).
    expect(peak(seen, "connections")).toBeLessThanOrEqual(32);
    expect(peak(seen, "rss")).toBeLessThan(256 * MiB);
    expect(seen.filter((s) => s.healthy).length).toBeGreaterThanOrEqual(Math.floor(seen.length * 0.9));
    // The Event queue is bounded: 3,000 at once cannot all wait, and the drops are counted.
    const dropped = findSamples(await scrape(run.metricsPort), "releasegate_events_dropped_total")[0]?.value ?? 0;
    expect(dropped).toBeGreaterThan(0);
  }, 120_000);

  it("answers 200 concurrent 5 MiB reviews within a bounded RSS, with 429s beyond the body budget", async () => {
    const samples = sampler(run);
    const statuses = await concurrentReviews(run.webhookPort, largeReview(5), 200);
    const seen = await samples.stop();
    expect(run.child.exitCode).toBeNull();
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses).not.toContain(500);
    // Before: 941 MiB (every body buffered whole); the 64 MiB budget keeps it at a fraction.
    expect(peak(seen, "rss")).toBeLessThan(400 * MiB);
  }, 180_000);
});
