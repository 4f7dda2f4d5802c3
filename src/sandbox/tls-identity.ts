// The sandbox API server's own TLS identity: a private CA and a serving certificate for 127.0.0.1,
// localhost and the in-cluster names of the API (kubernetes.default.svc), as a cluster's kube-apiserver
// has. Built here with node-forge (keys from Node's crypto, which is fast), independent of releasegate's
// certificate code.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface PemPair {
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function rsaKey(): { pem: string; key: forge.pki.rsa.PrivateKey } {
  const pem = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
  return { pem, key: forge.pki.privateKeyFromPem(pem) };
}

function certificate(publicOf: forge.pki.rsa.PrivateKey, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(publicOf.n, publicOf.e);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive in DER
  cert.serialNumber = serial.toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS);
  return cert;
}

export function generateSandboxCa(commonName: string): PemPair {
  const { pem, key } = rsaKey();
  const cert = certificate(key, 3650);
  const subject = [{ name: "commonName", value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: pem };
}

export function generateSandboxServing(ca: PemPair, commonName: string, dnsNames: string[], ipAddresses: string[]): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const { pem, key } = rsaKey();
  const cert = certificate(key, 365);
  cert.setSubject([{ name: "commonName", value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true, clientAuth: true },
    { name: "subjectAltName", altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ipAddresses.map((ip) => ({ type: 7, ip }))] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: pem };
}

/** A client certificate the sandbox authenticates: CN the user name, one O per group (kube-apiserver's x509 rule). */
export function generateSandboxClient(ca: PemPair, user: string, groups: readonly string[] = [], validMs = 365 * DAY_MS): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const { pem, key } = rsaKey();
  const cert = certificate(key, Math.max(1, Math.ceil(validMs / DAY_MS)));
  cert.setSubject([{ name: "commonName", value: user }, ...groups.map((value) => ({ name: "organizationName", value }))]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", clientAuth: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: pem };
}
