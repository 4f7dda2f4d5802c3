// End to end through the sandbox: two serve replicas, one leader. The leader is killed (no lease
// release, as in a crash); the standby takes over within about one lease duration, and every gate
// opening gets exactly one reconcile request: the one before the crash from the old leader, the one
// during the failover from the new leader. The test plays helm-controller through /status.
import { CoordinationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxEnvironment, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import type { RunningServe } from "../src/cli/serve.js";
import { ObjectCache } from "../src/cluster/object-cache.js";
import { eventually } from "./helpers/eventually.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { FluxClient, helmRelease, REQUESTED_AT } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";

const LEASE_MS = 2000;

describe("two replicas", () => {
  let env: SandboxEnvironment;
  let flux: FluxClient;
  let first: RunningServe;
  let second: RunningServe;
  let watcher: ObjectCache;
  /** Every requestedAt value each object has carried. */
  const requests = new Map<string, Set<string>>();

  beforeAll(async () => {
    env = await startSandboxEnvironment({
      logger: quietLogger(),
      simulateFlux: false,
      serve: { leaseDurationMs: LEASE_MS, leaseRenewDeadlineMs: 1500, leaseRetryPeriodMs: 250 },
    });
    flux = new FluxClient(env.sandbox.kubeConfig());
    first = env.serve;
    second = await env.startReplica("releasegate-1");
    await second.ready;
    watcher = new ObjectCache(env.sandbox.kubeConfig(), { kind: "HelmRelease" });
    watcher.subscribe((change) => {
      const value = change.object?.annotations?.[REQUESTED_AT];
      if (value === undefined) return;
      const seen = requests.get(change.key) ?? new Set<string>();
      seen.add(value);
      requests.set(change.key, seen);
    });
    watcher.start();
    await watcher.synced;
  });
  afterAll(async () => {
    await watcher?.stop();
    await env?.close();
  });

  async function blockedPair(n: number): Promise<void> {
    await flux.create(helmRelease(`redis${n}`));
    await flux.create(helmRelease(`backend${n}`, [`redis${n}`]));
    await flux.progressing(`redis${n}`);
    await flux.waiting(`backend${n}`, `default/redis${n}`);
    for (const replica of [first, second]) {
      if (replica === first && !first.isReady()) continue;
      await eventually(() => replica.controller.state("HelmRelease", `default/backend${n}`)?.state === "blocked");
    }
  }

  it("has exactly one leader, and only it asks Flux to reconcile", async () => {
    await eventually(() => first.isLeader() || second.isLeader(), { what: "a leader" });
    expect(first.isLeader()).not.toBe(second.isLeader());
    const leader = first.isLeader() ? first : second;
    const standby = leader === first ? second : first;
    expect(findSamples(await scrape(leader.metricsPort), "releasegate_leader")[0]?.value).toBe(1);
    expect(findSamples(await scrape(standby.metricsPort), "releasegate_leader")[0]?.value).toBe(0);
    if (leader !== first) [first, second] = [second, first];

    await blockedPair(1);
    await flux.ready("redis1");
    await eventually(() => requests.get("default/backend1")?.size === 1, { what: "backend1 asked" });
    // Both replicas saw the opening; the standby's metrics say so too, but it sent nothing.
    expect(findSamples(await scrape(second.metricsPort), "releasegate_reconcile_requests_total", { result: "requested" }).reduce((a, s) => a + s.value, 0)).toBe(0);
  });

  it("fails over within about one lease when the leader dies, without losing or repeating a request", async () => {
    await blockedPair(2);
    const killedAt = Date.now();
    await first.abort();
    // The dependency turns Ready while nobody leads.
    await flux.ready("redis2");

    await eventually(() => second.isLeader(), { timeoutMs: 3 * LEASE_MS + 2000, intervalMs: 10, what: "the standby leading" });
    const failoverMs = Date.now() - killedAt;
    console.log(`failover after ${failoverMs} ms (lease ${LEASE_MS} ms)`);
    const lease = await env.sandbox
      .kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: SANDBOX_NAMESPACE, name: "releasegate-leader" });
    expect(lease.spec?.holderIdentity).toBe("releasegate-1");

    await eventually(() => requests.get("default/backend2")?.size === 1, { what: "backend2 asked by the new leader" });
    // No request is waiting or on its way: a duplicate would have been sent by now, and the API
    // server's copy would carry a requestedAt the watcher has not seen (or a second one it has).
    await second.controller.whenIdle();
    for (const name of ["backend1", "backend2"]) {
      const seen = [...(requests.get(`default/${name}`) ?? [])];
      expect(seen).toHaveLength(1);
      expect((await flux.get(name)).metadata.annotations?.[REQUESTED_AT]).toBe(seen[0]);
    }
    expect(findSamples(await scrape(second.metricsPort), "releasegate_leader")[0]?.value).toBe(1);
  });
});
