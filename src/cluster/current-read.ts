// "The API server answers now" (docs/architecture.md, "Unconfirmed edges"): before the webhook allows a
// review that adds a dependsOn edge, one consistent read — a LIST of the review's kind in its namespace
// with limit=1 and no resourceVersion, which kube-apiserver serves at etcd's current revision (Kubernetes
// API concepts, Resource versions: unset means "most recent") — must come back within a bound (default
// 1 s). A replica whose connection to the API server is stalled or cut cannot answer it, so it refuses
// (503) instead of deciding on a cache that may be behind. The read proves the API server is reachable
// after the review arrived; the edges other replicas admitted are covered by their announcements and the
// edges this one admitted by its own unconfirmed edges, so nothing else need be read.
//
// One item at most, of one namespace: the cheapest request that goes through the same authentication,
// authorization and storage path as the watch (the chart's ClusterRole grants list on every namespace).
import type { FluxKind } from "../graph/types.js";
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import { describeError } from "../runtime/api-error.js";
import { fluxResourceType, resourcePath } from "./resources.js";

/** Resolves ok when the API server answered a consistent read of `kind` in `namespace` within `timeoutMs`. */
export type ConfirmCurrent = (kind: FluxKind, namespace: string, timeoutMs: number) => Promise<{ ok: true } | { ok: false; error: string }>;

/** The call a ConfirmCurrent makes (a KubeClient fits; tests pass fakes). */
interface ListOneClient {
  listPage(path: string, query: { limit: number }, options: { timeoutMs: number }): Promise<unknown>;
}

export function currentReader(client: ListOneClient, versions: Partial<Record<FluxKind, string>>): ConfirmCurrent {
  return async (kind, namespace, timeoutMs) => {
    let timer: NodeJS.Timeout | undefined;
    // The client's own timeout covers the exchange; this one also covers a connection that never opens.
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from the API server within ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([client.listPage(resourcePath(fluxResourceType(kind, versions[kind]), namespace), { limit: 1 }, { timeoutMs }), deadline]);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The ConfirmCurrent serve uses: through the KubeClient of `kc`, at the versions the caches use. */
export function apiCurrentReader(kc: KubeSource, versions: Partial<Record<FluxKind, string>>): ConfirmCurrent {
  return currentReader(kubeClientOf(kc), versions);
}
