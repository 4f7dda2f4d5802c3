// Annotations with a meaning to Flux or to releasegate (docs/architecture.md, "The Flux object model").

/**
 * Every Flux controller (and the Flux Operator for ResourceSets) reconciles an object at once when
 * this annotation's value changes; the gate controller writes the current time into it when a gate
 * opens (the `flux reconcile` command does the same).
 */
export const RECONCILE_REQUESTED_AT = "reconcile.fluxcd.io/requestedAt";

/**
 * Client-side `kubectl apply` keeps the whole applied object here (Helm values included): the decoder
 * never keeps it.
 */
export const LAST_APPLIED_CONFIGURATION = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * The Flux Operator pauses a ResourceSet annotated `fluxcd.controlplane.io/reconcile: disabled` (it has
 * no spec.suspend): the decoder reads that as suspended, so gates and reconcile requests treat it so.
 */
export const OPERATOR_RECONCILE = "fluxcd.controlplane.io/reconcile";
export const OPERATOR_RECONCILE_DISABLED = "disabled";
