import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { inspectCertificateSet, issueCertificateSet } from "./certificate-set.js";
import { defaultRenewalPolicy, planRenewal } from "./renewal-plan.js";
import { splitPemCertificates } from "./tls-material.js";

const DAY = 24 * 3600 * 1000;
const policy = defaultRenewalPolicy(
  { dnsNames: ["svc", "svc.ns.svc", "localhost"], ipAddresses: ["127.0.0.1"] },
  { caValidityMs: 30 * DAY, servingValidityMs: 9 * DAY, caPropagationMs: 0, clockSkewMs: 60_000 },
);
const t0 = new Date();
const at = (days: number): Date => new Date(t0.getTime() + days * DAY);

describe("certificate set", () => {
  const first = issueCertificateSet(undefined, { ca: "new", serving: "issue", reasons: [] }, policy, t0, "svc.ns.svc");

  it("issues a CA and a serving certificate it signs, naming every host", () => {
    const summary = inspectCertificateSet(first);
    expect(summary).toMatchObject({
      kind: "usable",
      serving: { dnsNames: ["svc", "svc.ns.svc", "localhost"], ipAddresses: ["127.0.0.1"], issuedBySigner: true },
    });
    const serving = new X509Certificate(first.certPem);
    expect(serving.checkIssued(new X509Certificate(first.caBundlePem))).toBe(true);
    expect(new Date(serving.validTo).getTime() - t0.getTime()).toBeGreaterThan(9 * DAY - 1000);
    expect(planRenewal(summary, policy, t0).reasons).toEqual([]);
  });

  it("renews the serving certificate under the same CA", () => {
    const renewed = issueCertificateSet(first, { ca: "keep", serving: "issue", reasons: [] }, policy, at(7), "svc.ns.svc");
    expect(renewed.caBundlePem).toBe(first.caBundlePem);
    expect(renewed.caKeyPem).toBe(first.caKeyPem);
    expect(renewed.certPem).not.toBe(first.certPem);
    expect(inspectCertificateSet(renewed)).toMatchObject({ serving: { issuedBySigner: true } });
  });

  it("rotates the CA keeping the old one in the bundle, then signs with the new one, then drops the old when it expires", () => {
    const rotated = issueCertificateSet(first, { ca: "rotate", serving: "keep", reasons: [] }, policy, at(21), "svc.ns.svc");
    const bundle = splitPemCertificates(rotated.caBundlePem);
    expect(bundle).toHaveLength(2);
    expect(bundle[1]).toBe(splitPemCertificates(first.caBundlePem)[0]);
    expect(rotated.certPem).toBe(first.certPem);
    expect(inspectCertificateSet(rotated)).toMatchObject({ serving: { issuedBySigner: false } });

    const resigned = issueCertificateSet(rotated, { ca: "keep", serving: "issue", reasons: [] }, policy, at(21), "svc.ns.svc");
    expect(inspectCertificateSet(resigned)).toMatchObject({ serving: { issuedBySigner: true } });
    expect(splitPemCertificates(resigned.caBundlePem)).toHaveLength(2);

    const afterOldExpiry = issueCertificateSet(resigned, { ca: "keep", serving: "issue", reasons: [] }, policy, at(31), "svc.ns.svc");
    expect(splitPemCertificates(afterOldExpiry.caBundlePem)).toEqual([bundle[0]]);
  });

  it("never issues a serving certificate that outlives its CA", () => {
    const late = issueCertificateSet(first, { ca: "keep", serving: "issue", reasons: [] }, policy, at(25), "svc.ns.svc");
    const caEnd = new Date(new X509Certificate(first.caBundlePem).validTo).getTime();
    expect(new Date(new X509Certificate(late.certPem).validTo).getTime()).toBeLessThanOrEqual(caEnd);
  });

  it("reports what is unusable in a Secret", () => {
    expect(inspectCertificateSet(undefined)).toEqual({ kind: "absent" });
    expect(inspectCertificateSet({ ...first, caKeyPem: undefined })).toEqual({ kind: "unusable", problem: "the Secret has no ca.key" });
    expect(inspectCertificateSet({ ...first, caKeyPem: first.keyPem })).toEqual({ kind: "unusable", problem: "ca.key matches no CA certificate in ca.crt" });
    expect(inspectCertificateSet({ ...first, keyPem: first.caKeyPem })).toMatchObject({ kind: "usable", servingProblem: "tls.key does not match tls.crt" });
  });
});
