// The one way in to the API server (docs/architecture.md, "The Kubernetes transport"): `connectKube`
// reads the kubeconfig or the pod's service account with the one loader (kubeconfig.ts) and makes the
// client, for every command that talks to a cluster (serve, why); `kubeClientOf` adapts a client-node
// KubeConfig a caller already holds (the sandbox, tests), one client (one connection pool) per KubeConfig.
import type { KubeConfig } from "@kubernetes/client-node";
import { accessAuthenticator } from "./authenticator.js";
import type { AuthenticatorOptions } from "./authenticator.js";
import { clientNodeAuthenticator } from "./client-node-auth.js";
import { KubeClient } from "./kube-client.js";
import type { KubeClientOptions } from "./kube-client.js";
import { loadClusterAccess } from "./kubeconfig.js";
import type { LoadOptions } from "./kubeconfig.js";

/** What the cluster layer's constructors accept: our client, or a client-node KubeConfig. */
export type KubeSource = KubeClient | KubeConfig;

const adapted = new WeakMap<KubeConfig, KubeClient>();

/** The KubeClient of `source`; a KubeConfig gets one, kept, so its callers share a pool. */
export function kubeClientOf(source: KubeSource): KubeClient {
  if (source instanceof KubeClient) return source;
  let client = adapted.get(source);
  if (client === undefined) {
    client = new KubeClient(clientNodeAuthenticator(source));
    adapted.set(source, client);
  }
  return client;
}

export interface Connected {
  client: KubeClient;
  /** The context's or the pod's namespace, if any. */
  namespace?: string;
}

/** Reads the access (see kubeconfig.ts for the order) and makes the client; throws one line when there is none. */
export function connectKube(options: LoadOptions = {}, clientOptions: KubeClientOptions = {}, authOptions: AuthenticatorOptions = {}): Promise<Connected> {
  try {
    const access = loadClusterAccess(options);
    const env = authOptions.env ?? options.env;
    const auth = accessAuthenticator(access, { ...authOptions, ...(env !== undefined ? { env } : {}) });
    return Promise.resolve({ client: new KubeClient(auth, clientOptions), ...(access.namespace !== undefined ? { namespace: access.namespace } : {}) });
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
