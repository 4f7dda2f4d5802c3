// Reading the YAML a template rendered the way the Flux Operator does (apimachinery's YAML reader and
// go-yaml v2 behind sigs.k8s.io/yaml, then fluxcd/pkg/ssa ReadObjects): documents split at lines starting with
// "---"; empty and comment-only documents skipped; YAML 1.1 scalars (yes/no are booleans, 0777 is octal);
// a document without `kind` is an error; objects without apiVersion, kind or name and kustomize's
// Kustomization are dropped; a `List` contributes its items.

import { yamlLibrary } from "../../runtime/yaml-library.js";

export type RenderedObject = Record<string, unknown>;

/** Splits at "---" lines as apimachinery's YAMLReader does (text after "---" must be a comment). */
export function splitDocuments(text: string): string[] {
  const docs: string[] = [];
  let current: string[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.startsWith("---")) {
      const rest = line.slice(3).trim();
      if (rest.length > 0 && !rest.startsWith("#")) {
        throw new Error(`invalid document separator at line ${i + 1}: ${JSON.stringify(line.slice(0, 40))}`);
      }
      if (current.length > 0) docs.push(current.join("\n"));
      current = [];
      return;
    }
    current.push(line);
  });
  if (current.length > 0) docs.push(current.join("\n"));
  return docs;
}

/** One document as go-yaml v2 reads it; null for an empty (or comment-only) document. */
function parseYamlDocument(text: string): unknown {
  const doc = yamlLibrary().parseDocument(text, {
    version: "1.1",
    uniqueKeys: false,
    merge: true,
    prettyErrors: false,
    customTags: (tags) => tags.filter((tag) => !(typeof tag === "object" && "format" in tag && tag.format === "TIME") && !(typeof tag === "object" && tag.tag === "tag:yaml.org,2002:timestamp")),
  });
  const error = doc.errors[0];
  if (error) throw new Error(`invalid YAML: ${error.message.split("\n")[0] ?? error.code}`);
  return doc.toJS({ maxAliasCount: 100 });
}

function decodeObject(value: unknown, shown: string): RenderedObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`cannot decode ${Array.isArray(value) ? "a list" : JSON.stringify(value)} into a Kubernetes object`);
  }
  const object = value as RenderedObject;
  if (typeof object.kind !== "string" || object.kind === "") throw new Error(`Object 'Kind' is missing in '${shown}'`);
  return object;
}

function isKubernetesObject(object: RenderedObject): boolean {
  const metadata = object.metadata;
  const name = typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>).name : undefined;
  return typeof object.apiVersion === "string" && object.apiVersion !== "" && typeof name === "string" && name !== "";
}

function isKustomizeConfig(object: RenderedObject): boolean {
  return String(object.kind).toLowerCase() === "kustomization" && String(object.apiVersion).startsWith("kustomize.config.k8s.io/");
}

/** All objects of a multi-document text (ReadObjects). */
export function readObjects(text: string): RenderedObject[] {
  const objects: RenderedObject[] = [];
  for (const doc of splitDocuments(text)) {
    const value = parseYamlDocument(doc);
    if (value === null || value === undefined) continue;
    const object = decodeObject(value, shortJson(value));
    if (Array.isArray(object.items) && String(object.kind).endsWith("List")) {
      for (const item of object.items) objects.push(decodeObject(item, shortJson(item)));
      continue;
    }
    if (isKubernetesObject(object) && !isKustomizeConfig(object)) objects.push(object);
  }
  return objects;
}

/** The first document of a text as one object (ReadObject); undefined when it is empty. */
export function readObject(text: string): RenderedObject | undefined {
  // Only the first document counts; an empty one decodes to an empty object, which the caller drops.
  const first = splitDocuments(text)[0];
  if (first === undefined) return undefined;
  const value = parseYamlDocument(first);
  if (value === null || value === undefined) return undefined;
  return decodeObject(value, shortJson(value));
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? "null";
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
