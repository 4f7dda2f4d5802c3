// The sandbox's structural schemas of the Flux sources a Kustomization applies: GitRepository,
// OCIRepository and Bucket (source.toolkit.fluxcd.io v1, v1beta2): enough for kustomize-controller's
// revision rule (`status.artifact.revision`, see src/sandbox/flux-sim/kustomize-dependencies.ts), the rest
// of each object kept as sent. Real CRDs: `releasegate sandbox --crds PATH`.
import type { Schema } from "../schema-validation.js";
import { bool, duration, fluxStatus, open, resource, str } from "./structural.js";

const artifact = (): Schema =>
  open({ revision: str(), digest: str(), path: str(), url: str(), lastUpdateTime: str({ format: "date-time" }) }, { required: ["revision"] });

function sourceSchema(spec: Record<string, Schema>, required: string[]): Schema {
  return resource(open({ interval: duration(), suspend: bool(), ...spec }, { required: ["interval", ...required] }), fluxStatus({ artifact: artifact() }));
}

const both = (schema: Schema): Record<string, Schema> => ({ v1: schema, v1beta2: schema });

export const GIT_REPOSITORY_SCHEMAS = both(sourceSchema({ url: str({ pattern: "^(http|https|ssh)://.*$" }), ref: open({ branch: str(), tag: str(), semver: str(), commit: str(), name: str() }) }, ["url"]));
export const OCI_REPOSITORY_SCHEMAS = both(sourceSchema({ url: str({ pattern: "^oci://.*$" }), ref: open({ tag: str(), semver: str(), digest: str() }) }, ["url"]));
export const BUCKET_SCHEMAS = both(sourceSchema({ bucketName: str(), endpoint: str(), provider: str({ enum: ["generic", "aws", "gcp", "azure"], default: "generic" }) }, ["bucketName", "endpoint"]));
