// Small builders for the sandbox's own structural schemas (OpenAPI v3 as CustomResourceDefinitions
// carry them). Each object schema lists the fields the sandbox models and keeps every other field
// (`x-kubernetes-preserve-unknown-fields`), so objects written for the real CRDs are stored whole.
import type { Schema } from "../schema-validation.js";

export const str = (extra: Partial<Schema> = {}): Schema => ({ type: "string", ...extra });
const int = (): Schema => ({ type: "integer", format: "int64" });
export const bool = (): Schema => ({ type: "boolean" });
export const list = (items: Schema, extra: Partial<Schema> = {}): Schema => ({ type: "array", items, ...extra });

/** An object with the given fields modelled and any other field kept. */
export function open(properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema {
  return { type: "object", properties, "x-kubernetes-preserve-unknown-fields": true, ...extra };
}

/** A duration as Flux's APIs write it ("1m", "30s", "1h30m"). */
export const duration = (): Schema => str({ pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$" });

/** metav1.Condition, as every Flux status carries them. */
const conditions = (): Schema =>
  list(
    open(
      {
        type: str({ maxLength: 316 }),
        status: str({ enum: ["True", "False", "Unknown"] }),
        reason: str({ maxLength: 1024 }),
        message: str({ maxLength: 32768 }),
        lastTransitionTime: str({ format: "date-time" }),
        observedGeneration: int(),
      },
      { required: ["type", "status"] },
    ),
  );

/** A whole custom resource: apiVersion, kind, metadata, then its spec and status. */
export function resource(spec: Schema, status: Schema): Schema {
  return { type: "object", properties: { apiVersion: str(), kind: str(), metadata: { type: "object" }, spec, status } };
}

/** The status every Flux object reports: observedGeneration (-1 until reconciled), conditions, requests handled. */
export function fluxStatus(more: Record<string, Schema> = {}): Schema {
  return open(
    { observedGeneration: int(), conditions: conditions(), lastHandledReconcileAt: str(), ...more },
    { default: { observedGeneration: -1 } },
  );
}
