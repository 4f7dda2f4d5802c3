// Asking Flux to reconcile an object now: the documented `reconcile.fluxcd.io/requestedAt`
// annotation (fluxcd/pkg apis/meta ReconcileRequestAnnotation). Flux's controllers reconcile an object
// whenever the annotation's value differs from the `status.lastHandledReconcileAt` they recorded, which
// is exactly what `flux reconcile` does. The write is a JSON merge patch of metadata.annotations only,
// so it can neither conflict with nor undo anything else on the object. Retries are the caller's. The
// patch goes over the client's pooled connections (src/kube) and gives up after 10 s, so a silent API
// server holds neither sockets nor the caller's queue for longer.

import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import type { FluxKind, ObjectKey } from "../graph/types.js";
import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { fluxResourceType, resourcePath } from "./resources.js";

/** fluxcd/pkg apis/meta: ReconcileRequestAnnotation. */
export const RECONCILE_REQUEST_ANNOTATION = "reconcile.fluxcd.io/requestedAt";

export type ReconcileRequestResult =
  | { ok: true; requestedAt: string }
  | {
      ok: false;
      /** NotFound: the object is gone; Invalid: the key is malformed; Error: anything else (retry). */
      reason: "NotFound" | "Invalid" | "Error";
      /** HTTP status, when the server answered. */
      status?: number;
      message: string;
    };

interface ReconcileRequestOptions {
  /** The served API version (discoverServedVersions); the newest known by default. */
  version?: string;
  /** Recorded in managedFields as the writer of the annotation. */
  fieldManager?: string;
}

/**
 * Set `reconcile.fluxcd.io/requestedAt` on the object `key` (`namespace/name`) to `now` as an RFC 3339
 * time. Never throws: the outcome, including the server's refusal, is the returned value.
 */
export async function requestReconcile(
  kc: KubeSource,
  kind: FluxKind,
  key: ObjectKey,
  now: Date,
  options: ReconcileRequestOptions = {},
): Promise<ReconcileRequestResult> {
  const slash = key.indexOf("/");
  const namespace = key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (slash <= 0 || name === "" || name.includes("/")) {
    return { ok: false, reason: "Invalid", message: `"${key}" is not a namespace/name key` };
  }
  const requestedAt = now.toISOString();
  const type = fluxResourceType(kind, options.version);
  try {
    await kubeClientOf(kc).patch(
      resourcePath(type, namespace, name),
      "merge",
      { metadata: { annotations: { [RECONCILE_REQUEST_ANNOTATION]: requestedAt } } },
      // The answer (the whole object, values and all) is not needed: only its status code.
      { query: { fieldManager: options.fieldManager ?? "releasegate" }, timeoutMs: 10_000, discardBody: true },
    );
    return { ok: true, requestedAt };
  } catch (err) {
    const status = statusCodeOf(err);
    return {
      ok: false,
      reason: status === 404 ? "NotFound" : "Error",
      ...(status !== undefined ? { status } : {}),
      message: `requesting reconcile of ${kind} ${key}: ${describeError(err)}`,
    };
  }
}
