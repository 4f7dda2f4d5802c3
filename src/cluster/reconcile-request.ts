// Asking Flux to reconcile an object now: the documented `reconcile.fluxcd.io/requestedAt`
// annotation (fluxcd/pkg apis/meta ReconcileRequestAnnotation). Flux's controllers reconcile an object
// whenever the annotation's value differs from the `status.lastHandledReconcileAt` they recorded, which
// is exactly what `flux reconcile` does. The write is a JSON merge patch of metadata.annotations only,
// so it can neither conflict with nor undo anything else on the object. Retries are the caller's. The
// patch goes over the pooled connections (shared-agent.ts) and gives up after 10 s, so a silent API
// server holds neither sockets nor the caller's queue for longer.

import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import type { FluxKind, ObjectKey } from "../graph/types.js";
import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { fluxResourceType } from "./resources.js";
import { sharedApiClient } from "./shared-agent.js";

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

export interface ReconcileRequestOptions {
  /** The served API version (discoverServedVersions); the newest known by default. */
  version?: string;
  /** Recorded in managedFields as the writer of the annotation. */
  fieldManager?: string;
}

const clients = new WeakMap<KubeConfig, CustomObjectsApi>();

function clientFor(kc: KubeConfig): CustomObjectsApi {
  let api = clients.get(kc);
  if (!api) {
    api = sharedApiClient(kc, CustomObjectsApi, { timeoutMs: 10_000 });
    clients.set(kc, api);
  }
  return api;
}

/**
 * Set `reconcile.fluxcd.io/requestedAt` on the object `key` (`namespace/name`) to `now` as an RFC 3339
 * time. Never throws: the outcome, including the server's refusal, is the returned value.
 */
export async function requestReconcile(
  kc: KubeConfig,
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
    await clientFor(kc).patchNamespacedCustomObject(
      {
        group: type.group,
        version: type.version,
        plural: type.resource,
        namespace,
        name,
        body: { metadata: { annotations: { [RECONCILE_REQUEST_ANNOTATION]: requestedAt } } },
        fieldManager: options.fieldManager ?? "releasegate",
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
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
