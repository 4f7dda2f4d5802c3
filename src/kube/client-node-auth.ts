// Credentials this project does not produce itself (exec plugins such as `aws eks get-token`,
// auth-providers, proxy-url) come from @kubernetes/client-node, which is loaded only then, by a dynamic
// import, so serve does not pay for it in the common case (docs/architecture.md, "The Kubernetes
// transport"). The same adapter turns a KubeConfig a caller already holds (the sandbox, tests) into an
// Authenticator without loading anything.
import type https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Authenticator, TlsSettings } from "./authenticator.js";

/** The Authenticator of a client-node KubeConfig: its headers and TLS settings, asked per request. */
export function clientNodeAuthenticator(kc: KubeConfig, origin = "a client-node KubeConfig"): Authenticator {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined || server === "") throw new Error(`${origin}: no current cluster, or it has no server`);
  const applied = async (): Promise<https.RequestOptions> => {
    const options: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    return options;
  };
  return {
    server: server.replace(/\/+$/, ""),
    origin,
    async tls(): Promise<TlsSettings> {
      const o = await applied();
      return {
        ...(o.ca !== undefined ? { ca: o.ca as TlsSettings["ca"] } : {}),
        ...(o.cert !== undefined ? { cert: o.cert as Buffer | string } : {}),
        ...(o.key !== undefined ? { key: o.key as Buffer | string } : {}),
        rejectUnauthorized: o.rejectUnauthorized !== false && kc.getCurrentCluster()?.skipTLSVerify !== true,
        ...(typeof o.servername === "string" ? { servername: o.servername } : {}),
      };
    },
    async headers(): Promise<Record<string, string>> {
      // An exec plugin runs here when its token has expired; client-node caches it until then.
      const o = await applied();
      const headers: Record<string, string> = {};
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

/** Loads @kubernetes/client-node (only now) and reads the kubeconfig files with it. */
export async function loadClientNodeAuthenticator(files: readonly string[]): Promise<Authenticator> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  if (files.length === 1) kc.loadFromFile(files[0]!);
  else {
    // Several files ($KUBECONFIG): client-node merges them as kubectl does.
    kc.loadFromDefault({}, false);
  }
  return clientNodeAuthenticator(kc, files.join(":"));
}
