// The sandbox's structural schema of the Flux Operator's ResourceSet (fluxcd.controlplane.io/v1): the
// dependsOn entries the operator checks (`{apiVersion, kind, name, namespace?, ready?, readyExpr?}`, any
// kind; `ready` false by default) and the status it writes; inputs, resources and templates kept as sent.
// From the operator's API reference; the real CRD: `releasegate sandbox --crds PATH`.
import type { Schema } from "../schema-validation.js";
import { bool, fluxStatus, list, open, resource, str } from "./structural.js";

const dependency = (): Schema =>
  open(
    { apiVersion: str(), kind: str({ minLength: 1 }), name: str({ minLength: 1 }), namespace: str(), ready: bool(), readyExpr: str() },
    { required: ["apiVersion", "kind", "name"] },
  );

export const RESOURCE_SET_SCHEMAS: Record<string, Schema> = {
  v1: resource(
    open({
      dependsOn: list(dependency()),
      inputs: list({ type: "object", "x-kubernetes-preserve-unknown-fields": true }),
      resources: list({ type: "object", "x-kubernetes-preserve-unknown-fields": true }),
      resourcesTemplate: str(),
      serviceAccountName: str(),
      wait: bool(),
    }),
    fluxStatus({ lastAppliedRevision: str() }),
  ),
};
