// Recognises the Flux kinds releasegate guards and turns one manifest document into a ManifestObject,
// once its namespace and name are known. Untrusted input is parsed here, once; a structural error
// names the field and its line.

import type { Condition, DependencyEntry, FluxKind } from "../graph/types.js";
import { isPlainObject } from "./manifest-document.js";
import type { FieldPath, ManifestDocument } from "./manifest-document.js";
import { ManifestError } from "./manifest-error.js";
import type { ManifestObject } from "./manifest-object.js";
import { unresolvedVariableNames } from "./substitution.js";

/** Served versions of each kind (DESIGN.md: HelmRelease v2/v2beta2/v2beta1; Kustomization v1/v1beta2/v1beta1). */
const FLUX_API_VERSIONS: Record<FluxKind, ReadonlySet<string>> = {
  HelmRelease: new Set(["helm.toolkit.fluxcd.io/v2", "helm.toolkit.fluxcd.io/v2beta2", "helm.toolkit.fluxcd.io/v2beta1"]),
  Kustomization: new Set([
    "kustomize.toolkit.fluxcd.io/v1",
    "kustomize.toolkit.fluxcd.io/v1beta2",
    "kustomize.toolkit.fluxcd.io/v1beta1",
  ]),
};

/** The Flux kind of a document, or undefined for anything else (kustomize's own Kustomization included). */
export function fluxKindOf(value: Record<string, unknown>): FluxKind | undefined {
  const { kind, apiVersion } = value;
  if (kind !== "HelmRelease" && kind !== "Kustomization") return undefined;
  return typeof apiVersion === "string" && FLUX_API_VERSIONS[kind].has(apiVersion) ? kind : undefined;
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

function fieldName(field: FieldPath): string {
  return field.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
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

/**
 * Parses `spec.dependsOn`. Scalars are kept as strings (`name: 123` → "123") so the graph reports an
 * invalid name with the same words as the webhook; an entry that is not a `{name, namespace?}` mapping
 * cannot be guessed at and is a ManifestError naming the field.
 */
export function parseDependsOn(doc: ManifestDocument, kind: FluxKind, value: Record<string, unknown>): DependencyEntry[] {
  const spec = value["spec"];
  if (!isPlainObject(spec)) return [];
  const raw = spec["dependsOn"];
  if (raw === undefined || raw === null) return [];
  const base: FieldPath = ["spec", "dependsOn"];
  if (!Array.isArray(raw)) {
    throw fieldError(doc, base, `${kind} ${fieldName(base)} must be a list of {name, namespace}`);
  }
  return raw.map((entry: unknown, i) => {
    const at: FieldPath = [...base, i];
    if (!isPlainObject(entry)) {
      const hint = typeof entry === "string" ? ` (write "- name: ${entry}")` : "";
      throw fieldError(doc, at, `${kind} ${fieldName(at)} must be a mapping {name, namespace}${hint}`);
    }
    const name = scalarString(entry["name"]);
    if (name === undefined) {
      const problem = entry["name"] === undefined || entry["name"] === null ? "is missing" : "must be a string";
      throw fieldError(doc, [...at, "name"], `${kind} ${fieldName([...at, "name"])} ${problem}`);
    }
    const parsed: DependencyEntry = { name };
    const namespace = entry["namespace"];
    if (namespace !== undefined && namespace !== null) {
      const text = scalarString(namespace);
      if (text === undefined) throw fieldError(doc, [...at, "namespace"], `${kind} ${fieldName([...at, "namespace"])} must be a string`);
      // An empty namespace means the dependent's own, as when it is left out.
      if (text !== "") parsed.namespace = text;
    }
    const readyExpr = entry["readyExpr"];
    if (readyExpr !== undefined && readyExpr !== null) {
      if (typeof readyExpr !== "string") {
        throw fieldError(doc, [...at, "readyExpr"], `${kind} ${fieldName([...at, "readyExpr"])} must be a CEL expression string`);
      }
      parsed.readyExpr = readyExpr;
    }
    return parsed;
  });
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    const text = scalarString(item);
    if (text !== undefined) result[key] = text;
  }
  return result;
}

function parseConditions(value: unknown): Condition[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const conditions: Condition[] = [];
  for (const item of value) {
    if (!isPlainObject(item) || typeof item["type"] !== "string") continue;
    const status = item["status"];
    const condition: Condition = {
      type: item["type"],
      status: status === "True" || status === "False" ? status : "Unknown",
    };
    if (typeof item["reason"] === "string") condition.reason = item["reason"];
    if (typeof item["message"] === "string") condition.message = item["message"];
    if (typeof item["observedGeneration"] === "number") condition.observedGeneration = item["observedGeneration"];
    conditions.push(condition);
  }
  return conditions;
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
  const metadata = isPlainObject(value["metadata"]) ? value["metadata"] : {};
  const spec = isPlainObject(value["spec"]) ? value["spec"] : {};
  const object: ManifestObject = {
    kind,
    namespace,
    name,
    dependsOn: parseDependsOn(doc, kind, value),
    // The line is found only when a report names the object (manifest-document.ts parses lines on demand).
    source: {
      file: doc.file,
      get line() {
        return doc.lineOf(["metadata", "name"]) ?? doc.line;
      },
    },
  };
  if (typeof value["apiVersion"] === "string") object.apiVersion = value["apiVersion"];
  if (typeof metadata["uid"] === "string") object.uid = metadata["uid"];
  if (typeof metadata["generation"] === "number") object.generation = metadata["generation"];
  const labels = stringMap(metadata["labels"]);
  if (labels) object.labels = labels;
  const annotations = stringMap(metadata["annotations"]);
  if (annotations) object.annotations = annotations;
  if (metadata["deletionTimestamp"] !== undefined && metadata["deletionTimestamp"] !== null) object.deleting = true;
  // After substitution `suspend: ${SUSPEND}` is text that Flux re-parses as YAML, hence the string form.
  const suspend = spec["suspend"];
  if (suspend === true || suspend === "true") object.suspend = true;
  else if (suspend === false || suspend === "false") object.suspend = false;
  const status = value["status"];
  if (isPlainObject(status)) {
    object.status = {};
    if (typeof status["observedGeneration"] === "number") object.status.observedGeneration = status["observedGeneration"];
    const conditions = parseConditions(status["conditions"]);
    if (conditions) object.status.conditions = conditions;
  }
  const unresolved = new Set<string>();
  for (const text of [name, namespace, ...object.dependsOn.flatMap((d) => [d.name, d.namespace ?? ""])]) {
    for (const variable of unresolvedVariableNames(text)) unresolved.add(variable);
  }
  if (unresolved.size > 0) object.unresolvedVariables = [...unresolved].sort();
  return object;
}
