import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeDevelopmentCertificates } from "./development-files.js";
import { FileTlsSource } from "./file-tls-source.js";

describe("writeDevelopmentCertificates", () => {
  it("writes a pair files mode loads, with its CA, keys private", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "releasegate-dev-certs-"));
    try {
      await writeDevelopmentCertificates(dir, { serviceName: "releasegate", namespace: "flux-system" });
      const source = new FileTlsSource({
        certFile: path.join(dir, "tls.crt"),
        keyFile: path.join(dir, "tls.key"),
        caFile: path.join(dir, "ca.crt"),
        watch: false,
        logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      await source.start();
      await source.stop();
      expect(source.current()?.caPem).toContain("BEGIN CERTIFICATE");
      expect(source.current()?.certPem && new X509Certificate(source.current()!.certPem).subjectAltName).toContain("DNS:releasegate.flux-system.svc");
      expect((await stat(path.join(dir, "tls.key"))).mode & 0o077).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
