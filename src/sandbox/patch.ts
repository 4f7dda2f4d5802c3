// The three non-apply patch formats of the Kubernetes API
// (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/):
// JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic merge patch, which is merge patch
// plus per-field list strategies (merge by key, primitive-list union) and `$patch`/`$retainKeys`/
// `$setElementOrder`/`$deleteFromPrimitiveList` directives. Strategic merge patch needs Go struct tags;
// the sandbox carries them for the few core fields its kinds use (strategicListKeys below).
import { badRequest, failure } from "./status.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

function isMap(v: unknown): v is JsonMap {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** RFC 7386: maps merge recursively, `null` deletes, everything else (lists included) replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const result: JsonMap = isMap(target) ? { ...(target as JsonMap) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value) as Json;
  }
  return result;
}

// --- RFC 6902 -------------------------------------------------------------------------------------

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new Error(`JSON pointer ${JSON.stringify(pointer)} must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function patchFailure(message: string): Error {
  // kube-apiserver answers a JSON patch that cannot be applied with 422 and the library's message.
  return failure(422, "Invalid", message);
}

function container(doc: unknown, tokens: string[], path: string): { parent: unknown; last: string } {
  let cur = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isMap(cur)) cur = cur[token];
    else cur = undefined;
    if (cur === undefined) throw patchFailure(`doc is missing path: "${path}": missing value`);
  }
  return { parent: cur, last: tokens[tokens.length - 1] as string };
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const token of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isMap(cur)) cur = cur[token];
    else cur = undefined;
    if (cur === undefined) throw patchFailure(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function arrayIndex(arr: unknown[], token: string, allowEnd: boolean, path: string): number {
  if (token === "-" && allowEnd) return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw patchFailure(`invalid array index ${JSON.stringify(token)} in "${path}"`);
  const index = Number(token);
  if (index > arr.length || (!allowEnd && index === arr.length)) throw patchFailure(`unable to access invalid index: ${index}: invalid index referenced`);
  return index;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw patchFailure("cannot remove the whole document");
  const { parent, last } = container(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, false, path);
    return parent.splice(i, 1)[0];
  }
  if (isMap(parent) && last in parent) {
    const value = parent[last];
    delete parent[last];
    return value;
  }
  throw patchFailure(`Unable to remove nonexistent key: ${last}: missing value`);
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return structuredClone(value);
  const { parent, last } = container(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, !replace, path);
    if (replace) parent[i] = structuredClone(value);
    else parent.splice(i, 0, structuredClone(value));
  } else if (isMap(parent)) {
    if (replace && !(last in parent)) throw patchFailure(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[last] = structuredClone(value) as Json;
  } else {
    throw patchFailure(`doc is missing path: "${path}": missing value`);
  }
  return doc;
}

/** RFC 6902 JSON patch. Bad patch documents are 400; operations that do not apply are 422. */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let doc = structuredClone(target);
  for (const raw of patch as JsonPatchOp[]) {
    if (!isMap(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") {
      throw badRequest("invalid JSON patch operation: each needs string \"op\" and \"path\"");
    }
    const op = raw as JsonPatchOp;
    try {
      switch (op.op) {
        case "add":
          doc = addAt(doc, op.path, op.value, false);
          break;
        case "replace":
          doc = addAt(doc, op.path, op.value, true);
          break;
        case "remove":
          removeAt(doc, op.path);
          break;
        case "move": {
          const value = removeAt(doc, op.from ?? "");
          doc = addAt(doc, op.path, value, false);
          break;
        }
        case "copy":
          doc = addAt(doc, op.path, getAt(doc, op.from ?? ""), false);
          break;
        case "test":
          if (JSON.stringify(canonical(getAt(doc, op.path))) !== JSON.stringify(canonical(op.value))) {
            throw patchFailure(`testing value ${op.path} failed: test failed`);
          }
          break;
        default:
          throw badRequest(`Unexpected kind: ${op.op}`);
      }
    } catch (err) {
      if (err instanceof Error && !("status" in err)) throw patchFailure(err.message);
      throw err;
    }
  }
  return doc;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isMap(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

// --- strategic merge patch ------------------------------------------------------------------------

/** How a list field merges in a strategic merge patch: by a key field, or as a set of primitives. */
type ListStrategy = { mergeKey: string } | { primitiveMerge: true };

/**
 * patchStrategy/patchMergeKey struct tags of the core types the sandbox serves, by dotted field path
 * (lists replace unless named here). From k8s.io/api: ObjectMeta, ServiceSpec, ValidatingWebhookConfiguration,
 * NamespaceStatus.
 */
const strategicListKeys: Readonly<Record<string, ListStrategy>> = {
  "metadata.finalizers": { primitiveMerge: true },
  "metadata.ownerReferences": { mergeKey: "uid" },
  "spec.ports": { mergeKey: "port" },
  "status.conditions": { mergeKey: "type" },
  webhooks: { mergeKey: "name" },
};

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ORDER = "$setElementOrder/";
const DELETE_PRIMITIVE = "$deleteFromPrimitiveList/";

/** Strategic merge patch over `target` with list strategies looked up by dotted path. */
export function applyStrategicMergePatch(target: unknown, patch: unknown, strategies: Readonly<Record<string, ListStrategy>> = strategicListKeys): unknown {
  if (!isMap(patch)) throw badRequest("strategic merge patch must be a JSON object");
  return mergeMap(isMap(target) ? structuredClone(target) : {}, patch, "", strategies);
}

function mergeMap(target: JsonMap, patch: JsonMap, path: string, strategies: Readonly<Record<string, ListStrategy>>): JsonMap {
  const directive = patch[DIRECTIVE];
  if (directive === "replace") {
    const replaced = { ...patch };
    delete replaced[DIRECTIVE];
    return stripDirectives(replaced) as JsonMap;
  }
  if (directive === "delete") return {};
  if (directive !== undefined && directive !== "merge") throw badRequest(`Unknown patch type: ${String(directive)}`);
  const result: JsonMap = { ...target };
  const orders: Array<[string, Json[]]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE) continue;
    if (key === RETAIN_KEYS) continue;
    if (key.startsWith(SET_ORDER)) {
      if (Array.isArray(value)) orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const field = key.slice(DELETE_PRIMITIVE.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        result[field] = current.filter((item) => !value.some((v) => JSON.stringify(v) === JSON.stringify(item)));
      }
      continue;
    }
    const childPath = path ? `${path}.${key}` : key;
    if (value === null) {
      delete result[key];
    } else if (isMap(value)) {
      const merged = mergeMap(isMap(result[key]) ? (result[key] as JsonMap) : {}, value, childPath, strategies);
      if (value[DIRECTIVE] === "delete") delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(Array.isArray(result[key]) ? (result[key] as Json[]) : [], value, childPath, strategies);
    } else {
      result[key] = value;
    }
  }
  for (const [field, order] of orders) {
    const list = result[field];
    const strategy = strategies[path ? `${path}.${field}` : field];
    if (Array.isArray(list) && strategy) result[field] = sortByOrder(list, order, strategy);
  }
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(target: Json[], patch: Json[], path: string, strategies: Readonly<Record<string, ListStrategy>>): Json[] {
  const strategy = strategies[path];
  if (!strategy) return stripDirectives(patch) as Json[];
  if ("primitiveMerge" in strategy) {
    const out = [...target];
    for (const item of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(item))) out.push(item);
    return out;
  }
  if (patch.some((item) => isMap(item) && item[DIRECTIVE] === "replace")) {
    return stripDirectives(patch.filter((item) => !(isMap(item) && item[DIRECTIVE] === "replace"))) as Json[];
  }
  const key = strategy.mergeKey;
  const out = [...target];
  for (const item of patch) {
    if (!isMap(item)) continue;
    const index = out.findIndex((o) => isMap(o) && JSON.stringify(o[key]) === JSON.stringify(item[key]));
    if (item[DIRECTIVE] === "delete") {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = mergeMap(out[index] as JsonMap, item, path, strategies);
    else out.push(stripDirectives(item) as Json);
  }
  return out;
}

function sortByOrder(list: Json[], order: Json[], strategy: ListStrategy): Json[] {
  const keyOf = (item: Json): string => JSON.stringify("mergeKey" in strategy && isMap(item) ? item[strategy.mergeKey] : item);
  const orderKeys = order.map(keyOf);
  const ranked = list.map((item, i) => {
    const rank = orderKeys.indexOf(keyOf(item));
    return { item, rank: rank < 0 ? orderKeys.length + i : rank };
  });
  ranked.sort((a, b) => a.rank - b.rank);
  return ranked.map((r) => r.item);
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (isMap(value)) {
    const out: JsonMap = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
      out[k] = stripDirectives(v);
    }
    return out;
  }
  return value;
}
