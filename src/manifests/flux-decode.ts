// The manifest reader's one door into the Flux object decoder (flux-object.ts): which documents are
// Flux objects, their metadata as written, and the object the graph sees. Keeping every call here lets
// the decoder be swapped without touching how builds are followed.
import type { FluxKind } from "../graph/types.js";
import { fluxKindOfManifest, metadataString, requireName, toManifestObject } from "./flux-object.js";
import type { ManifestDocument } from "./manifest-document.js";
import type { ManifestObject } from "./manifest-object.js";

/** The Flux Operator's ResourceSet (fluxcd.controlplane.io/v1), whose templates generate objects. */
const RESOURCE_SET_API_VERSION = "fluxcd.controlplane.io/v1";

/** What a document is, for following builds: a graph kind, a ResourceSet, or something else. */
export type DocumentRole = FluxKind | "ResourceSet" | undefined;

export function roleOf(value: Record<string, unknown>): DocumentRole {
  if (value["kind"] === "ResourceSet" && value["apiVersion"] === RESOURCE_SET_API_VERSION) return "ResourceSet";
  return fluxKindOfManifest(value);
}

export function isFluxInstance(value: Record<string, unknown>): boolean {
  return value["kind"] === "FluxInstance" && typeof value["apiVersion"] === "string" && value["apiVersion"].startsWith("fluxcd.controlplane.io/");
}

/** `doc` as if it held `value` (a patched or substituted copy), for errors that name its lines. */
function viewOf(doc: ManifestDocument, value: Record<string, unknown>): ManifestDocument {
  if (value === doc.value) return doc;
  return {
    path: doc.path,
    file: doc.file,
    index: doc.index,
    get line() {
      return doc.line;
    },
    value,
    lineOf: (field) => doc.lineOf(field),
    objectLine: doc.objectLine,
  };
}

/** metadata.name of a Flux object (required: a ManifestError names the document without one). */
export function nameOf(doc: ManifestDocument, kind: FluxKind | "ResourceSet", value: Record<string, unknown>): string {
  return requireName(viewOf(doc, value), kind as FluxKind);
}

/** metadata.namespace as written; undefined when absent. */
export function namespaceOf(doc: ManifestDocument, kind: FluxKind | "ResourceSet", value: Record<string, unknown>): string | undefined {
  return metadataString(viewOf(doc, value), kind as FluxKind, "namespace");
}

/**
 * Each decoded object's dependsOn entry lines, as the fast reader recorded them, else the line finder of
 * its document (which holds the document's text, not its parsed value).
 */
const documentLines = new WeakMap<ManifestObject, readonly number[] | ManifestDocument["lineOf"]>();

/** Line of the object's `spec.dependsOn[index]` entry as written; undefined when the entry is not in its document (a patch added it). */
export function dependencyLineOf(object: ManifestObject, index: number): number | undefined {
  const lines = documentLines.get(object);
  return typeof lines === "function" ? lines(["spec", "dependsOn", index]) : lines?.[index];
}

/** Position of each decoded object's document within its file, for ordering without computing lines. */
const documentIndex = new WeakMap<ManifestObject, number>();

/** The object the graph sees, placed at namespace/name. */
export function decodeManifestObject(
  doc: ManifestDocument,
  kind: FluxKind,
  value: Record<string, unknown>,
  namespace: string,
  name: string,
): ManifestObject {
  const object = toManifestObject(doc, kind, value, namespace, name);
  documentIndex.set(object, doc.index);
  documentLines.set(object, doc.placed?.entryLines ?? doc.lineOf);
  return object;
}

/** The document position (within its file) an object was decoded from. */
export function documentIndexOf(object: ManifestObject): number {
  return documentIndex.get(object) ?? 0;
}
