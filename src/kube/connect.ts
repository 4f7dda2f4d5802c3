// The one way the cluster layer gets a KubeClient (docs/architecture.md, "The Kubernetes transport"):
// from the kubeconfig or the pod's service account, read by this project (kubeconfig.ts), falling
// back to @kubernetes/client-node only for what it cannot read; or from a client-node KubeConfig a
// caller already holds (the sandbox, tests), one client (one connection pool) per KubeConfig.
import type { KubeConfig } from "@kubernetes/client-node";
import { accessAuthenticator } from "./authenticator.js";
import { clientNodeAuthenticator, loadClientNodeAuthenticator } from "./client-node-auth.js";
import { KubeClient } from "./kube-client.js";
import type { KubeClientOptions } from "./kube-client.js";
import { isUnsupported, loadClusterAccess } from "./kubeconfig.js";
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
  /** "own" when this project read the kubeconfig; "client-node" when it was handed over, and why. */
  via: { type: "own" } | { type: "client-node"; why: string };
  /** The context's or the pod's namespace, if any. */
  namespace?: string;
}

/** Reads the access (kubectl's order) and makes the client; throws one line when there is none. */
export async function connectKube(options: LoadOptions = {}, clientOptions: KubeClientOptions = {}): Promise<Connected> {
  const loaded = loadClusterAccess(options);
  if (isUnsupported(loaded)) {
    const auth = await loadClientNodeAuthenticator(loaded.files);
    return { client: new KubeClient(auth, clientOptions), via: { type: "client-node", why: loaded.unsupported } };
  }
  return {
    client: new KubeClient(accessAuthenticator(loaded), clientOptions),
    via: { type: "own" },
    ...(loaded.namespace !== undefined ? { namespace: loaded.namespace } : {}),
  };
}
