// The openAPIV3Schema of each served version of the custom resources: the sandbox's own structural
// schemas (schemas/*.ts) unless real CustomResourceDefinitions were loaded (`releasegate sandbox --crds`,
// startSandbox({ crds })), which replace them per resource. Used for validation, pruning and defaulting of
// custom resources and for the OpenAPI v3 documents kubectl reads.
import { isRecord } from "./json.js";
import type { JsonObject } from "./json.js";
import type { ResourceDef } from "./resource-def.js";
import type { Schema } from "./schema-validation.js";
import { HELM_RELEASE_SCHEMAS, KUSTOMIZATION_SCHEMAS } from "./schemas/flux-schemas.js";
import { RESOURCE_SET_SCHEMAS } from "./schemas/resourceset-schema.js";
import { BUCKET_SCHEMAS, GIT_REPOSITORY_SCHEMAS, OCI_REPOSITORY_SCHEMAS } from "./schemas/source-schemas.js";

const BUILT_IN: Record<string, Record<string, Schema>> = {
  "helmreleases.helm.toolkit.fluxcd.io": HELM_RELEASE_SCHEMAS,
  "kustomizations.kustomize.toolkit.fluxcd.io": KUSTOMIZATION_SCHEMAS,
  "resourcesets.fluxcd.controlplane.io": RESOURCE_SET_SCHEMAS,
  "gitrepositories.source.toolkit.fluxcd.io": GIT_REPOSITORY_SCHEMAS,
  "ocirepositories.source.toolkit.fluxcd.io": OCI_REPOSITORY_SCHEMAS,
  "buckets.source.toolkit.fluxcd.io": BUCKET_SCHEMAS,
};

/** Schemas from loaded CRDs, by storage (`plural.group`) and version. Process-wide: see useCrds. */
const loaded = new Map<string, Record<string, Schema>>();
const listeners = new Set<() => void>();

/** The schemas of one CustomResourceDefinition document, or a one-line reason it is not one. */
function crdVersionSchemas(doc: unknown): { storage: string; versions: Record<string, Schema> } | string {
  if (!isRecord(doc) || doc.kind !== "CustomResourceDefinition") return "not a CustomResourceDefinition";
  const spec = isRecord(doc.spec) ? doc.spec : {};
  const names = isRecord(spec.names) ? spec.names : {};
  if (typeof spec.group !== "string" || typeof names.plural !== "string") return "CustomResourceDefinition without spec.group or spec.names.plural";
  const versions: Record<string, Schema> = {};
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    if (!isRecord(v) || typeof v.name !== "string") continue;
    const schema = isRecord(v.schema) && isRecord(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined;
    if (schema) versions[v.name] = schema as Schema;
  }
  if (Object.keys(versions).length === 0) return `CustomResourceDefinition ${names.plural}.${spec.group} has no openAPIV3Schema`;
  return { storage: `${names.plural}.${spec.group}`, versions };
}

/**
 * Uses these CRDs' schemas instead of the built-in ones for their resources, until the returned function
 * is called. Resources the sandbox does not serve are ignored (returned in `unserved`).
 */
export function useCrds(docs: readonly unknown[], served: (storage: string) => boolean): { restore: () => void; unserved: string[]; problems: string[] } {
  const before = new Map(loaded);
  const unserved: string[] = [];
  const problems: string[] = [];
  for (const doc of docs) {
    const parsed = crdVersionSchemas(doc);
    if (typeof parsed === "string") problems.push(parsed);
    else if (!served(parsed.storage)) unserved.push(parsed.storage);
    else loaded.set(parsed.storage, parsed.versions);
  }
  for (const l of listeners) l();
  return {
    unserved,
    problems,
    restore: () => {
      loaded.clear();
      for (const [k, v] of before) loaded.set(k, v);
      for (const l of listeners) l();
    },
  };
}

/** Called whenever the loaded CRDs change (the OpenAPI documents are rebuilt). */
export function onSchemasChanged(listener: () => void): void {
  listeners.add(listener);
}

/**
 * The Flux RFC "Advanced Dependency Management" (fluxcd/flux2 PR 5988) adds `apiVersion`, `kind` and `ready`
 * to the dependsOn entries of HelmRelease and Kustomization; no released Flux CRD has them yet. With this on
 * (`releasegate sandbox --flux-crd-cross-kind`, startSandbox({ fluxCrdCrossKind })) the built-in schemas of
 * both kinds declare them, as a Flux release shipping the RFC would. Process-wide, as useCrds.
 */
let crossKind = false;
const CROSS_KIND_STORAGES = new Set(["helmreleases.helm.toolkit.fluxcd.io", "kustomizations.kustomize.toolkit.fluxcd.io"]);

export function useCrossKindDependsOn(on: boolean): () => void {
  const before = crossKind;
  crossKind = on;
  for (const l of listeners) l();
  return () => {
    crossKind = before;
    for (const l of listeners) l();
  };
}

/** A copy of a version's schema with the RFC's fields on `spec.dependsOn` items. */
function withCrossKind(schema: Schema): Schema {
  const copy = structuredClone(schema) as JsonObject;
  const spec = isRecord(copy.properties) && isRecord(copy.properties.spec) ? copy.properties.spec : undefined;
  const dependsOn = spec && isRecord(spec.properties) && isRecord(spec.properties.dependsOn) ? spec.properties.dependsOn : undefined;
  const items = dependsOn && isRecord(dependsOn.items) ? dependsOn.items : undefined;
  if (items && isRecord(items.properties)) {
    items.properties.apiVersion = { type: "string" };
    items.properties.kind = { type: "string" };
    items.properties.ready = { type: "boolean" };
  }
  return copy as Schema;
}

const crossKindSchemas = new Map<string, Record<string, Schema>>();

function builtIn(storage: string): Record<string, Schema> | undefined {
  const versions = BUILT_IN[storage];
  if (!versions || !crossKind || !CROSS_KIND_STORAGES.has(storage)) return versions;
  let out = crossKindSchemas.get(storage);
  if (out === undefined) {
    out = Object.fromEntries(Object.entries(versions).map(([name, schema]) => [name, withCrossKind(schema)]));
    crossKindSchemas.set(storage, out);
  }
  return out;
}

/** The schema of a resource at a version (a missing version falls back to the preferred one), if it has one. */
export function crdSchema(def: ResourceDef, version: string): JsonObject | undefined {
  const versions = loaded.get(def.storage) ?? builtIn(def.storage);
  if (!versions) return undefined;
  return versions[version] ?? versions[def.versions[0] as string];
}
