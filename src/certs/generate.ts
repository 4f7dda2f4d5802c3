// Certificate generation with node-forge: a private CA and serving certificates signed by it.
// Keys come from Node's native crypto (RSA keygen in pure JavaScript takes seconds); node-forge builds
// and signs the X.509 certificates. Used by the self-managed certificate mode, the sandbox API server
// and `releasegate certs`.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

/** A PEM certificate with its PEM private key. */
export interface KeyPair {
  certPem: string;
  keyPem: string;
}

interface CertificateAuthority extends KeyPair {
  commonName: string;
}

interface ServingCertificateOptions {
  commonName: string;
  /** DNS names for the subjectAltName extension. */
  dnsNames: string[];
  /** IP addresses for the subjectAltName extension (e.g. 127.0.0.1). */
  ipAddresses?: string[];
  /** Validity from now; defaults to one year. */
  validDays?: number;
  /** Overrides the start of validity (tests use it to make expired or near-expiry certificates). */
  notBefore?: Date;
  /** Certify this existing PEM RSA private key instead of generating one (RSA generation is the slow part). */
  keyPem?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function newRsaKey(existingPem?: string): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const privateKey =
    existingPem ??
    generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
  const forgeKey = forge.pki.privateKeyFromPem(privateKey);
  return {
    privateKey: forgeKey,
    publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
    pem: privateKey,
  };
}

function serialNumber(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

/** A self-signed CA valid for `validDays` (default ten years). */
export function generateCertificateAuthority(commonName: string, validDays = 3650, notBefore = new Date()): CertificateAuthority {
  const key = newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + validDays * DAY_MS);
  const subject = [{ name: "commonName", value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(key.privateKey, forge.md.sha256.create());
  return { commonName, certPem: forge.pki.certificateToPem(cert), keyPem: key.pem };
}

/** A serving certificate for `options.dnsNames`/`ipAddresses`, signed by `ca`. */
export function generateServingCertificate(ca: KeyPair, options: ServingCertificateOptions): KeyPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const key = newRsaKey(options.keyPem);
  const cert = forge.pki.createCertificate();
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  cert.publicKey = key.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + (options.validDays ?? 365) * DAY_MS);
  cert.setSubject([{ name: "commonName", value: options.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...options.dnsNames.map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true, clientAuth: true },
    { name: "subjectAltName", altNames },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.pem };
}

/** The validity window of a PEM certificate. */
export function certificateValidity(certPem: string): { notBefore: Date; notAfter: Date } {
  const cert = forge.pki.certificateFromPem(certPem);
  return { notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
}
