// "The API server answers now" (docs/architecture.md, "Unconfirmed edges"): before the webhook allows a
// review that adds a dependsOn edge, a consistent read — a LIST of a Flux kind in one namespace with
// limit=1 and no resourceVersion, which kube-apiserver serves at etcd's current revision (Kubernetes API
// concepts, Resource versions: unset means "most recent") — must have been sent at most `windowMs`
// (250 ms) before the review arrived and answered within its bound (default 1 s). A replica whose
// connection to the API server is stalled or cut cannot get one answered, so it refuses (503) instead of
// deciding on a cache that may be behind. The edges other replicas admitted are covered by their
// announcements and those this one admitted by its own unconfirmed edges, so nothing else need be read.
//
// One read serves every review within its window: a review arriving while a recent enough read is in
// flight waits for that one, and one arriving just after a read succeeded needs none. So the reads stay at
// most one per window (4 a second) however many edges arrive: every request to the API server waits on the
// client's token bucket (--kube-api-qps, 50 by default, shared with the controller), and one read per
// review made a burst of edge-adding reviews queue behind it (docs/architecture.md has the figures).
import type { FluxKind } from "../graph/types.js";
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import { describeError } from "../runtime/api-error.js";
import { fluxResourceType, resourcePath } from "./resources.js";

/** How much older than a review the read that vouches for it may be (when it was sent). */
const DEFAULT_WINDOW_MS = 250;

type CurrentRead = { ok: true } | { ok: false; error: string };

/** Resolves ok when the API server answered a consistent read (of `kind`, in `namespace` if one must be sent) within `timeoutMs`. */
export type ConfirmCurrent = (kind: FluxKind, namespace: string, timeoutMs: number) => Promise<CurrentRead>;

/** The call a read makes (a KubeClient fits; tests pass fakes). */
interface ListOneClient {
  listPage(path: string, query: { limit: number }, options: { timeoutMs: number }): Promise<unknown>;
}

/** One read per call: a LIST of at most one item of `kind` in `namespace`. */
export function currentReader(client: ListOneClient, versions: Partial<Record<FluxKind, string>>): ConfirmCurrent {
  return async (kind, namespace, timeoutMs) => {
    let timer: NodeJS.Timeout | undefined;
    // The client's own timeout covers the exchange; this one also covers the wait for a token or a socket.
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

/**
 * `read` shared between the reviews of one window: a call is answered by a successful read sent no more
 * than `windowMs` before the call, by the one in flight if it was sent within that, else by a new one.
 * A failed read fails every call waiting on it; the next call sends a new one.
 */
export function sharedCurrentReader(read: ConfirmCurrent, windowMs = DEFAULT_WINDOW_MS, now: () => number = Date.now): ConfirmCurrent {
  let answeredSentAt = Number.NEGATIVE_INFINITY;
  let inFlight: { sentAt: number; answer: Promise<CurrentRead> } | undefined;
  const OK: Promise<CurrentRead> = Promise.resolve({ ok: true });
  return (kind, namespace, timeoutMs) => {
    const arrived = now();
    if (answeredSentAt >= arrived - windowMs) return OK;
    if (inFlight !== undefined && inFlight.sentAt >= arrived - windowMs) return inFlight.answer;
    const sentAt = arrived;
    const answer = read(kind, namespace, timeoutMs).then((result) => {
      if (result.ok) answeredSentAt = Math.max(answeredSentAt, sentAt);
      if (inFlight?.answer === answer) inFlight = undefined;
      return result;
    });
    inFlight = { sentAt, answer };
    return answer;
  };
}

/** The ConfirmCurrent serve uses: shared reads through the KubeClient of `kc`, at the versions the caches use. */
export function apiCurrentReader(kc: KubeSource, versions: Partial<Record<FluxKind, string>>): ConfirmCurrent {
  return sharedCurrentReader(currentReader(kubeClientOf(kc), versions));
}
