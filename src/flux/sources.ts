// Flux sources whose artifact revision the readiness rule reads (docs/architecture.md, "Readiness"):
// kustomize-controller refuses a same-source dependency until it has applied the source's current
// `status.artifact.revision`. Only that field of a source is ever kept.

import type { SourceRef } from "../graph/types.js";
import { isRecord } from "../runtime/json.js";

export interface SourceKindInfo {
  kind: string;
  group: string;
  resource: string;
  /** Versions, preferred first (source-controller 1.x serves v1 for all; OCIRepository and Bucket kept v1beta2 a while). */
  versions: readonly string[];
}

export const SOURCE_KINDS: readonly SourceKindInfo[] = Object.freeze([
  { kind: "GitRepository", group: "source.toolkit.fluxcd.io", resource: "gitrepositories", versions: ["v1"] },
  { kind: "OCIRepository", group: "source.toolkit.fluxcd.io", resource: "ocirepositories", versions: ["v1", "v1beta2"] },
  { kind: "Bucket", group: "source.toolkit.fluxcd.io", resource: "buckets", versions: ["v1", "v1beta2"] },
  { kind: "ExternalArtifact", group: "source.toolkit.fluxcd.io", resource: "externalartifacts", versions: ["v1"] },
]);

/** A source's identity and its current artifact revision (undefined: no artifact yet). */
interface SourceRevision {
  ref: SourceRef;
  revision: string | undefined;
}

/** Reads one source object of `kind`; undefined when it has no name or namespace. Never throws. */
export function decodeSourceRevision(kind: string, raw: unknown): SourceRevision | undefined {
  if (!isRecord(raw) || !isRecord(raw["metadata"])) return undefined;
  const { name, namespace } = raw["metadata"];
  if (typeof name !== "string" || name === "" || typeof namespace !== "string" || namespace === "") return undefined;
  const status = raw["status"];
  const artifact = isRecord(status) ? status["artifact"] : undefined;
  const revision = isRecord(artifact) && typeof artifact["revision"] === "string" && artifact["revision"] !== "" ? artifact["revision"] : undefined;
  return { ref: { kind, namespace, name }, revision };
}
