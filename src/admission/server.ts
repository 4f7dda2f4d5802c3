// Serving the admission app over HTTPS (docs/behaviour.md, Interfaces: `POST https://HOST:9443/validate`), with
// the certificate following a TlsSource (src/certs: renewals applied without a restart, TLS >= 1.2).
//
// Keep-alive: kube-apiserver reuses connections to webhooks and closes idle ones after 90 s (Go's
// http.Transport IdleConnTimeout as set for webhook clients). If the server closed an idle connection
// first, a request the apiserver was sending on it at that moment would fail and count as a webhook
// failure; so the server keeps idle connections longer than the client does.
import type { AddressInfo } from "node:net";
import type http from "node:http";
import { createReloadingHttpsServer } from "../certs/https-server.js";
import type { ReloadingHttpsServer } from "../certs/https-server.js";
import type { TlsSource } from "../certs/tls-source.js";
import type { Logger } from "../runtime/logger.js";

interface AdmissionServerOptions {
  port?: number;
  host?: string;
  logger?: Logger;
  /** A request must arrive whole within this (default 10 s, kube-apiserver's default webhook timeout). */
  requestTimeoutMs?: number;
  /** PEM CA bundle: the server asks clients for a certificate signed by it (`--client-ca-file`). */
  clientCa?: string;
}

const DEFAULT_WEBHOOK_REQUEST_TIMEOUT_MS = 10_000;

export interface AdmissionServer {
  readonly https: ReloadingHttpsServer;
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

const IDLE_KEEP_ALIVE_MS = 120_000;

export function startAdmissionServer(
  app: http.RequestListener,
  source: TlsSource,
  options: AdmissionServerOptions = {},
): Promise<AdmissionServer> {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_WEBHOOK_REQUEST_TIMEOUT_MS;
  const reloading = createReloadingHttpsServer(app, source, {
    serverOptions: {
      keepAliveTimeout: IDLE_KEEP_ALIVE_MS,
      // A request must arrive whole within these, or it is answered 408: within the apiserver's own
      // webhook timeout (default 10 s), so a client that declared more body than it sends is answered
      // while it still waits. They run only while a request is being received, not while a connection
      // idles. Node checks them every connectionsCheckingInterval (30 s by default, which let such a
      // request hang for up to a minute), here every second.
      headersTimeout: Math.min(5_000, requestTimeout),
      requestTimeout,
      connectionsCheckingInterval: 1_000,
    },
    ...(options.clientCa !== undefined ? { clientCa: options.clientCa } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const server = reloading.server;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 9443, options.host, () => {
      server.off("error", reject);
      resolve({ https: reloading, port: (server.address() as AddressInfo).port, close: () => reloading.close() });
    });
  });
}
