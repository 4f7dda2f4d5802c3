// The openAPIV3Schema of each served version of the Flux kinds, copied from the Flux CRDs into
// schemas/*.json (see the `source` field there). Used for validation, pruning and defaulting of custom
// resources and for the OpenAPI v3 documents kubectl reads.
import helmReleaseSchemas from "./schemas/helmreleases.json" with { type: "json" };
import kustomizationSchemas from "./schemas/kustomizations.json" with { type: "json" };
import type { JsonObject, ResourceDef } from "./resources.js";

const SCHEMAS: Record<string, { versions: Record<string, unknown> }> = {
  "helmreleases.helm.toolkit.fluxcd.io": helmReleaseSchemas as { versions: Record<string, unknown> },
  "kustomizations.kustomize.toolkit.fluxcd.io": kustomizationSchemas as { versions: Record<string, unknown> },
};

/** The CRD's openAPIV3Schema for a kind at a version (Kustomization v1beta2 reuses v1), if it has one. */
export function crdSchema(def: ResourceDef, version: string): JsonObject | undefined {
  const versions = SCHEMAS[def.storage]?.versions;
  if (!versions) return undefined;
  return (versions[version] ?? versions[def.versions[0] as string]) as JsonObject | undefined;
}
