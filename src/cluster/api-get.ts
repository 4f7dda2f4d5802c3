// One GET of any API path, through the project's transport (src/kube) with a timeout: what discovery
// and the reads of kinds releasegate does not cache need (kind-discovery.ts, missing-read.ts).
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import type { ApiGet } from "./kind-discovery.js";

/** An ApiGet on the API server of `source`; each request is aborted after its timeout (at most `boundMs`). */
export function apiGet(source: KubeSource, boundMs: number): ApiGet {
  const client = kubeClientOf(source);
  return (path, timeoutMs) => client.get(path, { timeoutMs: Math.min(timeoutMs, boundMs) });
}
