// Objects of kinds `check` does not read as graph nodes, that a cluster's builds nonetheless show to
// exist: CustomResourceDefinitions. A CRD manifest inside the cluster's builds exists once applied; and
// the CRDs of Flux's own kinds exist exactly when the cluster's FluxInstance lists the component that
// ships them (the Flux Operator installs one manifest set per entry of `spec.components`; its default,
// and the flux-instance chart's, is the four controllers below). docs/behaviour.md, What check sees.
import { isPlainObject } from "./manifest-document.js";

/** The CRDs each Flux component ships (Flux 2.7+: source-controller also serves ExternalArtifact). */
const COMPONENT_CRDS: Readonly<Record<string, readonly string[]>> = {
  "source-controller": [
    "gitrepositories.source.toolkit.fluxcd.io",
    "helmrepositories.source.toolkit.fluxcd.io",
    "helmcharts.source.toolkit.fluxcd.io",
    "buckets.source.toolkit.fluxcd.io",
    "ocirepositories.source.toolkit.fluxcd.io",
    "externalartifacts.source.toolkit.fluxcd.io",
  ],
  "kustomize-controller": ["kustomizations.kustomize.toolkit.fluxcd.io"],
  "helm-controller": ["helmreleases.helm.toolkit.fluxcd.io"],
  "notification-controller": ["alerts.notification.toolkit.fluxcd.io", "providers.notification.toolkit.fluxcd.io", "receivers.notification.toolkit.fluxcd.io"],
  "image-reflector-controller": ["imagerepositories.image.toolkit.fluxcd.io", "imagepolicies.image.toolkit.fluxcd.io"],
  "image-automation-controller": ["imageupdateautomations.image.toolkit.fluxcd.io"],
  "source-watcher": ["artifactgenerators.source.extensions.fluxcd.io"],
};

/** Whether `name` is the CRD of one of Flux's kinds (one a FluxInstance component ships). */
export function isFluxCrd(name: string): boolean {
  return Object.values(COMPONENT_CRDS).some((crds) => crds.includes(name));
}

/** FluxInstance `spec.components` when not set (the FluxInstance API, and the flux-instance chart's values). */
const DEFAULT_COMPONENTS = ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"];

export const CRD_KIND = "CustomResourceDefinition";

function fieldAt(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = isPlainObject(current) ? current[key] : undefined;
  return current;
}

/** The CRDs a FluxInstance's components install; `components` is the list as written, undefined when not given. */
export function fluxInstanceCrds(components: unknown): string[] {
  const listed = Array.isArray(components) ? components.filter((entry): entry is string => typeof entry === "string") : DEFAULT_COMPONENTS;
  return listed.flatMap((component) => COMPONENT_CRDS[component] ?? []);
}

/** The components a FluxInstance, or a HelmRelease of the flux-instance chart (its values), lists. */
export function componentsOf(value: Record<string, unknown>, isInstance: boolean): unknown {
  return isInstance ? fieldAt(value, "spec", "components") : fieldAt(value, "spec", "values", "instance", "components");
}

/** `metadata.name` of a CustomResourceDefinition manifest; undefined for anything else. */
export function crdName(value: Record<string, unknown>): string | undefined {
  if (value["kind"] !== CRD_KIND || typeof value["apiVersion"] !== "string" || !value["apiVersion"].startsWith("apiextensions.k8s.io/")) return undefined;
  const name = fieldAt(value, "metadata", "name");
  return typeof name === "string" && name !== "" ? name : undefined;
}
