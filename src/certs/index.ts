// TLS for the webhook: certificate generation, the TlsSource modes (files, self-managed Secret), caBundle
// injection and the HTTPS server that follows renewals.
export * from "./generate.js";
export * from "./tls-material.js";
export * from "./tls-source.js";
export * from "./expiry-metric.js";
export * from "./file-tls-source.js";
export * from "./self-managed-tls-source.js";
export * from "./renewal-plan.js";
export * from "./certificate-set.js";
export * from "./tls-secret.js";
export * from "./webhook-ca-bundle.js";
export * from "./https-server.js";
export * from "./development-files.js";
