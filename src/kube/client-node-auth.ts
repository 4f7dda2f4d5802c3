// The Authenticator of a @kubernetes/client-node KubeConfig a caller already holds (the sandbox's own
// in-memory KubeConfig, tests), so the cluster layer can be handed one. Nothing here loads client-node:
// kubeconfig files are read by kubeconfig.ts, the one loader (docs/architecture.md, "The Kubernetes
// transport").
import type https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Authenticator, HeaderValues, TlsSettings } from "./authenticator.js";

/** The Authenticator of a client-node KubeConfig: its headers asked per request, its TLS settings once. */
export function clientNodeAuthenticator(kc: KubeConfig, origin = "a client-node KubeConfig"): Authenticator {
  const cluster = kc.getCurrentCluster();
  const server = cluster?.server;
  if (server === undefined || server === "") throw new Error(`${origin}: no current cluster, or it has no server`);
  const applied = async (): Promise<https.RequestOptions> => {
    const options: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    return options;
  };
  let settings: Promise<TlsSettings> | undefined;
  return {
    server: server.replace(/\/+$/, ""),
    origin,
    ...(cluster?.proxyUrl !== undefined && cluster.proxyUrl !== "" ? { proxy: new URL(cluster.proxyUrl) } : {}),
    tls(): Promise<TlsSettings> {
      settings ??= applied().then((o) => ({
        ...(o.ca !== undefined ? { ca: o.ca as TlsSettings["ca"] } : {}),
        ...(o.cert !== undefined ? { cert: o.cert as Buffer | string } : {}),
        ...(o.key !== undefined ? { key: o.key as Buffer | string } : {}),
        rejectUnauthorized: o.rejectUnauthorized !== false && cluster?.skipTLSVerify !== true,
        ...(typeof o.servername === "string" ? { servername: o.servername } : {}),
      }));
      return settings;
    },
    async headers(): Promise<HeaderValues> {
      const o = await applied();
      const headers: HeaderValues = {};
      for (const [name, value] of Object.entries(o.headers ?? {})) {
        if (typeof value === "string" || typeof value === "number") headers[name.toLowerCase()] = String(value);
      }
      if (typeof o.auth === "string" && o.auth !== "") headers["authorization"] = `Basic ${Buffer.from(o.auth).toString("base64")}`;
      return headers;
    },
    invalidate() {
      // client-node refreshes exec and provider tokens itself when they expire.
    },
  };
}
