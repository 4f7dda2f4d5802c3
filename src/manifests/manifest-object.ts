// What the manifest reader produces: a Flux object as Flux would apply it, plus where it was read.

import type { FluxObject } from "../graph/types.js";

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
}

export interface ReadOptions {
  /** Namespace of objects that get none from Flux, kustomize or their own metadata (`--default-namespace`). */
  defaultNamespace: string;
  /** Read for the PATH `-` (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** Directory that relative PATHs and the reported file names are relative to (default: process.cwd()). */
  cwd?: string;
}
