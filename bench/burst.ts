// Burst benchmark (docs/behaviour.md, Bounded work): peak RSS and connections to the API server of `serve`, as its own
// process under a 128 MB heap, while 3,000 gates turn blocked at once and while 200 AdmissionReviews of
// 5 MiB arrive together. Run: npm run build && node dist/bench/burst.js   (OBJECTS=…, BINARY=… to run
// another build of serve, e.g. an older one, for a before/after comparison).
import { loadavg } from "node:os";
import {
  concurrentReviews,
  countEvents,
  failBase,
  largeReview,
  leaseHolder,
  mib,
  peak,
  sampler,
  startBurstSetup,
  waitReady,
} from "./burst-scenario.js";

const OBJECTS = Number(process.env.OBJECTS ?? 3000);

async function main(): Promise<void> {
  console.log(`bench/burst: ${OBJECTS} HelmReleases blocked at once, then 200 × 5 MiB reviews; serve under --max-old-space-size=128; load ${loadavg()[0]!.toFixed(2)}`);
  const run = await startBurstSetup({ objects: OBJECTS, ...(process.env.BINARY ? { binary: process.env.BINARY } : {}) });
  try {
    await waitReady(run);
    while ((await leaseHolder(run)) !== run.identity) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const burst = sampler(run);
    await failBase(run);
    const holders = new Set<string>();
    for (let i = 0; i < 40 && run.child.exitCode === null; i++) {
      holders.add((await leaseHolder(run)) ?? "(none)");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const burstSamples = await burst.stop();
    const events = await countEvents(run).catch(() => NaN);
    const alive1 = run.child.exitCode === null;
    console.log(`  burst:  peak RSS ${mib(peak(burstSamples, "rss"))} MiB, peak connections to the API ${peak(burstSamples, "connections")}, /healthz failures ${burstSamples.filter((s) => !s.healthy).length}/${burstSamples.length}, Lease holders seen ${[...holders].join(",")}, Events stored after 20 s ${events}, serve ${alive1 ? "up" : `exited (${run.child.exitCode ?? run.child.signalCode})`}`);
    if (!alive1) console.log(run.output().split("\n").slice(-5).join("\n"));
    if (alive1) {
      const body = largeReview(5);
      const bodies = sampler(run);
      const statuses = await concurrentReviews(run.webhookPort, body, 200);
      const bodySamples = await bodies.stop();
      const byStatus = new Map<number, number>();
      for (const s of statuses) byStatus.set(s, (byStatus.get(s) ?? 0) + 1);
      const alive2 = run.child.exitCode === null;
      console.log(`  bodies: peak RSS ${mib(peak(bodySamples, "rss"))} MiB, answers ${[...byStatus].map(([s, n]) => `${s === 0 ? "none" : s}×${n}`).join(" ")}, serve ${alive2 ? "up" : `exited (${run.child.exitCode ?? run.child.signalCode})`}`);
      if (!alive2) console.log(run.output().split("\n").slice(-5).join("\n"));
    }
  } finally {
    await run.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
