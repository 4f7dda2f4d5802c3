import { describe, expect, it } from "vitest";
import { generateCertificateAuthority, generateServingCertificate } from "./generate.js";
import { parseTlsMaterial, splitPemCertificates, subjectAltNames, parseCertificate } from "./tls-material.js";

const ca = generateCertificateAuthority("tls-material-test-ca");
const pair = generateServingCertificate(ca, {
  commonName: "svc",
  dnsNames: ["svc.ns.svc", "localhost"],
  ipAddresses: ["127.0.0.1"],
  notBefore: new Date("2030-01-01T00:00:00Z"),
  validDays: 10,
});
const origin = { cert: "cert.pem", key: "key.pem", ca: "ca.pem" };

describe("parseTlsMaterial", () => {
  it("returns the validity window and serial of a good pair", () => {
    const material = parseTlsMaterial({ ...pair, caPem: ca.certPem }, origin, new Date("2030-01-05T00:00:00Z"));
    expect(material.notBefore.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(material.notAfter.toISOString()).toBe("2030-01-11T00:00:00.000Z");
    expect(material.serialNumber).toBe(parseCertificate(pair.certPem)?.serialNumber);
    expect(material.caPem).toBe(ca.certPem);
  });

  it("names the input and the fix in one line for each unusable input", () => {
    const at = new Date("2030-01-05T00:00:00Z");
    const other = generateServingCertificate(ca, { commonName: "x", dnsNames: ["x"] });
    const cases: [Parameters<typeof parseTlsMaterial>[0], RegExp][] = [
      [{ certPem: "nope", keyPem: pair.keyPem }, /^TLS certificate cert\.pem holds no readable PEM certificate/],
      [{ certPem: pair.certPem, keyPem: "nope" }, /^TLS key key\.pem holds no readable unencrypted PEM private key/],
      [{ certPem: pair.certPem, keyPem: other.keyPem }, /^TLS key key\.pem does not match certificate cert\.pem; use the key/],
      [{ ...pair, caPem: "nothing" }, /^TLS CA bundle ca\.pem holds no PEM certificate/],
    ];
    for (const [input, message] of cases) {
      expect(() => parseTlsMaterial(input, origin, at)).toThrow(message);
    }
    expect(() => parseTlsMaterial(pair, origin, new Date("2030-01-11T00:00:00Z"))).toThrow(
      /^TLS certificate cert\.pem expired at 2030-01-11T00:00:00\.000Z \(now 2030-01-11T00:00:00\.000Z\); replace it/,
    );
  });
});

describe("PEM helpers", () => {
  it("splits a bundle and reads subjectAltNames", () => {
    const other = generateCertificateAuthority("second");
    expect(splitPemCertificates(`${ca.certPem}\n${other.certPem}`)).toHaveLength(2);
    const cert = parseCertificate(pair.certPem);
    expect(cert && subjectAltNames(cert)).toEqual({ dnsNames: ["svc.ns.svc", "localhost"], ipAddresses: ["127.0.0.1"] });
  });
});
