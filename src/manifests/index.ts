// Public surface of the manifest reader.
export { ManifestError } from "./manifest-error.js";
export type { ManifestObject, ReadOptions, SourceLocation } from "./manifest-object.js";
export { readManifests, STDIN_FILE } from "./read-manifests.js";
