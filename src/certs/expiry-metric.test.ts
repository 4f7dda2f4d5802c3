import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../metrics/metrics.js";
import { writeDevelopmentCertificates } from "./development-files.js";
import { exportCertificateExpiry } from "./expiry-metric.js";
import { FileTlsSource } from "./file-tls-source.js";

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

async function exported(metrics: ReturnType<typeof createMetrics>): Promise<string | undefined> {
  return /^releasegate_certificate_expiry_timestamp_seconds (\S+)$/m.exec(await metrics.registry.metrics())?.[1];
}

async function notAfterSeconds(file: string): Promise<string> {
  return String(new Date(new X509Certificate(await readFile(file, "utf8")).validTo).getTime() / 1000);
}

describe("exportCertificateExpiry", () => {
  it("exports the served certificate's expiry when it is loaded and again when it is renewed", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "releasegate-expiry-"));
    const metrics = createMetrics({ defaultMetrics: false });
    const source = new FileTlsSource({ certFile: path.join(dir, "tls.crt"), keyFile: path.join(dir, "tls.key"), watch: false, logger: quiet });
    try {
      await writeDevelopmentCertificates(dir, { validDays: 30 });
      const stop = exportCertificateExpiry(source, metrics.certificateExpiryTimestampSeconds);
      expect(await exported(metrics)).toBe("0");
      await source.start();
      const first = await notAfterSeconds(path.join(dir, "tls.crt"));
      expect(await exported(metrics)).toBe(first);

      await writeDevelopmentCertificates(dir, { validDays: 60 });
      expect((await source.reload()).status).toBe("reloaded");
      const renewed = await notAfterSeconds(path.join(dir, "tls.crt"));
      expect(Number(renewed) - Number(first)).toBeGreaterThan(29 * 86400);
      expect(await exported(metrics)).toBe(renewed);

      stop();
      await writeDevelopmentCertificates(dir, { validDays: 90 });
      await source.reload();
      expect(await exported(metrics)).toBe(renewed);
    } finally {
      await source.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
