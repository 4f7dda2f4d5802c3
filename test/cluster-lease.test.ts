// Leader election on a coordination.k8s.io/v1 Lease against the sandbox API server, with short
// timings: one leader among candidates, failover when the leader dies without a word, immediate
// hand-over on release(), and never two leaders at once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CoordinationV1Api } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import { microTime } from "../src/cluster/events.js";
import { LeaseElection, leaseRecordOf } from "../src/cluster/lease-election.js";
import type { LeaseElectionOptions } from "../src/cluster/lease-election.js";
import { startSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/index.js";
import { eventually } from "./helpers/eventually.js";

let sandbox: Sandbox;
let kc: KubeConfig;
const running: LeaseElection[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  kc = sandbox.kubeConfig();
});
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});
afterAll(async () => {
  await sandbox.close();
});

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Who leads when, from the callbacks: to check that leadership intervals never overlap. */
interface Timeline {
  events: Array<{ at: number; who: string; what: "start" | "stop" }>;
}

function candidate(lease: string, identity: string, timeline: Timeline, extra: Partial<LeaseElectionOptions> = {}): LeaseElection {
  const election = new LeaseElection(kc, {
    namespace: "default",
    name: lease,
    identity,
    leaseDurationMs: 2000,
    renewDeadlineMs: 1500,
    retryPeriodMs: 200,
    onStartedLeading: () => timeline.events.push({ at: Date.now(), who: identity, what: "start" }),
    onStoppedLeading: () => timeline.events.push({ at: Date.now(), who: identity, what: "stop" }),
    ...extra,
  });
  running.push(election);
  return election;
}

/** At every moment at most one candidate leads, by the callbacks' account. */
function leadersNeverOverlap(timeline: Timeline): boolean {
  const leading = new Set<string>();
  for (const e of timeline.events) {
    if (e.what === "start") {
      if (leading.size > 0) return false;
      leading.add(e.who);
    } else {
      leading.delete(e.who);
    }
  }
  return true;
}

async function readLease(name: string) {
  return kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace: "default" });
}

describe("LeaseElection", () => {
  it("elects exactly one leader among three candidates and records it on the Lease", async () => {
    const timeline: Timeline = { events: [] };
    const ids = ["a", "b", "c"];
    const all = ids.map((id) => candidate("one-leader", id, timeline));
    for (const e of all) e.start();
    const leader = await until("a leader", () => all.find((e) => e.isLeader()));
    // Through several renewals (200 ms retry period) there is still exactly one, the same one, renewing.
    const renewals = new Set([leaseRecordOf(await readLease("one-leader")).renewTime]);
    const leaders = new Set<LeaseElection>();
    await eventually(
      async () => {
        for (const e of all) if (e.isLeader()) leaders.add(e);
        renewals.add(leaseRecordOf(await readLease("one-leader")).renewTime);
        return renewals.size >= 4;
      },
      { intervalMs: 50, what: "three renewals of the Lease" },
    );
    expect([...leaders]).toEqual([leader]);
    expect(all.filter((e) => e.isLeader())).toEqual([leader]);
    const record = leaseRecordOf(await readLease("one-leader"));
    expect(record.holderIdentity).toBe(ids[all.indexOf(leader)]);
    expect(record.leaseDurationSeconds).toBe(2);
    expect(record.leaseTransitions).toBe(0);
    expect(record.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    for (const e of all) expect(e.leader()).toBe(record.holderIdentity);
    expect(leadersNeverOverlap(timeline)).toBe(true);
  });

  it("fails over to a standby when the leader stops renewing, not before its lease runs out", async () => {
    const timeline: Timeline = { events: [] };
    const first = candidate("failover", "first", timeline);
    first.start();
    await until("first leads", () => first.isLeader());
    const second = candidate("failover", "second", timeline);
    second.start();
    await until("second sees first", () => second.leader() === "first");

    // The leader dies without releasing: no more renewals, the Lease still names it.
    await first.stop();
    const diedAt = Date.now();
    expect(first.isLeader()).toBe(false);
    await until("second leads", () => second.isLeader());
    const tookOverAfter = Date.now() - diedAt;

    const record = leaseRecordOf(await readLease("failover"));
    expect(record.holderIdentity).toBe("second");
    expect(record.leaseTransitions).toBe(1);
    // Safety: the standby waited out the lease it last saw renewed (at most one retry period before
    // the leader died). Liveness: it took over within one lease duration plus its retry jitter.
    expect(tookOverAfter).toBeGreaterThanOrEqual(2000 - 200 - 50);
    expect(tookOverAfter).toBeLessThan(2000 + 200 * 2.2 + 1500);
    expect(leadersNeverOverlap(timeline)).toBe(true);
  });

  it("release() hands the lease over at once instead of after the lease duration", async () => {
    const timeline: Timeline = { events: [] };
    // A long lease: waiting it out would take 10 s; release must make that unnecessary.
    const timings = { leaseDurationMs: 10_000, renewDeadlineMs: 5_000, retryPeriodMs: 200 };
    const first = candidate("handover", "first", timeline, timings);
    first.start();
    await until("first leads", () => first.isLeader());
    const second = candidate("handover", "second", timeline, timings);
    second.start();
    await until("second sees first", () => second.leader() === "first");

    const releasedAt = Date.now();
    await first.release();
    expect(first.isLeader()).toBe(false);
    // onStoppedLeading ran before the Lease was given up.
    expect(timeline.events.at(-1)).toMatchObject({ who: "first", what: "stop" });
    await until("second leads", () => second.isLeader());
    expect(Date.now() - releasedAt).toBeLessThan(5_000);

    const record = leaseRecordOf(await readLease("handover"));
    expect(record.holderIdentity).toBe("second");
    expect(record.leaseTransitions).toBe(1);
    expect(leadersNeverOverlap(timeline)).toBe(true);
  });

  it("stops leading at once when another holder takes the Lease", async () => {
    const timeline: Timeline = { events: [] };
    const leader = candidate("stolen", "leader", timeline);
    leader.start();
    await until("leader leads", () => leader.isLeader());
    const api = kc.makeApiClient(CoordinationV1Api);
    const lease = await api.readNamespacedLease({ name: "stolen", namespace: "default" });
    await api.replaceNamespacedLease({
      name: "stolen",
      namespace: "default",
      body: { ...lease, spec: { ...lease.spec, holderIdentity: "intruder", renewTime: microTime(new Date()), leaseDurationSeconds: 60 } },
    });
    await until("leader steps down", () => !leader.isLeader());
    expect(timeline.events.map((e) => e.what)).toEqual(["start", "stop"]);
    expect(leader.leader()).toBe("intruder");
  });

  it("stops leading when it cannot renew within the deadline", async () => {
    const timeline: Timeline = { events: [] };
    const leader = candidate("unreachable", "leader", timeline);
    leader.start();
    await until("leader leads", () => leader.isLeader());
    sandbox.faults.setLatency(3000);
    try {
      await until("leader steps down", () => !leader.isLeader());
      await until("stop callback", () => timeline.events.some((e) => e.what === "stop"));
    } finally {
      sandbox.faults.setLatency(0);
    }
    expect(timeline.events.map((e) => e.what)).toEqual(["start", "stop"]);
  });
});
