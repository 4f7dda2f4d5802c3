// The Flux kinds releasegate knows, in one table: API group, plural, the versions Flux serves, and
// what a `spec.dependsOn` entry of the kind may name. The webhook's parser, the caches, `check`'s
// manifest reader and the generated webhook rules all read this table (docs/architecture.md, "The
// Flux object model"); nothing else spells a Flux group, version or plural.
//
// Versions (Flux 2.9: helm-controller 1.6, kustomize-controller 1.9, Flux Operator): HelmRelease v2,
// and the beta versions older clusters still serve (v2beta2, v2beta1; the fields releasegate reads have
// the same shape in all three). Kustomization v1 and v1beta2: kustomize-controller stopped serving
// v1beta1 long before Flux 2.9, so a `kustomize.toolkit.fluxcd.io/v1beta1` object is no Flux object
// Flux would apply, in a repository or in a cluster alike. ResourceSet `fluxcd.controlplane.io/v1`.

import type { FluxKind } from "../graph/types.js";

export type { FluxKind };

/** What a dependsOn entry of the kind names: an object of its own kind, or of any kind. */
type DependsOnScope = "same-kind" | "any-kind";

export interface FluxKindInfo {
  kind: FluxKind;
  group: string;
  /** The plural, lower-case name used in URLs, webhook rules and RBAC. */
  resource: string;
  /** The versions releasegate reads, newest (preferred) first. */
  versions: readonly string[];
  dependsOn: DependsOnScope;
}

export const FLUX_KIND_INFO: Readonly<Record<FluxKind, FluxKindInfo>> = Object.freeze({
  HelmRelease: { kind: "HelmRelease", group: "helm.toolkit.fluxcd.io", resource: "helmreleases", versions: ["v2", "v2beta2", "v2beta1"], dependsOn: "same-kind" },
  Kustomization: { kind: "Kustomization", group: "kustomize.toolkit.fluxcd.io", resource: "kustomizations", versions: ["v1", "v1beta2"], dependsOn: "same-kind" },
  ResourceSet: { kind: "ResourceSet", group: "fluxcd.controlplane.io", resource: "resourcesets", versions: ["v1"], dependsOn: "any-kind" },
});

/** Every kind releasegate knows, in a fixed order. */
export const ALL_FLUX_KINDS: readonly FluxKind[] = Object.freeze(["HelmRelease", "Kustomization", "ResourceSet"]);

/**
 * The kinds the cluster side guards: cached, checked by the webhook, gated by the controller. A
 * ResourceSet's dependsOn names objects of any kind, so its edges cross kinds in the one graph keyed
 * `Kind/ns/name` (docs/architecture.md, "Kinds").
 */
export type GuardedKind = FluxKind;
export const GUARDED_KINDS: readonly GuardedKind[] = Object.freeze(["HelmRelease", "Kustomization", "ResourceSet"]);

export function isGuardedKind(kind: FluxKind): kind is GuardedKind {
  return (GUARDED_KINDS as readonly FluxKind[]).includes(kind);
}

/** The Flux kind of a document's `apiVersion` and `kind`, or undefined (kustomize's own Kustomization, an unserved version, anything else). */
export function fluxKindOf(apiVersion: unknown, kind: unknown): FluxKind | undefined {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return undefined;
  const info = (FLUX_KIND_INFO as Readonly<Record<string, FluxKindInfo | undefined>>)[kind];
  if (info === undefined) return undefined;
  const slash = apiVersion.indexOf("/");
  if (slash < 0 || apiVersion.slice(0, slash) !== info.group) return undefined;
  return info.versions.includes(apiVersion.slice(slash + 1)) ? info.kind : undefined;
}

/** The Flux kind a (group, plural) names, at any version, or undefined. */
export function fluxKindOfResource(group: string, resource: string): FluxKind | undefined {
  for (const kind of ALL_FLUX_KINDS) {
    const info = FLUX_KIND_INFO[kind];
    if (info.group === group && info.resource === resource) return kind;
  }
  return undefined;
}

/** Whether releasegate reads this version of the kind. */
export function isKnownVersion(kind: FluxKind, version: string): boolean {
  return FLUX_KIND_INFO[kind].versions.includes(version);
}

/** `group/version` of every version of the kind, preferred first. */
export function apiVersionsOf(kind: FluxKind): string[] {
  const info = FLUX_KIND_INFO[kind];
  return info.versions.map((version) => `${info.group}/${version}`);
}

/** The kind of a dependsOn entry's target: the entry's own for any-kind scopes, else the dependent's. */
export function dependencyKindOf(dependentKind: FluxKind, entryKind: string | undefined): string {
  return FLUX_KIND_INFO[dependentKind].dependsOn === "any-kind" && entryKind !== undefined ? entryKind : dependentKind;
}
