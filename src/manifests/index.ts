// Public surface of the manifest reader.
export { ManifestError } from "./manifest-error.js";
export type { ClusterManifests, ManifestObject, SourceLocation } from "./manifest-object.js";
export { readManifests, readRepository } from "./read-manifests.js";
export { dependencyLineOf } from "./flux-decode.js";
