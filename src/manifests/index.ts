// Public surface of the manifest reader.
export { ManifestError } from "./manifest-error.js";
export type {
  ClusterManifests,
  ManifestObject,
  ManifestProblem,
  ReadOptions,
  RepositoryManifests,
  SourceLocation,
  UnknownObject,
} from "./manifest-object.js";
export { readManifests, readRepository, STDIN_FILE } from "./read-manifests.js";
export { dependencyLineOf } from "./flux-decode.js";
