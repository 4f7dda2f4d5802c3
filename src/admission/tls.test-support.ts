// TLS material for tests: a CA and a serving certificate for 127.0.0.1/localhost, made once per process,
// and a TlsSource that serves fixed material.
import { generateCertificateAuthority, generateServingCertificate } from "../certs/generate.js";
import { parseTlsMaterial } from "../certs/tls-material.js";
import type { TlsMaterial } from "../certs/tls-material.js";
import type { TlsSource } from "../certs/tls-source.js";

export function testTlsMaterial(commonName = "releasegate-test", dnsNames: string[] = []): TlsMaterial {
  const ca = generateCertificateAuthority(`${commonName}-ca`);
  const serving = generateServingCertificate(ca, { commonName, dnsNames: ["localhost", ...dnsNames], ipAddresses: ["127.0.0.1"] });
  return parseTlsMaterial({ certPem: serving.certPem, keyPem: serving.keyPem, caPem: ca.certPem }, { cert: "test", key: "test", ca: "test" }, new Date());
}

export function fixedTlsSource(material: TlsMaterial): TlsSource {
  return {
    current: () => material,
    notAfter: material.notAfter,
    onChange: () => () => undefined,
    start: async () => undefined,
    stop: async () => undefined,
  };
}
