// A serving certificate, its key and the CA bundle that clients trust, parsed and checked once where the PEM
// enters (files, a Secret) so the rest of the program handles a typed value with its validity window and
// serial. Parsing uses Node's native X509Certificate: fast, and it checks that the key matches the certificate.
import { X509Certificate, createPrivateKey } from "node:crypto";
import tls from "node:tls";

/** What an HTTPS server needs, plus what clients and metrics read about it. */
export interface TlsMaterial {
  /** PEM serving certificate (the leaf first; any intermediates after it). */
  certPem: string;
  /** PEM private key of the serving certificate. */
  keyPem: string;
  /** PEM CA bundle that clients should trust (the webhook's caBundle), when known. */
  caPem?: string;
  /** Validity of the serving certificate (the leaf). */
  notBefore: Date;
  notAfter: Date;
  /** Serial number of the leaf, upper-case hex as Node reports it (`socket.getPeerCertificate().serialNumber`). */
  serialNumber: string;
}

/** A TLS input that cannot be used, with a one-line message naming where it came from and what to do. */
export class TlsMaterialError extends Error {
  override readonly name = "TlsMaterialError";
}

/** Where the PEM came from, for error messages: file paths, or `Secret ns/name key`. */
interface TlsOrigin {
  cert: string;
  key: string;
  ca?: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every PEM certificate block in `pem`, in order. */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(PEM_CERTIFICATE) ?? [];
}

/** Parses one PEM certificate, or undefined when it is not one. */
export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

export function validFrom(cert: X509Certificate): Date {
  return new Date(cert.validFrom);
}

export function validTo(cert: X509Certificate): Date {
  return new Date(cert.validTo);
}

/** DNS names and IP addresses of a certificate's subjectAltName. */
export function subjectAltNames(cert: X509Certificate): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const entry of (cert.subjectAltName ?? "").split(/,\s*/)) {
    if (entry.startsWith("DNS:")) dnsNames.push(entry.slice(4));
    else if (entry.startsWith("IP Address:")) ipAddresses.push(entry.slice(11));
  }
  return { dnsNames, ipAddresses };
}

/**
 * Checks a certificate/key pair (and optional CA bundle) and returns it typed, or throws a TlsMaterialError
 * with one line naming the offending input: unreadable PEM, key not matching the certificate, expired
 * certificate, a key Node's TLS cannot load (e.g. encrypted), or a CA bundle without certificates.
 */
export function parseTlsMaterial(input: { certPem: string; keyPem: string; caPem?: string }, origin: TlsOrigin, now: Date): TlsMaterial {
  const leafPem = splitPemCertificates(input.certPem)[0];
  const leaf = leafPem === undefined ? undefined : parseCertificate(leafPem);
  if (leaf === undefined) {
    throw new TlsMaterialError(`TLS certificate ${origin.cert} holds no readable PEM certificate; point it at a PEM-encoded certificate`);
  }
  let key;
  try {
    key = createPrivateKey(input.keyPem);
  } catch {
    throw new TlsMaterialError(`TLS key ${origin.key} holds no readable unencrypted PEM private key; point it at the certificate's private key`);
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new TlsMaterialError(`TLS key ${origin.key} does not match certificate ${origin.cert}; use the key the certificate was issued for`);
  }
  const notBefore = validFrom(leaf);
  const notAfter = validTo(leaf);
  if (now.getTime() >= notAfter.getTime()) {
    throw new TlsMaterialError(
      `TLS certificate ${origin.cert} expired at ${notAfter.toISOString()} (now ${now.toISOString()}); replace it with a current certificate`,
    );
  }
  if (input.caPem !== undefined && splitPemCertificates(input.caPem).length === 0) {
    throw new TlsMaterialError(`TLS CA bundle ${origin.ca ?? "(ca)"} holds no PEM certificate; point it at the issuing CA certificate`);
  }
  try {
    // The same call setSecureContext makes: anything it rejects is caught here, not in the server.
    tls.createSecureContext({ cert: input.certPem, key: input.keyPem });
  } catch (error) {
    throw new TlsMaterialError(`TLS certificate ${origin.cert} with key ${origin.key} cannot be loaded: ${oneLine(error)}`);
  }
  return {
    certPem: input.certPem,
    keyPem: input.keyPem,
    ...(input.caPem === undefined ? {} : { caPem: input.caPem }),
    notBefore,
    notAfter,
    serialNumber: leaf.serialNumber.toUpperCase(),
  };
}

/** Same certificate, key and bundle: nothing to reload. */
export function sameTlsMaterial(a: TlsMaterial | undefined, b: TlsMaterial | undefined): boolean {
  return a?.certPem === b?.certPem && a?.keyPem === b?.keyPem && a?.caPem === b?.caPem;
}

/** The first line of an error's message, for one-line logs and errors. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n", 1)[0] ?? text;
}
