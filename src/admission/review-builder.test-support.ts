// AdmissionReview request bodies shaped as kube-apiserver sends them, for tests and the benchmark: the
// request kind/resource of each Flux version, the object in `object` (CREATE, UPDATE), the stored one
// in `oldObject` (UPDATE, DELETE), `dryRun`, the caller in `userInfo`.
import { randomUUID } from "node:crypto";
import { FLUX_RESOURCES } from "../cluster/resources.js";
import type { DependencyEntry, FluxKind } from "../graph/types.js";
import { ADMISSION_API_VERSION } from "./review.js";
import type { AdmissionOperation } from "./review.js";

export interface ManifestSpec {
  kind?: FluxKind;
  /** Defaults to the kind's newest version (HelmRelease v2, Kustomization v1). */
  version?: string;
  namespace?: string;
  name: string;
  dependsOn?: DependencyEntry[];
  finalizers?: string[];
  labels?: Record<string, string>;
  deletionTimestamp?: string;
  suspend?: boolean;
}

/** A HelmRelease or Kustomization manifest as stored (with a chart/path so it looks real). */
export function fluxManifest(spec: ManifestSpec): Record<string, unknown> {
  const kind = spec.kind ?? "HelmRelease";
  const flux = FLUX_RESOURCES[kind];
  const version = spec.version ?? flux.versions[0]!;
  const metadata: Record<string, unknown> = { name: spec.name, namespace: spec.namespace ?? "default", generation: 1 };
  if (spec.finalizers) metadata.finalizers = spec.finalizers;
  if (spec.labels) metadata.labels = spec.labels;
  if (spec.deletionTimestamp) metadata.deletionTimestamp = spec.deletionTimestamp;
  const body: Record<string, unknown> =
    kind === "HelmRelease"
      ? { interval: "10m", chart: { spec: { chart: spec.name, sourceRef: { kind: "HelmRepository", name: "charts" } } } }
      : { interval: "10m", path: `./${spec.name}`, prune: true, sourceRef: { kind: "GitRepository", name: "flux-system" } };
  if (spec.dependsOn) body.dependsOn = spec.dependsOn;
  if (spec.suspend !== undefined) body.suspend = spec.suspend;
  return { apiVersion: `${flux.group}/${version}`, kind, metadata, spec: body };
}

export interface ReviewSpec {
  operation: AdmissionOperation;
  /** The new object (CREATE, UPDATE). */
  object?: ManifestSpec;
  /** The stored object (UPDATE, DELETE). */
  oldObject?: ManifestSpec;
  uid?: string;
  dryRun?: boolean;
  subResource?: string;
  username?: string;
}

/** A whole AdmissionReview request body. */
export function admissionReview(spec: ReviewSpec): Record<string, unknown> {
  const subject = spec.object ?? spec.oldObject;
  if (subject === undefined) throw new Error("admissionReview needs object or oldObject");
  const kind = subject.kind ?? "HelmRelease";
  const flux = FLUX_RESOURCES[kind];
  const version = subject.version ?? flux.versions[0]!;
  const request: Record<string, unknown> = {
    uid: spec.uid ?? randomUUID(),
    kind: { group: flux.group, version, kind },
    resource: { group: flux.group, version, resource: flux.resource },
    requestKind: { group: flux.group, version, kind },
    requestResource: { group: flux.group, version, resource: flux.resource },
    name: subject.name,
    namespace: subject.namespace ?? "default",
    operation: spec.operation,
    userInfo: { username: spec.username ?? "kubernetes-admin", groups: ["system:masters", "system:authenticated"] },
    object: spec.object ? fluxManifest(spec.object) : null,
    oldObject: spec.oldObject ? fluxManifest(spec.oldObject) : null,
    dryRun: spec.dryRun ?? false,
    options:
      spec.operation === "DELETE"
        ? { kind: "DeleteOptions", apiVersion: "meta.k8s.io/v1" }
        : { kind: spec.operation === "CREATE" ? "CreateOptions" : "UpdateOptions", apiVersion: "meta.k8s.io/v1" },
  };
  if (spec.subResource) request.subResource = spec.subResource;
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", request };
}
