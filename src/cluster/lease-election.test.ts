import { describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { LeaseElection, leaseRecordOf, mayTakeLease } from "./lease-election.js";

const record = (holderIdentity: string, leaseDurationSeconds = 15) => ({
  holderIdentity,
  leaseDurationSeconds,
  acquireTime: "",
  renewTime: "",
  leaseTransitions: 0,
});

describe("mayTakeLease", () => {
  it("takes a free lease or our own at once", () => {
    expect(mayTakeLease(record(""), "a", 1000, 1000)).toBe(true);
    expect(mayTakeLease(record("a"), "a", 1000, 1000)).toBe(true);
  });

  it("waits the holder's whole lease duration from when we first saw its record", () => {
    expect(mayTakeLease(record("b", 15), "a", 1000, 15_999)).toBe(false);
    expect(mayTakeLease(record("b", 15), "a", 1000, 16_000)).toBe(true);
  });
});

describe("leaseRecordOf", () => {
  it("reads times as strings or dates and defaults what is missing", () => {
    expect(leaseRecordOf(undefined)).toEqual(record("", 0));
    const when = new Date("2024-01-01T00:00:00.000Z");
    expect(
      leaseRecordOf({ spec: { holderIdentity: "a", renewTime: when, acquireTime: "2024-01-01T00:00:00.000000Z" } } as never),
    ).toMatchObject({ holderIdentity: "a", renewTime: when.toISOString(), acquireTime: "2024-01-01T00:00:00.000000Z" });
  });
});

describe("LeaseElection settings", () => {
  const kc = new KubeConfig();
  it("refuses a renew deadline not shorter than the lease, as client-go does", () => {
    expect(
      () => new LeaseElection(kc, { namespace: "n", name: "l", identity: "a", leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
    ).toThrow(/must be greater than renew deadline/);
  });
  it("refuses a retry period too long to renew within the deadline", () => {
    expect(
      () => new LeaseElection(kc, { namespace: "n", name: "l", identity: "a", renewDeadlineMs: 2000, retryPeriodMs: 2000 }),
    ).toThrow(/1.2 × retry period/);
  });
  it("refuses an empty identity", () => {
    expect(() => new LeaseElection(kc, { namespace: "n", name: "l", identity: "" })).toThrow(/identity is empty/);
  });
});
