// The webhook's HTTPS server, whose certificate follows a TlsSource. A renewed certificate is applied with
// server.setSecureContext(): Node uses the new context for every handshake from then on, while connections
// already open (keep-alive, in-flight requests) keep the context they were made with, so nothing is dropped
// and nothing restarts. TLS 1.2 is the floor (kube-apiserver speaks 1.2 and 1.3), and TLS 1.2 offers only
// ECDHE key exchange with AEAD ciphers, so every session has forward secrecy (docs/behaviour.md, Certificates);
// TLS 1.3 suites are all forward-secret and keep OpenSSL's defaults.
import https from "node:https";
import type http from "node:http";
import type { SecureContextOptions, SecureVersion } from "node:tls";
import type { TlsMaterial } from "./tls-material.js";
import { stderrLogger, type TlsSource } from "./tls-source.js";
import { oneLine } from "./tls-material.js";
import type { Logger } from "../runtime/logger.js";

/** TLS 1.2 suites accepted: ECDHE only (forward secrecy), AEAD only; the same set Go's crypto/tls
 *  prefers and kube-apiserver offers. Node takes TLS 1.2 and 1.3 suites in one string, and a string
 *  without TLS 1.3 names would switch 1.3 off, so the 1.3 defaults are listed too. */
const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
] as const;
const TLS13_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"] as const;
const SERVER_CIPHERS = [...TLS13_SUITES, ...TLS12_CIPHERS].join(":");

interface ReloadingHttpsServerOptions {
  /** Lowest TLS version accepted; TLSv1.2 unless raised to TLSv1.3. */
  minVersion?: Extract<SecureVersion, "TLSv1.2" | "TLSv1.3">;
  /** Extra node:https server options (timeouts, keepAliveTimeout, …); cert/key/minVersion here are ignored. */
  serverOptions?: Omit<https.ServerOptions, "cert" | "key" | "ca" | "pfx" | "minVersion" | "secureContext">;
  /** PEM CA bundle whose client certificates the server asks for (`--client-ca-file`). */
  clientCa?: string;
  now?: () => Date;
  logger?: Logger;
}

export interface ReloadingHttpsServer {
  /** The node:https server: call listen() on it. */
  readonly server: https.Server;
  /** True once a certificate is in use and it has not expired: part of /readyz. */
  tlsLoaded(): boolean;
  /** Serial number of the certificate new connections get. */
  servingSerial(): string | undefined;
  /** Stops following the source and closes the server (idle keep-alive connections too). */
  close(): Promise<void>;
}

export function createReloadingHttpsServer(
  app: http.RequestListener,
  source: TlsSource,
  options: ReloadingHttpsServerOptions = {},
): ReloadingHttpsServer {
  const minVersion = options.minVersion ?? "TLSv1.2";
  const logger = options.logger ?? stderrLogger;
  const now = options.now ?? (() => new Date());
  const contextOptions = (material: TlsMaterial): SecureContextOptions => ({
    cert: material.certPem,
    key: material.keyPem,
    minVersion,
    ciphers: SERVER_CIPHERS,
    honorCipherOrder: true,
    ...(options.clientCa === undefined ? {} : { ca: options.clientCa }),
  });

  let applied: TlsMaterial | undefined = source.current();
  // Without a certificate yet the server still listens; handshakes fail until the first one arrives, and
  // tlsLoaded() keeps /readyz false meanwhile.
  const server = https.createServer(
    {
      ...options.serverOptions,
      minVersion,
      ciphers: SERVER_CIPHERS,
      honorCipherOrder: true,
      // The certificate is asked for, not demanded at the handshake: kubelet's probes of /healthz and
      // /readyz present none. The admission path checks socket.authorized itself (validate-handler.ts).
      ...(options.clientCa === undefined ? {} : { ca: options.clientCa, requestCert: true, rejectUnauthorized: false }),
      ...(applied === undefined ? {} : contextOptions(applied)),
    },
    app,
  );

  const apply = (material: TlsMaterial): void => {
    try {
      server.setSecureContext(contextOptions(material));
      applied = material;
      logger.info({ serial: material.serialNumber, notAfter: material.notAfter.toISOString() }, "HTTPS server now serves the renewed certificate");
    } catch (error) {
      // Sources validate before emitting, so this is unexpected; keep serving the previous certificate.
      logger.error({ serial: material.serialNumber, err: oneLine(error) }, "renewed certificate rejected by TLS; still serving the previous one");
    }
  };
  const unsubscribe = source.onChange(apply);
  // The source may have loaded between construction and subscription.
  const latest = source.current();
  if (latest !== undefined && latest !== applied) apply(latest);

  return {
    server,
    tlsLoaded: () => applied !== undefined && now().getTime() < applied.notAfter.getTime(),
    servingSerial: () => applied?.serialNumber,
    close: () =>
      new Promise<void>((resolve, reject) => {
        unsubscribe();
        if (!server.listening) return resolve();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeIdleConnections();
      }),
  };
}
