// One GET of any API path through client-node, on the shared connection pool with a timeout
// (shared-agent.ts): what discovery and the deny path's consistent reads of other kinds need. The one
// place these calls meet the transport, so swapping it touches this file alone.
import { HttpMethod, KubernetesObjectApi } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ApiGet } from "./kind-discovery.js";
import { sharedApiClient } from "./shared-agent.js";

/** KubernetesObjectApi's request machinery (auth, the pool's agent, errors with the HTTP code), for any path. */
class AnyPathApi extends KubernetesObjectApi {
  getPath(path: string): Promise<unknown> {
    const base = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    base.setHeaderParam("Accept", "application/json");
    return this.requestPromise(base);
  }
}

/** An ApiGet on `kc`'s API server; each request is aborted after `timeoutMs` (at most `boundMs`). */
export function clientNodeGet(kc: KubeConfig, boundMs: number): ApiGet {
  const api = sharedApiClient(kc, AnyPathApi, { timeoutMs: boundMs });
  return (path) => api.getPath(path);
}
