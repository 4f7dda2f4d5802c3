// The one decoder from an unstructured Flux object (an API server's JSON, an AdmissionReview's
// object, a YAML document) to the FluxObject releasegate keeps (docs/architecture.md, "The Flux object
// model"). The cache, the webhook, the manifest reader and the peers all call it, so they agree on
// every field.
//
// What it keeps: metadata (name, namespace, uid, generation, labels, annotations but the last applied
// configuration, deletion), spec.dependsOn, spec.suspend, a Kustomization's spec.sourceRef, and the
// status releasegate reads (observedGeneration, conditions, lastAppliedRevision, lastHandledReconcileAt). Every kept field is
// copied (fresh strings, arrays and records), so nothing holds a reference into the raw object, which
// the cache's 20 KiB of Helm values per release depend on being collected at once.
//
// Structural mistakes in what releasegate reads are reported to `onError` with the field's path; the
// decoder then drops the field and goes on, so a lenient caller (the cache: the API server has already
// validated against the CRD schema) ignores them, and a strict one (the webhook, `check`) throws on the
// first, naming the field.

import { LAST_APPLIED_CONFIGURATION, OPERATOR_RECONCILE, OPERATOR_RECONCILE_DISABLED } from "./annotations.js";
import type { Condition, DependencyEntry, FluxKind, FluxObject, SourceRef } from "../graph/types.js";
import { mergeKeep, projectFields } from "../graph/field-paths.js";
import type { Keep } from "../graph/field-paths.js";
import { compileReadyExpr } from "../graph/ready-expr.js";
import { crossKindDependsOn } from "./cross-kind.js";
import { isRecord } from "../runtime/json.js";
import type { JsonObject } from "../runtime/json.js";

/** A field inside the object: `["spec", "dependsOn", 0, "name"]`. */
export type FieldPath = readonly (string | number)[];

export interface DecodeOptions {
  /**
   * Called for each structural mistake, with the field and what is wrong ("must be a string"). It may
   * throw to stop at the first. Without it mistakes are dropped silently.
   */
  onError?: (field: FieldPath, problem: string) => void;
  /**
   * Keep a number or boolean where a string is expected, as its text (YAML: `name: 123`), so the graph
   * judges the name with the same words as for any other bad name. JSON from the API server: false.
   */
  coerceScalars?: boolean;
  /** The namespace when `metadata.namespace` is absent or empty (an AdmissionReview's request.namespace). */
  namespace?: string;
  /**
   * The fields other objects' readyExprs read of this one (the cache asks the graph's FieldDemand); its own
   * readyExprs' `self` fields are kept without asking (src/graph/field-paths.ts).
   */
  keepFor?: (kind: FluxKind, namespace: string, name: string) => Keep | undefined;
}

/** Annotation values longer than this are dropped: releasegate reads none that long. */
const MAX_ANNOTATION_LENGTH = 4096;

/** Condition messages are cut to this length (Events cap their note at 1 KiB anyway). */
export const MAX_CONDITION_MESSAGE_LENGTH = 1024;

/** `name` and `namespace` of a dependsOn entry, and the ResourceSet's apiVersion and kind. */
const ENTRY_FIELDS: Record<"same-kind" | "any-kind", string> = {
  "same-kind": "{name, namespace}",
  "any-kind": "{apiVersion, kind, name, namespace}",
};

class Reader {
  constructor(readonly options: DecodeOptions) {}

  error(field: FieldPath, problem: string): void {
    this.options.onError?.(field, problem);
  }

  /** A string (or, coercing, a scalar's text); undefined when absent; reported when of another type. */
  string(value: unknown, field: FieldPath): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return value;
    if (this.options.coerceScalars === true && (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")) {
      return String(value);
    }
    this.error(field, "must be a string");
    return undefined;
  }

  /** A mapping; undefined when absent; reported when of another type. */
  record(value: unknown, field: FieldPath, what = "must be a mapping"): JsonObject | undefined {
    if (value === undefined || value === null) return undefined;
    if (isRecord(value)) return value;
    this.error(field, what);
    return undefined;
  }

  boolean(value: unknown, field: FieldPath): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "boolean") return value;
    // After `check`'s variable substitution `suspend: ${SUSPEND}` is text Flux re-parses as YAML.
    if (this.options.coerceScalars === true && (value === "true" || value === "false")) return value === "true";
    this.error(field, "must be true or false");
    return undefined;
  }
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === "" ? undefined : text;
}

function int(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) ? value : undefined;
}

/** A fresh copy of the first `max` characters: V8 keeps a plain `slice` as a view on the long parent. */
function truncate(text: string, max: number): string {
  return Buffer.from(text.slice(0, max - 1) + "…", "utf8").toString("utf8");
}

/** A copy of a string map, keeping only string (or, coercing, scalar) values that `keep` accepts. */
function stringMap(coerce: boolean, value: unknown, keep: (key: string, value: string) => boolean): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(value)) {
    const text = typeof v === "string" ? v : coerce && (typeof v === "number" || typeof v === "boolean") ? String(v) : undefined;
    if (text !== undefined && keep(k, text)) {
      out[k] = text;
      any = true;
    }
  }
  return any ? out : undefined;
}

function dependencies(read: Reader, kind: FluxKind, spec: JsonObject): DependencyEntry[] {
  const base: FieldPath = ["spec", "dependsOn"];
  const raw = spec["dependsOn"];
  if (raw === undefined || raw === null) return [];
  // A HelmRelease's or Kustomization's entries name other kinds only where the served schema lets them
  // (cross-kind.ts, the Flux RFC on dependsOn): else the API server has pruned those fields, as it would.
  const typed = kind !== "ResourceSet" && crossKindDependsOn(kind);
  const scope = kind === "ResourceSet" || typed ? "any-kind" : "same-kind";
  if (!Array.isArray(raw)) {
    read.error(base, `must be a list of ${ENTRY_FIELDS[scope]}`);
    return [];
  }
  const out: DependencyEntry[] = [];
  raw.forEach((value: unknown, i) => {
    const at: FieldPath = [...base, i];
    if (!isRecord(value)) {
      const hint = typeof value === "string" ? ` (write "- name: ${value}")` : "";
      read.error(at, `must be a mapping ${ENTRY_FIELDS[scope]}${hint}`);
      return;
    }
    const name = read.string(value["name"], [...at, "name"]);
    if (name === undefined) {
      if (value["name"] === undefined || value["name"] === null) read.error([...at, "name"], "is missing");
      return;
    }
    const entry: DependencyEntry = { name: name };
    // An empty namespace means the dependent's own, as when it is left out.
    const namespace = read.string(value["namespace"], [...at, "namespace"]);
    if (namespace !== undefined && namespace !== "") entry.namespace = namespace;
    const readyExpr = value["readyExpr"];
    if (readyExpr !== undefined && readyExpr !== null) {
      if (typeof readyExpr !== "string") read.error([...at, "readyExpr"], "must be a CEL expression string");
      else if (readyExpr !== "") entry.readyExpr = readyExpr;
    }
    if (scope === "any-kind") {
      const apiVersion = read.string(value["apiVersion"], [...at, "apiVersion"]);
      if (apiVersion !== undefined && apiVersion !== "") entry.apiVersion = apiVersion;
      const depKind = read.string(value["kind"], [...at, "kind"]);
      if (depKind !== undefined && depKind !== "") entry.kind = depKind;
      const ready = read.boolean(value["ready"], [...at, "ready"]);
      if (ready !== undefined) entry.ready = ready;
      if (typed) {
        // The RFC's defaults: no kind, or the dependent's own, is the entry of today (namespace defaulted,
        // apiVersion the dependent's); `ready` defaults to true, so only `ready: false` is kept.
        if (entry.kind === undefined || entry.kind === kind) {
          delete entry.kind;
          delete entry.apiVersion;
        }
        if (entry.ready === true) delete entry.ready;
      }
    }
    out.push(entry);
  });
  return out;
}

function conditionStatus(value: unknown): Condition["status"] | undefined {
  return value === "True" || value === "False" || value === "Unknown" ? value : undefined;
}

function conditions(value: unknown): Condition[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: Condition[] = [];
  for (const entry of value) {
    if (!isRecord(entry)) continue;
    const type = entry["type"];
    const status = conditionStatus(entry["status"]);
    if (typeof type !== "string" || status === undefined) continue;
    const c: Condition = { type: type, status };
    const reason = entry["reason"];
    if (typeof reason === "string" && reason !== "") c.reason = reason;
    const message = entry["message"];
    if (typeof message === "string" && message !== "") {
      c.message = message.length > MAX_CONDITION_MESSAGE_LENGTH ? truncate(message, MAX_CONDITION_MESSAGE_LENGTH) : message;
    }
    const observedGeneration = int(entry["observedGeneration"]);
    if (observedGeneration !== undefined) c.observedGeneration = observedGeneration;
    out.push(c);
  }
  return out;
}

function sourceRef(spec: JsonObject, namespace: string): SourceRef | undefined {
  const ref = spec["sourceRef"];
  if (!isRecord(ref) || typeof ref["kind"] !== "string" || typeof ref["name"] !== "string") return undefined;
  const ns = typeof ref["namespace"] === "string" && ref["namespace"] !== "" ? ref["namespace"] : namespace;
  return { kind: ref["kind"], namespace: ns, name: ref["name"] };
}

/**
 * Decodes a raw object of `kind`. Never throws itself (`onError` may). When `metadata.name` or
 * `metadata.namespace` is absent they are "" (an AdmissionReview's object may lack its namespace; the
 * caller fills it in). Absent optional fields are left out, so two objects that differ only in what
 * releasegate ignores compare equal with `sameFluxObject`.
 */
export function decodeFluxObject(kind: FluxKind, raw: unknown, options: DecodeOptions = {}): FluxObject {
  const read = new Reader(options);
  const obj = isRecord(raw) ? raw : {};
  const metadata = read.record(obj["metadata"], ["metadata"]) ?? {};
  const spec = read.record(obj["spec"], ["spec"]) ?? {};
  const status = isRecord(obj["status"]) ? obj["status"] : undefined;

  const out: FluxObject = {
    kind,
    namespace: nonEmpty(read.string(metadata["namespace"], ["metadata", "namespace"])) ?? options.namespace ?? "",
    name: read.string(metadata["name"], ["metadata", "name"]) ?? "",
    dependsOn: dependencies(read, kind, spec),
  };
  const apiVersion = obj["apiVersion"];
  if (typeof apiVersion === "string") out.apiVersion = apiVersion;
  const uid = metadata["uid"];
  if (typeof uid === "string" && uid !== "") out.uid = uid;
  const generation = int(metadata["generation"]);
  if (generation !== undefined) out.generation = generation;
  const labels = stringMap(read.options.coerceScalars === true, metadata["labels"], () => true);
  if (labels) out.labels = labels;
  const annotations = stringMap(read.options.coerceScalars === true, metadata["annotations"], (k, v) => k !== LAST_APPLIED_CONFIGURATION && v.length <= MAX_ANNOTATION_LENGTH);
  if (annotations) out.annotations = annotations;
  const deletionTimestamp = metadata["deletionTimestamp"];
  if (deletionTimestamp !== undefined && deletionTimestamp !== null && deletionTimestamp !== "") out.deleting = true;
  const suspend = read.boolean(spec["suspend"], ["spec", "suspend"]);
  if (suspend !== undefined) out.suspend = suspend;
  if (kind === "ResourceSet" && annotations?.[OPERATOR_RECONCILE] === OPERATOR_RECONCILE_DISABLED) out.suspend = true;
  if (kind === "Kustomization") {
    const ref = sourceRef(spec, out.namespace);
    if (ref !== undefined) out.sourceRef = ref;
  }

  if (status) {
    const s: NonNullable<FluxObject["status"]> = {};
    const observedGeneration = int(status["observedGeneration"]);
    if (observedGeneration !== undefined) s.observedGeneration = observedGeneration;
    const conds = conditions(status["conditions"]);
    if (conds) s.conditions = conds;
    const revision = status["lastAppliedRevision"];
    if (typeof revision === "string" && revision !== "") s.lastAppliedRevision = revision;
    const handled = status["lastHandledReconcileAt"];
    if (typeof handled === "string" && handled !== "") s.lastHandledReconcileAt = handled;
    if (Object.keys(s).length > 0) out.status = s;
  }
  const asked = options.keepFor?.(out.kind, out.namespace, out.name);
  if (options.keepFor !== undefined) out.fieldsKeep = asked ?? NOTHING_KEPT;
  const keep = fieldsToKeep(out, asked);
  if (keep !== undefined) {
    const fields = projectFields(obj, keep);
    if (fields !== undefined) {
      // Flux's readyExpr sees the object as the controller reads it; the Flux Operator's without the kubectl annotation.
      const annotations = isRecord(fields["metadata"]) ? fields["metadata"]["annotations"] : undefined;
      if (isRecord(annotations)) delete annotations[LAST_APPLIED_CONFIGURATION];
      out.fields = fields;
    }
  }
  return out;
}

const NOTHING_KEPT: Keep = Object.freeze({});

/** The readyExpr fields of this object: its own expressions' `self`, and what others read of it. */
function fieldsToKeep(obj: FluxObject, asked: Keep | undefined): Keep | undefined {
  let keep = asked;
  if (obj.kind === "ResourceSet") return keep;
  for (const entry of obj.dependsOn) {
    if (entry.readyExpr === undefined || entry.readyExpr === "") continue;
    const compiled = compileReadyExpr(entry.readyExpr);
    if (!compiled.ok || compiled.selfFields === undefined) continue;
    keep = keep === undefined ? compiled.selfFields : mergeKeep(keep, compiled.selfFields);
  }
  return keep;
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
  const bo = b as JsonObject;
  if (ak.length !== Object.keys(bo).length) return false;
  const ao = a as JsonObject;
  return ak.every((k) => Object.hasOwn(bo, k) && sameJson(ao[k], bo[k]));
}

/** True when two FluxObjects differ in nothing releasegate reads. */
export function sameFluxObject(a: FluxObject, b: FluxObject): boolean {
  return sameJson(a, b);
}

/** "spec.dependsOn[0].name": a field path as a person writes it. */
export function fieldName(field: FieldPath): string {
  return field.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
}
