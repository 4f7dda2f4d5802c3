import { X509Certificate, createPrivateKey } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { certificateValidity, generateCertificateAuthority, generateServingCertificate } from "./generate.js";

function fetchOnce(port: number, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: "127.0.0.1", port, ca, path: "/", servername }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

describe("generated certificates", () => {
  const ca = generateCertificateAuthority("releasegate-test-ca");
  const serving = generateServingCertificate(ca, {
    commonName: "releasegate.releasegate.svc",
    dnsNames: ["releasegate.releasegate.svc", "localhost"],
    ipAddresses: ["127.0.0.1"],
  });

  it("serve HTTPS that a client trusting only the CA accepts, by IP and by DNS name", async () => {
    const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await fetchOnce(port, ca.certPem)).toBe("ok");
      expect(await fetchOnce(port, ca.certPem, "localhost")).toBe("ok");
      const other = generateCertificateAuthority("someone-else");
      await expect(fetchOnce(port, other.certPem)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    } finally {
      server.close();
    }
  });

  it("certifies a given key instead of generating one", () => {
    const again = generateServingCertificate(ca, { commonName: "x", dnsNames: ["x"], keyPem: serving.keyPem });
    expect(again.keyPem).toBe(serving.keyPem);
    expect(new X509Certificate(again.certPem).checkPrivateKey(createPrivateKey(serving.keyPem))).toBe(true);
    expect(again.certPem).not.toBe(serving.certPem);
  });

  it("honours the requested validity window", () => {
    const start = new Date("2020-01-01T00:00:00Z");
    const old = generateServingCertificate(ca, { commonName: "x", dnsNames: ["x"], notBefore: start, validDays: 2 });
    const { notBefore, notAfter } = certificateValidity(old.certPem);
    expect(notBefore.toISOString()).toBe("2020-01-01T00:00:00.000Z");
    expect(notAfter.toISOString()).toBe("2020-01-03T00:00:00.000Z");
  });
});
