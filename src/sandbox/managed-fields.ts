// Field ownership for server-side apply (https://kubernetes.io/docs/reference/using-api/server-side-apply/):
// every write records which manager set which fields in metadata.managedFields (FieldsV1), an apply by
// another manager that changes a field someone else owns is a conflict unless forced, and an applier that
// stops sending a field it alone owned removes it. Lists follow their list type: atomic (the default for
// custom resources), set (`v:` items, e.g. metadata.finalizers) or map (`k:` items keyed by fields).
import type { JsonObject } from "./json.js";
import { failure } from "./status.js";
import type { StatusError } from "./status.js";

/** How a list at a dotted path (list items are not in the path) is merged and owned. */
type ListType = { type: "atomic" } | { type: "set" } | { type: "map"; keys: string[] };

/** List types by dotted path, for the kinds the sandbox serves; everything else is atomic. */
const LIST_TYPES: Readonly<Record<string, ListType>> = {
  "metadata.finalizers": { type: "set" },
  "metadata.ownerReferences": { type: "map", keys: ["uid"] },
  "spec.ports": { type: "map", keys: ["port", "protocol"] },
  "webhooks": { type: "map", keys: ["name"] },
  "status.conditions": { type: "atomic" },
};

/** Fields the API server never tracks (fieldmanager's stripMeta). */
const STRIPPED = new Set(["apiVersion", "kind"]);
const STRIPPED_META = new Set(["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"]);

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: JsonObject;
  subresource?: string;
}

function isMap(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function listTypeAt(dotted: string): ListType {
  return LIST_TYPES[dotted] ?? { type: "atomic" };
}

/** Stable JSON (sorted keys) for `k:` and `v:` path elements and value comparison. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (isMap(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(",")}}`;
  return JSON.stringify(v);
}

function itemKey(item: unknown, keys: string[]): string {
  const m = isMap(item) ? item : {};
  return `k:${stable(Object.fromEntries(keys.map((k) => [k, m[k]])))}`;
}

/** The part of an object a write of `subresource` owns: status for /status, everything else otherwise. */
function scopedPart(obj: JsonObject, subresource: string | undefined, hasStatusSubresource: boolean): JsonObject {
  if (subresource === "status") return obj.status === undefined ? {} : { status: obj.status };
  const copy: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (STRIPPED.has(k)) continue;
    if (k === "status" && hasStatusSubresource) continue;
    if (k === "metadata" && isMap(v)) {
      const meta: JsonObject = {};
      for (const [mk, mv] of Object.entries(v)) if (!STRIPPED_META.has(mk)) meta[mk] = mv;
      if (Object.keys(meta).length > 0) copy.metadata = meta;
      continue;
    }
    copy[k] = v;
  }
  return copy;
}

/** Leaf field paths of a value, each a list of path elements (`f:name`, `k:{...}`, `v:...`, `.`). */
export function fieldPaths(value: unknown, prefix: string[] = [], dotted = ""): string[][] {
  if (isMap(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return prefix.length > 0 ? [prefix] : [];
    return entries.flatMap(([k, v]) => fieldPaths(v, [...prefix, `f:${k}`], dotted ? `${dotted}.${k}` : k));
  }
  if (Array.isArray(value)) {
    const lt = listTypeAt(dotted);
    if (lt.type === "set") return value.map((item) => [...prefix, `v:${stable(item)}`]);
    if (lt.type === "map") {
      return value.flatMap((item) => {
        const at = [...prefix, itemKey(item, lt.keys)];
        const fields = isMap(item) ? Object.entries(item).flatMap(([k, v]) => fieldPaths(v, [...at, `f:${k}`], `${dotted}.${k}`)) : [];
        return [[...at, "."], ...fields];
      });
    }
    return [prefix];
  }
  return [prefix];
}

const pathId = (p: string[]): string => p.join("\u0001");

/** The value at a path (undefined when absent). */
function valueAt(obj: unknown, path: string[], dotted = ""): unknown {
  let cur: unknown = obj;
  let dots = dotted;
  for (const el of path) {
    if (el === ".") return cur;
    if (el.startsWith("f:")) {
      const k = el.slice(2);
      if (!isMap(cur)) return undefined;
      cur = cur[k];
      dots = dots ? `${dots}.${k}` : k;
    } else if (el.startsWith("v:")) {
      if (!Array.isArray(cur)) return undefined;
      const want = el.slice(2);
      return cur.some((i) => stable(i) === want) ? JSON.parse(want) : undefined;
    } else if (el.startsWith("k:")) {
      if (!Array.isArray(cur)) return undefined;
      const lt = listTypeAt(dots);
      const keys = lt.type === "map" ? lt.keys : [];
      cur = cur.find((i) => itemKey(i, keys) === el);
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** `.spec.interval`, `.spec.ports[port=80,protocol="TCP"]`, `.metadata.finalizers[="x"]`, as fieldpath prints paths. */
export function pathString(path: string[]): string {
  return path
    .filter((el) => el !== ".")
    .map((el) => {
      if (el.startsWith("f:")) return `.${el.slice(2)}`;
      if (el.startsWith("v:")) return `[=${el.slice(2)}]`;
      const key = JSON.parse(el.slice(2)) as JsonObject;
      return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}]`;
    })
    .join("");
}

/** FieldsV1 JSON of a set of paths. */
export function toFieldsV1(paths: string[][]): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const el of path) {
      if (!isMap(node[el])) node[el] = {};
      node = node[el] as JsonObject;
    }
  }
  return root;
}

/** Paths of a FieldsV1 tree (leaves, plus `.` markers as stored). */
function fromFieldsV1(fields: unknown, prefix: string[] = []): string[][] {
  if (!isMap(fields)) return [];
  const entries = Object.entries(fields);
  if (entries.length === 0) return prefix.length > 0 ? [prefix] : [];
  return entries.flatMap(([el, child]) => fromFieldsV1(child, [...prefix, el]));
}

export function entriesOf(obj: JsonObject): ManagedFieldsEntry[] {
  const m = isMap(obj.metadata) ? obj.metadata : {};
  return Array.isArray(m.managedFields) ? (m.managedFields.filter(isMap) as unknown as ManagedFieldsEntry[]) : [];
}

function sameEntry(e: ManagedFieldsEntry, manager: string, operation: string, subresource?: string): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? "") === (subresource ?? "");
}

function withoutPaths(entries: ManagedFieldsEntry[], remove: Set<string>): ManagedFieldsEntry[] {
  return entries
    .map((e) => ({ ...e, fieldsV1: toFieldsV1(fromFieldsV1(e.fieldsV1).filter((p) => !remove.has(pathId(p)))) }))
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Records an Update by `manager`: it takes the fields whose values changed (or appeared); fields that
 * disappeared leave every manager's set.
 */
export function recordUpdate(
  oldObj: JsonObject | undefined,
  newObj: JsonObject,
  entries: ManagedFieldsEntry[],
  who: { manager: string; apiVersion: string; subresource?: string; hasStatusSubresource: boolean },
): ManagedFieldsEntry[] {
  const before = oldObj ? scopedPart(oldObj, who.subresource, who.hasStatusSubresource) : {};
  const after = scopedPart(newObj, who.subresource, who.hasStatusSubresource);
  const afterPaths = fieldPaths(after);
  const afterIds = new Set(afterPaths.map(pathId));
  const changed = afterPaths.filter((p) => stable(valueAt(before, p)) !== stable(valueAt(after, p)));
  const gone = new Set(fieldPaths(before).map(pathId).filter((id) => !afterIds.has(id)));
  const taken = new Set([...changed.map(pathId), ...gone]);
  let next = withoutPaths(entries, taken);
  if (changed.length === 0) return next;
  const mine = entries.find((e) => sameEntry(e, who.manager, "Update", who.subresource));
  const kept = mine ? fromFieldsV1(mine.fieldsV1).filter((p) => afterIds.has(pathId(p))) : [];
  next = next.filter((e) => !sameEntry(e, who.manager, "Update", who.subresource));
  const entry: ManagedFieldsEntry = { manager: who.manager, operation: "Update", apiVersion: who.apiVersion, time: now(), fieldsType: "FieldsV1", fieldsV1: toFieldsV1([...kept, ...changed]) };
  if (who.subresource) entry.subresource = who.subresource;
  return [...next, entry];
}

// --- apply -------------------------------------------------------------------------------------------

function removePath(obj: unknown, path: string[], dotted = ""): void {
  if (path.length === 0 || !isMap(obj)) return;
  const [el, ...rest] = path as [string, ...string[]];
  if (!el.startsWith("f:")) return;
  const k = el.slice(2);
  const child = obj[k];
  const childDotted = dotted ? `${dotted}.${k}` : k;
  if (rest.length === 0) {
    delete obj[k];
    return;
  }
  const next = rest[0] as string;
  if (Array.isArray(child) && (next.startsWith("v:") || next.startsWith("k:"))) {
    const lt = listTypeAt(childDotted);
    const index = child.findIndex((i) => (next.startsWith("v:") ? `v:${stable(i)}` : itemKey(i, lt.type === "map" ? lt.keys : [])) === next);
    if (index < 0) return;
    if (rest.length === 1 || rest[1] === ".") child.splice(index, 1);
    else removePath(child[index], rest.slice(1), childDotted);
    return;
  }
  removePath(child, rest, childDotted);
}

function mergeApplied(live: unknown, applied: unknown, dotted: string): unknown {
  if (isMap(applied)) {
    const out: JsonObject = isMap(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k];
      else out[k] = mergeApplied(out[k], v, dotted ? `${dotted}.${k}` : k);
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const lt = listTypeAt(dotted);
    if (lt.type === "set") return [...live, ...applied.filter((a) => !live.some((l) => stable(l) === stable(a)))];
    if (lt.type === "map") {
      const out = [...live];
      for (const item of applied) {
        const index = out.findIndex((l) => itemKey(l, lt.keys) === itemKey(item, lt.keys));
        if (index >= 0) out[index] = mergeApplied(out[index], item, dotted);
        else out.push(structuredClone(item));
      }
      return out;
    }
  }
  return structuredClone(applied);
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

function lastAppliedPaths(live: JsonObject | undefined, who: { subresource?: string; hasStatusSubresource: boolean }): Set<string> | undefined {
  const annotations = live && isMap(live.metadata) && isMap(live.metadata.annotations) ? live.metadata.annotations : {};
  const text = annotations[LAST_APPLIED];
  if (typeof text !== "string" || !text) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return isMap(parsed) ? new Set(fieldPaths(scopedPart(parsed, who.subresource, who.hasStatusSubresource)).map(pathId)) : undefined;
  } catch {
    return undefined;
  }
}

function conflictError(conflicts: Array<{ entry: ManagedFieldsEntry; path: string[] }>): StatusError {
  const who = (e: ManagedFieldsEntry): string => {
    let s = JSON.stringify(e.manager);
    if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
    if (e.operation === "Update") s += ` using ${e.apiVersion}`;
    return s;
  };
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    message = `Apply failed with 1 conflict: conflict with ${who(first.entry)}: ${pathString(first.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(who(c.entry), [...(byManager.get(who(c.entry)) ?? []), pathString(c.path)]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? []).map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return failure(409, "Conflict", message, {
    causes: conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${who(c.entry)}`, field: pathString(c.path) })),
  });
}

/**
 * Applies `applied` (the manager's whole intent) to `live`. Throws a 409 listing the conflicts unless
 * `force`; returns the merged object and the new managedFields.
 */
export function applyConfiguration(
  live: JsonObject | undefined,
  applied: JsonObject,
  who: { manager: string; apiVersion: string; subresource?: string; force: boolean; hasStatusSubresource: boolean },
): { object: JsonObject; managedFields: ManagedFieldsEntry[] } {
  const entries = live ? entriesOf(live) : [];
  const intent = scopedPart(applied, who.subresource, who.hasStatusSubresource);
  const appliedPaths = fieldPaths(intent);
  const appliedIds = new Set(appliedPaths.map(pathId));
  const liveScoped = live ? scopedPart(live, who.subresource, who.hasStatusSubresource) : {};

  const conflicts: Array<{ entry: ManagedFieldsEntry; path: string[] }> = [];
  const others = entries.filter((e) => !sameEntry(e, who.manager, "Apply", who.subresource));
  const takenFromOthers = new Set<string>();
  for (const entry of others) {
    for (const path of fromFieldsV1(entry.fieldsV1)) {
      const id = pathId(path);
      if (!appliedIds.has(id)) continue;
      if (path[path.length - 1] === ".") {
        // A list item's own marker conflicts through its fields, not by itself.
        if (who.force) takenFromOthers.add(id);
        continue;
      }
      if (stable(valueAt(liveScoped, path)) === stable(valueAt(intent, path))) continue; // same value: shared ownership
      if (who.force) takenFromOthers.add(id);
      else conflicts.push({ entry, path });
    }
  }
  if (conflicts.length > 0) {
    // Upgrading from client-side apply transfers ownership without conflicts: conflicts on fields the
    // last-applied-configuration annotation holds are forced (kube-apiserver's lastAppliedManager).
    const allowed = lastAppliedPaths(live, who);
    if (!allowed || conflicts.some((c) => !allowed.has(pathId(c.path)))) throw conflictError(conflicts);
    for (const c of conflicts) takenFromOthers.add(pathId(c.path));
  }

  // Fields this manager applied before, no longer applies, and nobody else owns: removed.
  const previous = entries.find((e) => sameEntry(e, who.manager, "Apply", who.subresource));
  const ownedByOthers = new Set(others.flatMap((e) => fromFieldsV1(e.fieldsV1).map(pathId)));
  const object = structuredClone(live ?? {}) as JsonObject;
  const dropped = previous ? fromFieldsV1(previous.fieldsV1).filter((p) => !appliedIds.has(pathId(p)) && !ownedByOthers.has(pathId(p))) : [];
  // Remove deepest paths first so list items go before their parents are inspected.
  for (const path of [...dropped].sort((a, b) => b.length - a.length)) removePath(object, path.filter((el) => el !== "."));
  const merged = mergeApplied(object, intent, "") as JsonObject;
  if (!live) {
    merged.apiVersion = applied.apiVersion;
    merged.kind = applied.kind;
    merged.metadata = { ...(isMap(applied.metadata) ? applied.metadata : {}), ...(isMap(merged.metadata) ? merged.metadata : {}) };
  }

  let next = withoutPaths(others, takenFromOthers);
  const entry: ManagedFieldsEntry = { manager: who.manager, operation: "Apply", apiVersion: who.apiVersion, time: now(), fieldsType: "FieldsV1", fieldsV1: toFieldsV1(appliedPaths) };
  if (who.subresource) entry.subresource = who.subresource;
  if (appliedPaths.length > 0) next = [...next, entry];
  return { object: merged, managedFields: next };
}
