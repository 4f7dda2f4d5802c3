// What the manifest reader produces: a Flux object as Flux would apply it, plus where it was read.

import type { FluxKind, FluxObject } from "../graph/types.js";

export interface SourceLocation {
  /** The file as given on the command line, or relative to the working directory; `<stdin>` for `-`. */
  file: string;
  /** 1-based line of the object's `metadata.name` (or of the document's start when it has none). */
  line: number;
}

export interface ManifestObject extends FluxObject {
  source: SourceLocation;
  /**
   * `${VAR}` references left in the name, namespace or dependsOn because no Flux Kustomization
   * substitutes them offline (postBuild.substituteFrom a Secret, or a template nobody applies).
   * Absent when everything was resolved.
   */
  unresolvedVariables?: string[];
  /**
   * The Flux Kustomization (`namespace/name`) whose build applies it; absent for what the cluster's sync
   * applies without a Kustomization in the repository, and for what a ResourceSet generates.
   */
  appliedBy?: string;
  /**
   * Every build that applies it: `Kustomization ns/name` of each Flux Kustomization whose build holds it,
   * `ResourceSet ns/name` for what a ResourceSet generates, `FluxInstance ns` for the root Kustomization a
   * FluxInstance generates, `entry` for the cluster's entry build; absent for objects read as written.
   * Never reported; it lets tests compare each build with the real tools.
   */
  builds?: string[];
}

export interface ReadOptions {
  /** Namespace of objects that get none from Flux, kustomize or their own metadata (`--default-namespace`). */
  defaultNamespace: string;
  /** Read for the PATH `-` (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** Directory that relative PATHs and the reported file names are relative to (default: process.cwd()). */
  cwd?: string;
}

/** Problems found while following builds, before any graph: each names a place in the repo. */
export interface ManifestProblem {
  type: "duplicate" | "no-namespace" | "invalid" | "build";
  kind: string;
  /** `ns/name` (for no-namespace: just the name). */
  object: string;
  source: SourceLocation;
  message: string;
}

/** An object a ResourceSet template may produce whose identity cannot be computed offline. */
export interface UnknownObject {
  kind?: string;
  namespace?: string;
  reason: string;
  /** The ResourceSet that would produce it. */
  resourceSet: string;
  source: SourceLocation;
}

/** What Flux would apply to one cluster. */
export interface ClusterManifests {
  /** The entry folder relative to the PATH given ("." for the PATH itself, and for a PATH with no Flux Kustomization). */
  name: string;
  objects: ManifestObject[];
  problems: ManifestProblem[];
  unknown: UnknownObject[];
  /** Names of the CustomResourceDefinitions the cluster's builds apply or its FluxInstance installs. */
  definitions?: ReadonlySet<string>;
  /** A FluxInstance installs Flux in this cluster: the CRDs of Flux's kinds not in `definitions` do not exist. */
  fluxInstance?: boolean;
  /** The Flux kinds whose CRD, applied in this cluster, has the Flux RFC's cross-kind dependsOn (src/flux/cross-kind.ts). */
  crossKind?: ReadonlySet<FluxKind>;
}

export interface RepositoryManifests {
  clusters: ClusterManifests[];
  /** Files holding Flux objects that no cluster's builds apply, as reported to the user. */
  unreached: string[];
}
