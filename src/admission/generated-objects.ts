// What a ResourceSet under review generates, as graph nodes, for the "waits for its own output" rule
// (graph/own-output.ts; docs/behaviour.md, Admission rules). Expanded with the one template engine
// (src/flux/resourceset, bounded in output and steps). Only from inline `spec.inputs`: with `inputsFrom`
// the inputs live elsewhere and the names are unknown, so nothing is claimed; nor when a template fails
// (the operator reports that itself).
import { expandResourceSet } from "../flux/resourceset/index.js";
import { nodeKey } from "../graph/refs.js";
import type { NodeKey } from "../graph/types.js";
import { isRecord } from "../runtime/json.js";
import type { JsonObject } from "../runtime/json.js";

/** The nodes of the objects the ResourceSet generates (an object without a namespace lands in the ResourceSet's). */
export function generatedNodes(resourceSet: JsonObject, namespace: string, name: string): Set<NodeKey> {
  const spec = isRecord(resourceSet["spec"]) ? resourceSet["spec"] : {};
  const nodes = new Set<NodeKey>();
  if (Array.isArray(spec["inputsFrom"]) && spec["inputsFrom"].length > 0) return nodes;
  const metadata = isRecord(resourceSet["metadata"]) ? resourceSet["metadata"] : {};
  let objects: Array<Record<string, unknown>>;
  try {
    objects = expandResourceSet({ ...resourceSet, metadata: { ...metadata, namespace, name } }).objects;
  } catch {
    return nodes;
  }
  for (const object of objects) {
    const meta = isRecord(object["metadata"]) ? object["metadata"] : {};
    const kind = object["kind"];
    const objectName = meta["name"];
    const objectNamespace = typeof meta["namespace"] === "string" && meta["namespace"] !== "" ? meta["namespace"] : namespace;
    if (typeof kind === "string" && typeof objectName === "string" && objectName !== "") nodes.add(nodeKey(kind, objectNamespace, objectName));
  }
  return nodes;
}
