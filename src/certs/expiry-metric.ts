// Exports the serving certificate's expiry (`releasegate_certificate_expiry_timestamp_seconds`, defined in
// src/metrics) from a TlsSource: set on the first load and on every renewal, so the chart's
// ReleasegateCertificateExpiresSoon alert sees a certificate that stopped being renewed.
import type { TlsSource } from "./tls-source.js";

/** The one method of a prom-client Gauge this needs. */
interface ExpiryGauge {
  set(value: number): void;
}

/** Keeps `gauge` at the Unix time (seconds) the served certificate expires; returns a function that stops. */
export function exportCertificateExpiry(source: TlsSource, gauge: ExpiryGauge): () => void {
  const set = (notAfter: Date) => gauge.set(notAfter.getTime() / 1000);
  if (source.notAfter !== undefined) set(source.notAfter);
  return source.onChange((material) => set(material.notAfter));
}
