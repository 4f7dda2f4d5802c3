import { describe, expect, it } from "vitest";
import { defaultRenewalPolicy, isNoop, planRenewal, type StoredSummary } from "./renewal-plan.js";

const DAY = 24 * 3600 * 1000;
const names = { dnsNames: ["svc", "svc.ns.svc"], ipAddresses: ["127.0.0.1"] };
const policy = defaultRenewalPolicy(names, { caValidityMs: 300 * DAY, servingValidityMs: 90 * DAY, caPropagationMs: DAY, clockSkewMs: 0 });
const t0 = new Date("2030-01-01T00:00:00Z");
const at = (days: number): Date => new Date(t0.getTime() + days * DAY);

function usable(options: { caFrom?: number; caDays?: number; servingFrom?: number; servingDays?: number; issuedBySigner?: boolean; dnsNames?: string[] } = {}): StoredSummary {
  const caFrom = options.caFrom ?? 0;
  const servingFrom = options.servingFrom ?? 0;
  return {
    kind: "usable",
    signer: { notBefore: at(caFrom), notAfter: at(caFrom + (options.caDays ?? 300)) },
    serving: {
      notBefore: at(servingFrom),
      notAfter: at(servingFrom + (options.servingDays ?? 90)),
      dnsNames: options.dnsNames ?? names.dnsNames,
      ipAddresses: names.ipAddresses,
      issuedBySigner: options.issuedBySigner ?? true,
    },
  };
}

describe("planRenewal", () => {
  it("creates everything when there is no Secret or it has no usable CA", () => {
    expect(planRenewal({ kind: "absent" }, policy, t0)).toMatchObject({ ca: "new", serving: "issue" });
    expect(planRenewal({ kind: "unusable", problem: "the Secret has no ca.key" }, policy, t0)).toEqual({
      ca: "new",
      serving: "issue",
      reasons: ["the Secret has no ca.key"],
    });
  });

  it("keeps a fresh certificate and renews the serving certificate once less than a third of it remains", () => {
    expect(isNoop(planRenewal(usable(), policy, at(59)))).toBe(true);
    expect(planRenewal(usable(), policy, at(61))).toEqual({
      ca: "keep",
      serving: "issue",
      reasons: [expect.stringMatching(/^serving certificate expires at 2030-04-01T00:00:00.000Z, within its renewal window$/)],
    });
  });

  it("honours a configured serving renewal threshold", () => {
    const late = defaultRenewalPolicy(names, { ...policy, servingRenewBeforeMs: 5 * DAY });
    expect(isNoop(planRenewal(usable(), late, at(84)))).toBe(true);
    expect(planRenewal(usable(), late, at(86)).serving).toBe("issue");
  });

  it("issues at once for an expired, missing or misnamed serving certificate, keeping the CA", () => {
    expect(planRenewal(usable(), policy, at(90))).toMatchObject({ ca: "keep", serving: "issue", reasons: [expect.stringMatching(/expired/)] });
    const { serving: _serving, ...noServing } = usable() as Extract<StoredSummary, { kind: "usable" }>;
    expect(planRenewal({ ...noServing, servingProblem: "tls.key does not match tls.crt" }, policy, at(1))).toEqual({
      ca: "keep",
      serving: "issue",
      reasons: ["tls.key does not match tls.crt"],
    });
    expect(planRenewal(usable({ dnsNames: ["svc"] }), policy, at(1))).toMatchObject({
      serving: "issue",
      reasons: ["serving certificate does not name svc.ns.svc"],
    });
  });

  it("rotates the CA with a third of it left, keeping the old CA's serving certificate until the new CA has propagated", () => {
    // Day 201: the CA (300 days) has 99 days left.
    const rotate = planRenewal(usable({ servingFrom: 180 }), policy, at(201));
    expect(rotate).toEqual({ ca: "rotate", serving: "keep", reasons: [expect.stringMatching(/^CA expires at .*within its renewal window/)] });
    // After rotation the signer is new (notBefore day 201) and the serving certificate is the old CA's.
    const rotated = usable({ caFrom: 201, servingFrom: 180, issuedBySigner: false });
    expect(isNoop(planRenewal(rotated, policy, at(201.5)))).toBe(true);
    expect(planRenewal(rotated, policy, at(202.1))).toEqual({
      ca: "keep",
      serving: "issue",
      reasons: ["serving certificate is not yet signed by the current CA"],
    });
  });

  it("waits for the new CA to propagate even when the old serving certificate is also due", () => {
    const rotated = usable({ caFrom: 201, servingFrom: 140, issuedBySigner: false });
    expect(planRenewal(rotated, policy, at(201.5)).serving).toBe("keep");
    expect(planRenewal(rotated, policy, at(202.5)).serving).toBe("issue");
    // ...but not when it has expired: an expired certificate fails every call anyway.
    expect(planRenewal(usable({ caFrom: 201, servingFrom: 111, issuedBySigner: false }), policy, at(201.5)).serving).toBe("issue");
  });

  it("counts the propagation delay from when the caBundle was seen to hold the new CA, when that is known", () => {
    const rotated = usable({ caFrom: 201, servingFrom: 180, issuedBySigner: false });
    if (rotated.kind !== "usable") throw new Error("unreachable");
    const notSeen = { ...rotated, signer: { ...rotated.signer, trustedSince: new Date(8.64e15) } };
    expect(planRenewal(notSeen, policy, at(250)).serving).toBe("keep");
    const seenLate = { ...rotated, signer: { ...rotated.signer, trustedSince: at(210) } };
    expect(planRenewal(seenLate, policy, at(210.5)).serving).toBe("keep");
    expect(planRenewal(seenLate, policy, at(211.1)).serving).toBe("issue");
  });

  it("starts over when the CA itself has expired", () => {
    expect(planRenewal(usable({ servingFrom: 250 }), policy, at(300))).toMatchObject({ ca: "new", serving: "issue" });
  });

  it("renews on request, but not with a CA that is still propagating", () => {
    expect(planRenewal(usable(), policy, at(1), { serving: true })).toEqual({ ca: "keep", serving: "issue", reasons: ["renewal requested"] });
    expect(planRenewal(usable({ caFrom: 1, issuedBySigner: false }), policy, at(1.5), { serving: true }).serving).toBe("keep");
    expect(planRenewal(usable(), policy, at(1), { ca: true })).toEqual({ ca: "rotate", serving: "keep", reasons: ["CA rotation requested"] });
  });
});
