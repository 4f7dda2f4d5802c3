// The transform on ingest: a HelmRelease or Kustomization as the API server sends it (with its
// 20 KiB of Helm values, managed fields and last-applied annotations) reduced to the FluxObject that
// releasegate keeps. Every kept field is copied (strings and numbers, fresh arrays and records), so
// nothing holds a reference into the raw object and the raw object can be collected at once.
// Parsing is defensive: a field of the wrong type is dropped, never thrown on.

import type { Condition, DependencyEntry, FluxKind, FluxObject } from "../graph/types.js";

/**
 * Annotations never kept: client-side `kubectl apply` stores the whole object (values included) in
 * this one, which would defeat the point of the transform.
 */
const DROPPED_ANNOTATIONS = new Set(["kubectl.kubernetes.io/last-applied-configuration"]);

/** Annotation values longer than this are dropped: releasegate reads none that long. */
const MAX_ANNOTATION_LENGTH = 4096;

/** Condition messages are cut to this length (Events cap their note at 1 KiB anyway). */
export const MAX_CONDITION_MESSAGE_LENGTH = 1024;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function int(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) ? value : undefined;
}

/** A copy of a string map, keeping only string values (and only those `keep` accepts). */
function stringMap(value: unknown, keep: (key: string, value: string) => boolean): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string" && keep(k, v)) {
      out[k] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

function dependencies(value: unknown): DependencyEntry[] {
  if (!Array.isArray(value)) return [];
  const out: DependencyEntry[] = [];
  for (const entry of value) {
    if (!isRecord(entry)) continue;
    const name = str(entry.name);
    if (name === undefined) continue;
    const dep: DependencyEntry = { name };
    const namespace = str(entry.namespace);
    if (namespace !== undefined && namespace !== "") dep.namespace = namespace;
    const readyExpr = str(entry.readyExpr);
    if (readyExpr !== undefined && readyExpr !== "") dep.readyExpr = readyExpr;
    out.push(dep);
  }
  return out;
}

/** A fresh copy of the first `max` characters: V8 keeps a plain `slice` as a view on the long parent. */
function truncate(text: string, max: number): string {
  return Buffer.from(text.slice(0, max - 1) + "…", "utf8").toString("utf8");
}

function conditionStatus(value: unknown): Condition["status"] | undefined {
  return value === "True" || value === "False" || value === "Unknown" ? value : undefined;
}

function conditions(value: unknown): Condition[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: Condition[] = [];
  for (const entry of value) {
    if (!isRecord(entry)) continue;
    const type = str(entry.type);
    const status = conditionStatus(entry.status);
    if (type === undefined || status === undefined) continue;
    const c: Condition = { type, status };
    const reason = str(entry.reason);
    if (reason !== undefined && reason !== "") c.reason = reason;
    const message = str(entry.message);
    if (message !== undefined && message !== "") {
      c.message = message.length > MAX_CONDITION_MESSAGE_LENGTH ? truncate(message, MAX_CONDITION_MESSAGE_LENGTH) : message;
    }
    const observedGeneration = int(entry.observedGeneration);
    if (observedGeneration !== undefined) c.observedGeneration = observedGeneration;
    out.push(c);
  }
  return out;
}

/**
 * Reduce a raw HelmRelease/Kustomization to the fields releasegate reads. Never throws. When
 * `metadata.name` or `metadata.namespace` is absent they are "" (an AdmissionReview's object may lack
 * its namespace; the caller fills it from the request). Absent optional fields are left out, so two
 * objects that differ only in what releasegate ignores compare equal with `sameFluxObject`.
 */
export function toFluxObject(kind: FluxKind, raw: unknown): FluxObject {
  const obj = isRecord(raw) ? raw : {};
  const metadata = isRecord(obj.metadata) ? obj.metadata : {};
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : undefined;

  const out: FluxObject = {
    kind,
    namespace: str(metadata.namespace) ?? "",
    name: str(metadata.name) ?? "",
    dependsOn: dependencies(spec.dependsOn),
  };
  const apiVersion = str(obj.apiVersion);
  if (apiVersion !== undefined) out.apiVersion = apiVersion;
  const uid = str(metadata.uid);
  if (uid !== undefined && uid !== "") out.uid = uid;
  const generation = int(metadata.generation);
  if (generation !== undefined) out.generation = generation;
  const labels = stringMap(metadata.labels, () => true);
  if (labels) out.labels = labels;
  const annotations = stringMap(
    metadata.annotations,
    (k, v) => !DROPPED_ANNOTATIONS.has(k) && v.length <= MAX_ANNOTATION_LENGTH,
  );
  if (annotations) out.annotations = annotations;
  const deletionTimestamp = str(metadata.deletionTimestamp);
  if (deletionTimestamp !== undefined && deletionTimestamp !== "") out.deleting = true;
  if (typeof spec.suspend === "boolean") out.suspend = spec.suspend;

  if (status) {
    const s: NonNullable<FluxObject["status"]> = {};
    const observedGeneration = int(status.observedGeneration);
    if (observedGeneration !== undefined) s.observedGeneration = observedGeneration;
    const conds = conditions(status.conditions);
    if (conds) s.conditions = conds;
    if (s.observedGeneration !== undefined || s.conditions !== undefined) out.status = s;
  }
  return out;
}

/** `metadata.resourceVersion` of a raw object, if it has one. */
export function resourceVersionOf(raw: unknown): string | undefined {
  if (!isRecord(raw) || !isRecord(raw.metadata)) return undefined;
  const rv = raw.metadata.resourceVersion;
  return typeof rv === "string" && rv !== "" ? rv : undefined;
}

/** Deep equality of two plain JSON values (objects, arrays, primitives); key order ignored. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameJson(v, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  const bo = b as Json;
  if (ak.length !== Object.keys(bo).length) return false;
  const ao = a as Json;
  return ak.every((k) => Object.hasOwn(bo, k) && sameJson(ao[k], bo[k]));
}

/** True when two FluxObjects differ in nothing releasegate reads. */
export function sameFluxObject(a: FluxObject, b: FluxObject): boolean {
  return sameJson(a, b);
}
