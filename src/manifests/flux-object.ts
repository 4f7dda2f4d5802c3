// Recognises the Flux kinds releasegate guards and turns one manifest document into a ManifestObject,
// once its namespace and name are known. Untrusted input is parsed here, once; a structural error
// names the field and its line.

import { decodeFluxObject, fieldName } from "../flux/decode.js";
import { fluxKindOf as fluxKindOfDocument } from "../flux/kinds.js";
import type { FluxKind } from "../graph/types.js";
import { isPlainObject } from "./manifest-document.js";
import type { FieldPath } from "../flux/decode.js";
import type { ManifestDocument } from "./manifest-document.js";
import { ManifestError } from "./manifest-error.js";
import type { ManifestObject, SourceLocation } from "./manifest-object.js";
import { unresolvedVariableNames } from "./substitution.js";

/**
 * The Flux kind of a document, or undefined for anything else (kustomize's own Kustomization, a
 * version Flux does not serve: src/flux/kinds.ts). A ResourceSet is not one of them here: `check` reads
 * what it generates (flux-apply.ts), not the ResourceSet itself.
 */
export function fluxKindOfManifest(value: Record<string, unknown>): FluxKind | undefined {
  const kind = fluxKindOfDocument(value["apiVersion"], value["kind"]);
  return kind !== undefined && kind !== "ResourceSet" ? kind : undefined;
}

function scalarString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return undefined;
}

/** An error at the line of `field`, or of its nearest enclosing field that is written. */
function fieldError(doc: ManifestDocument, field: FieldPath, problem: string): ManifestError {
  for (let length = field.length; length > 0; length--) {
    const line = doc.lineOf(field.slice(0, length));
    if (line !== undefined) return new ManifestError(doc.file, line, problem);
  }
  return new ManifestError(doc.file, doc.line, problem);
}

/**
 * `metadata.name` or `metadata.namespace` of a Flux document as written (before kustomize and Flux
 * change it); undefined when absent. A non-scalar value is an error naming the field.
 */
export function metadataString(doc: ManifestDocument, kind: FluxKind, field: "name" | "namespace"): string | undefined {
  const metadata = doc.value["metadata"];
  if (metadata === undefined || metadata === null) return undefined;
  if (!isPlainObject(metadata)) throw fieldError(doc, ["metadata"], `${kind} metadata must be a mapping`);
  const raw = metadata[field];
  if (raw === undefined || raw === null) return undefined;
  const text = scalarString(raw);
  if (text === undefined) throw fieldError(doc, ["metadata", field], `${kind} metadata.${field} must be a string`);
  return text;
}

/** `metadata.name`, which every Flux object must have. */
export function requireName(doc: ManifestDocument, kind: FluxKind): string {
  const name = metadataString(doc, kind, "name");
  if (name === undefined || name === "") {
    throw new ManifestError(doc.file, doc.line, `${kind} has no metadata.name; give it a name`);
  }
  return name;
}

function decodeManifest(doc: ManifestDocument, kind: FluxKind, value: Record<string, unknown>, namespace: string) {
  return decodeFluxObject(kind, value, {
    coerceScalars: true,
    namespace,
    onError: (field, problem) => {
      throw fieldError(doc, field, `${kind} ${fieldName(field)} ${problem}`);
    },
  });
}

/** Where an object was read; the line is found only when a report names it (manifest-document.ts parses lines on demand). */
function sourceOf(doc: ManifestDocument): SourceLocation {
  if (doc.placed !== undefined) return { file: doc.file, line: doc.placed.objectLine };
  const objectLine = doc.objectLine;
  return {
    file: doc.file,
    get line() {
      return objectLine();
    },
  };
}

function addVariables(text: string | undefined, into: Set<string> | undefined): Set<string> | undefined {
  if (text === undefined || !text.includes("${")) return into;
  const names = unresolvedVariableNames(text);
  if (names.length === 0) return into;
  const set = into ?? new Set<string>();
  for (const name of names) set.add(name);
  return set;
}

/**
 * Builds the object Flux would apply from `value` (the document after substitution) placed at
 * `namespace`/`name`. `doc` is the document it came from, for the source location and errors.
 */
export function toManifestObject(
  doc: ManifestDocument,
  kind: FluxKind,
  value: Record<string, unknown>,
  namespace: string,
  name: string,
): ManifestObject {
  // The decoder returns a fresh object: it is placed where kustomize and Flux put it, which may differ
  // from its own metadata, and becomes the ManifestObject itself.
  const object = decodeManifest(doc, kind, value, namespace) as ManifestObject;
  if (object.sourceRef !== undefined && object.sourceRef.namespace === object.namespace) object.sourceRef.namespace = namespace;
  object.namespace = namespace;
  object.name = name;
  object.source = sourceOf(doc);
  let unresolved = addVariables(namespace, addVariables(name, undefined));
  for (const entry of object.dependsOn) unresolved = addVariables(entry.namespace, addVariables(entry.name, unresolved));
  if (unresolved !== undefined) object.unresolvedVariables = [...unresolved].sort();
  return object;
}
