// kustomize patches, as far as they change the Flux objects of a build: the `patches`,
// `patchesStrategicMerge` and `patchesJson6902` of a kustomization.yaml, and a Flux Kustomization's
// `spec.patches`, which kustomize-controller puts into the kustomization it builds (docs/behaviour.md, What check sees).
//
// A strategic merge patch merges maps and replaces lists: Flux's CRDs carry no merge keys, so kustomize
// treats their lists as atomic. `null` deletes a key, `$patch: delete` the object. A JSON 6902 patch is
// a list of RFC 6902 operations. A patch with a `target` applies to every object it selects (name and
// namespace are anchored regular expressions, as in kustomize); without one, a strategic merge patch
// applies to the object with its own kind and name.

import { readYamlStream } from "../runtime/yaml-library.js";
import { isPlainObject } from "./manifest-document.js";

interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export type Patch =
  | { type: "strategic"; patch: Record<string, unknown>; target?: PatchTarget }
  | { type: "json6902"; operations: Record<string, unknown>[]; target?: PatchTarget };

function stringField(value: Record<string, unknown>, key: string): string | undefined {
  return typeof value[key] === "string" ? value[key] : undefined;
}

function targetOf(value: unknown): PatchTarget | undefined {
  if (!isPlainObject(value)) return undefined;
  const target: PatchTarget = {};
  for (const key of ["group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"] as const) {
    const text = stringField(value, key);
    if (text !== undefined && text !== "") target[key] = text;
  }
  return target;
}

/** One patch from its text (YAML or JSON); undefined when it is neither a mapping nor a list of operations. */
function patchFromText(text: string, target: PatchTarget | undefined): Patch | undefined {
  let parsed: unknown;
  try {
    const documents = readYamlStream(text);
    if (documents.length !== 1) return undefined;
    parsed = documents[0];
  } catch {
    return undefined;
  }
  return patchFromValue(parsed, target);
}

function patchFromValue(parsed: unknown, target: PatchTarget | undefined): Patch | undefined {
  if (Array.isArray(parsed)) {
    const operations = parsed.filter(isPlainObject);
    return target === undefined ? undefined : { type: "json6902", operations, target };
  }
  if (!isPlainObject(parsed)) return undefined;
  return target === undefined ? { type: "strategic", patch: parsed } : { type: "strategic", patch: parsed, target };
}

/**
 * The patches of a `patches:` list (a kustomization's or a Flux Kustomization's `spec.patches`):
 * entries with an inline `patch` or a `path` read by `readFile` (undefined when it cannot be read).
 */
export function patchesOf(entries: unknown, readFile?: (path: string) => string | undefined): Patch[] {
  if (!Array.isArray(entries)) return [];
  const patches: Patch[] = [];
  for (const entry of entries as unknown[]) {
    if (typeof entry === "string") {
      // patchesStrategicMerge: a file name or an inline patch.
      const text = entry.includes("\n") ? entry : readFile?.(entry);
      const patch = text === undefined ? undefined : patchFromText(text, undefined);
      if (patch) patches.push(patch);
      continue;
    }
    if (!isPlainObject(entry)) continue;
    const target = targetOf(entry["target"]);
    const inline = entry["patch"];
    const path = stringField(entry, "path");
    const text = typeof inline === "string" ? inline : path === undefined ? undefined : readFile?.(path);
    const patch = isPlainObject(inline) || Array.isArray(inline) ? patchFromValue(inline, target) : text === undefined ? undefined : patchFromText(text, target);
    if (patch) patches.push(patch);
  }
  return patches;
}

function anchored(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return pattern === value;
  }
}

/** `a=b,c!=d,e` selectors as kustomize writes them (equality and existence only). */
function matchesSelector(selector: string, values: Record<string, unknown>): boolean {
  return selector.split(",").every((term) => {
    const clause = term.trim();
    if (clause === "") return true;
    const notEqual = clause.indexOf("!=");
    if (notEqual > 0) return values[clause.slice(0, notEqual).trim()] !== clause.slice(notEqual + 2).trim();
    const equal = clause.indexOf("=");
    if (equal > 0) return values[clause.slice(0, equal).trim()] === clause.slice(equal + 1).replace(/^=/, "").trim();
    if (clause.startsWith("!")) return values[clause.slice(1).trim()] === undefined;
    return values[clause] !== undefined;
  });
}

function selects(target: PatchTarget, object: Record<string, unknown>, namespace: string | undefined): boolean {
  const metadata = isPlainObject(object["metadata"]) ? object["metadata"] : {};
  const apiVersion = stringField(object, "apiVersion") ?? "";
  const slash = apiVersion.indexOf("/");
  const group = slash === -1 ? "" : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  if (target.group !== undefined && target.group !== group) return false;
  if (target.version !== undefined && target.version !== version) return false;
  if (target.kind !== undefined && !anchored(target.kind, stringField(object, "kind") ?? "")) return false;
  if (target.name !== undefined && !anchored(target.name, stringField(metadata, "name") ?? "")) return false;
  if (target.namespace !== undefined && !anchored(target.namespace, namespace ?? stringField(metadata, "namespace") ?? "")) return false;
  const labels = isPlainObject(metadata["labels"]) ? metadata["labels"] : {};
  const annotations = isPlainObject(metadata["annotations"]) ? metadata["annotations"] : {};
  if (target.labelSelector !== undefined && !matchesSelector(target.labelSelector, labels)) return false;
  if (target.annotationSelector !== undefined && !matchesSelector(target.annotationSelector, annotations)) return false;
  return true;
}

function appliesTo(patch: Patch, object: Record<string, unknown>, namespace: string | undefined): boolean {
  if (patch.target !== undefined) return selects(patch.target, object, namespace);
  if (patch.type !== "strategic") return false;
  const own = patch.patch;
  const ownMetadata = isPlainObject(own["metadata"]) ? own["metadata"] : {};
  const metadata = isPlainObject(object["metadata"]) ? object["metadata"] : {};
  return own["kind"] === object["kind"] && ownMetadata["name"] === metadata["name"];
}

/** Strategic merge without schema: maps merge, everything else is replaced, null deletes. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch) || !isPlainObject(base)) return patch;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch") continue;
    if (value === null) delete result[key];
    else result[key] = strategicMerge(base[key], value);
  }
  return result;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Applies RFC 6902 operations; an operation that cannot apply stops the patch (kustomize fails the build). */
export function applyJson6902(document: Record<string, unknown>, operations: readonly Record<string, unknown>[]): Record<string, unknown> {
  let root: unknown = clone(document);
  const locate = (pointer: string): { parent: unknown; key: string } | undefined => {
    const segments = pointer.split("/").slice(1).map(unescapePointer);
    if (segments.length === 0) return undefined;
    let parent: unknown = root;
    for (const segment of segments.slice(0, -1)) {
      if (Array.isArray(parent)) parent = parent[Number(segment)];
      else if (isPlainObject(parent)) parent = parent[segment];
      else return undefined;
    }
    return { parent, key: segments[segments.length - 1]! };
  };
  const get = (pointer: string): unknown => {
    if (pointer === "") return root;
    const at = locate(pointer);
    if (!at) return undefined;
    if (Array.isArray(at.parent)) return at.parent[Number(at.key)];
    return isPlainObject(at.parent) ? at.parent[at.key] : undefined;
  };
  const remove = (pointer: string): boolean => {
    const at = locate(pointer);
    if (!at) return false;
    if (Array.isArray(at.parent)) at.parent.splice(Number(at.key), 1);
    else if (isPlainObject(at.parent)) delete at.parent[at.key];
    else return false;
    return true;
  };
  const add = (pointer: string, value: unknown): boolean => {
    if (pointer === "") {
      root = value;
      return true;
    }
    const at = locate(pointer);
    if (!at) return false;
    if (Array.isArray(at.parent)) {
      const index = at.key === "-" ? at.parent.length : Number(at.key);
      if (!Number.isInteger(index) || index > at.parent.length) return false;
      at.parent.splice(index, 0, value);
    } else if (isPlainObject(at.parent)) at.parent[at.key] = value;
    else return false;
    return true;
  };
  for (const operation of operations) {
    const op = operation["op"];
    const path = stringField(operation, "path");
    if (path === undefined) break;
    const from = stringField(operation, "from");
    let ok = true;
    if (op === "add") ok = add(path, clone(operation["value"]));
    else if (op === "remove") ok = remove(path);
    else if (op === "replace") ok = get(path) !== undefined && remove(path) && add(path, clone(operation["value"]));
    else if (op === "move" && from !== undefined) {
      const value = get(from);
      ok = value !== undefined && remove(from) && add(path, value);
    } else if (op === "copy" && from !== undefined) {
      const value = get(from);
      ok = value !== undefined && add(path, clone(value));
    } else if (op === "test") ok = JSON.stringify(get(path)) === JSON.stringify(operation["value"]);
    if (!ok) break;
  }
  return isPlainObject(root) ? root : document;
}

/**
 * The object after every patch that selects it, in order; `namespace` is where it lands, for
 * targets that name one. Returns `undefined` when a patch deletes the object.
 */
export function applyPatches(
  object: Record<string, unknown>,
  patches: readonly Patch[],
  namespace: string | undefined,
): Record<string, unknown> | undefined {
  let result = object;
  for (const patch of patches) {
    if (!appliesTo(patch, result, namespace)) continue;
    if (patch.type === "json6902") {
      result = applyJson6902(result, patch.operations);
      continue;
    }
    if (patch.patch["$patch"] === "delete") return undefined;
    // A targeted patch keeps the object's identity: its own apiVersion, kind and name are placeholders.
    const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = patch.patch;
    const body: Record<string, unknown> = { ...rest };
    if (isPlainObject(metadata)) {
      const { name: _name, namespace: _namespace, ...otherMetadata } = metadata;
      if (Object.keys(otherMetadata).length > 0) body["metadata"] = otherMetadata;
    }
    result = strategicMerge(result, body) as Record<string, unknown>;
  }
  return result;
}
