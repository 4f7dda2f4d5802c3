// The self-managed certificate set: a CA bundle (the signing CA first, then older CAs still in their overlap),
// the signing CA's key, and the serving certificate with its key. inspectCertificateSet reduces a set to the
// dates planRenewal decides on; issueCertificateSet carries out a plan with node-forge (generate.ts).
import { createPrivateKey, type X509Certificate } from "node:crypto";
import { generateCertificateAuthority, generateServingCertificate } from "./generate.js";
import type { RenewalPlan, RenewalPolicy, StoredSummary } from "./renewal-plan.js";
import { parseCertificate, splitPemCertificates, subjectAltNames, validFrom, validTo } from "./tls-material.js";

export interface CertificateSet {
  /** PEM CA bundle, signing CA first (the webhook's caBundle). */
  caBundlePem: string;
  /** PEM key of the signing CA. */
  caKeyPem: string;
  /** PEM serving certificate and key. */
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function findSigner(set: Partial<CertificateSet>): { cert: X509Certificate; pem: string } | string {
  if (!set.caKeyPem) return "the Secret has no ca.key";
  let caKey;
  try {
    caKey = createPrivateKey(set.caKeyPem);
  } catch {
    return "ca.key is not a readable PEM private key";
  }
  for (const pem of splitPemCertificates(set.caBundlePem ?? "")) {
    const cert = parseCertificate(pem);
    if (cert?.ca === true && cert.checkPrivateKey(caKey)) return { cert, pem };
  }
  return "ca.key matches no CA certificate in ca.crt";
}

/** The PEM of the CA whose key the set holds (the one that signs), or undefined when there is none. */
export function signerCertificate(set: Partial<CertificateSet> | undefined): string | undefined {
  const signer = set === undefined ? "absent" : findSigner(set);
  return typeof signer === "string" ? undefined : signer.pem;
}

/** What the set holds, for planRenewal. */
export function inspectCertificateSet(set: Partial<CertificateSet> | undefined): StoredSummary {
  if (set === undefined) return { kind: "absent" };
  const signer = findSigner(set);
  if (typeof signer === "string") return { kind: "unusable", problem: signer };
  const summary: StoredSummary = { kind: "usable", signer: { notBefore: validFrom(signer.cert), notAfter: validTo(signer.cert) } };
  const leafPem = splitPemCertificates(set.certPem ?? "")[0];
  const leaf = leafPem === undefined ? undefined : parseCertificate(leafPem);
  if (leaf === undefined) return { ...summary, servingProblem: "tls.crt holds no readable certificate" };
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(set.keyPem ?? ""))) return { ...summary, servingProblem: "tls.key does not match tls.crt" };
  } catch {
    return { ...summary, servingProblem: "tls.key is not a readable PEM private key" };
  }
  return {
    ...summary,
    serving: {
      notBefore: validFrom(leaf),
      notAfter: validTo(leaf),
      ...subjectAltNames(leaf),
      issuedBySigner: leaf.checkIssued(signer.cert) && leaf.verify(signer.cert.publicKey),
    },
  };
}

/**
 * Carries out `plan` on `previous` (undefined when there is none, or it is unusable and plan.ca is "new").
 * Expired CAs leave the bundle; the serving certificate never outlives the CA that signs it.
 */
export function issueCertificateSet(
  previous: CertificateSet | undefined,
  plan: RenewalPlan,
  policy: RenewalPolicy,
  now: Date,
  commonName: string,
): CertificateSet {
  const start = new Date(now.getTime() - policy.clockSkewMs);
  let caCertPem: string;
  let caKeyPem: string;
  let others: string[];
  if (plan.ca === "keep") {
    if (previous === undefined) throw new Error("issueCertificateSet: plan keeps a CA that does not exist");
    const signer = findSigner(previous);
    if (typeof signer === "string") throw new Error(`issueCertificateSet: plan keeps an unusable CA (${signer})`);
    caCertPem = signer.pem;
    caKeyPem = previous.caKeyPem;
    others = splitPemCertificates(previous.caBundlePem).filter((pem) => pem !== signer.pem);
  } else {
    const ca = generateCertificateAuthority(
      // A distinct name per CA (as kubeadm's `<name>-ca@<unix time>`), so verifiers never confuse old and new.
      `${commonName}-ca@${Math.floor(now.getTime() / 1000)}`, (policy.caValidityMs + policy.clockSkewMs) / DAY_MS, start);
    caCertPem = ca.certPem;
    caKeyPem = ca.keyPem;
    others = plan.ca === "rotate" && previous !== undefined ? splitPemCertificates(previous.caBundlePem) : [];
  }
  const stillValid = others.filter((pem) => {
    const cert = parseCertificate(pem);
    return cert !== undefined && validTo(cert).getTime() > now.getTime();
  });
  // One normal form (LF, one block a line group) so an unchanged bundle stays byte-identical across renewals.
  const caBundlePem = [caCertPem, ...stillValid].map((pem) => pem.replace(/\r\n/g, "\n").trim()).join("\n") + "\n";

  if (plan.serving === "keep") {
    if (previous === undefined) throw new Error("issueCertificateSet: plan keeps a serving certificate that does not exist");
    return { caBundlePem, caKeyPem, certPem: previous.certPem, keyPem: previous.keyPem };
  }
  const caNotAfter = validTo(parseCertificate(caCertPem) as X509Certificate).getTime();
  const notAfter = Math.min(now.getTime() + policy.servingValidityMs, caNotAfter);
  const serving = generateServingCertificate(
    { certPem: caCertPem, keyPem: caKeyPem },
    {
      commonName,
      dnsNames: policy.dnsNames,
      ipAddresses: policy.ipAddresses,
      notBefore: start,
      validDays: (notAfter - start.getTime()) / DAY_MS,
    },
  );
  return { caBundlePem, caKeyPem, certPem: serving.certPem, keyPem: serving.keyPem };
}
