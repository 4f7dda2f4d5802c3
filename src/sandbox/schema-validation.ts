// Custom resources against their CRD's structural schema, in kube-apiserver's order
// (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/):
// unknown fields are pruned (and reported per fieldValidation: Strict fails, Warn warns, Ignore is
// silent), nulls of non-nullable fields are dropped, defaults are applied, then the object is validated
// (types, required, enum, pattern, lengths, bounds, and x-kubernetes-validations CEL rules), with field
// paths and wording as the API server reports them in a 422.
import { CelScalar, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import type { CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import type { FieldProblem } from "./object-meta.js";
import type { JsonObject } from "./json.js";

export type Schema = JsonObject & {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
  minItems?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  default?: unknown;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-validations"?: Array<{ rule: string; message?: string; fieldPath?: string; reason?: string }>;
};

/** ObjectMeta fields a client may send; anything else under metadata is unknown. */
const OBJECT_META_FIELDS = new Set([
  "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
  "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
]);

function isMap(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Removes fields the schema does not declare (returning their paths) and nulls of non-nullable fields. */
export function pruneAndDefault(obj: JsonObject, schema: JsonObject): { unknownFields: string[] } {
  const unknownFields: string[] = [];
  const root = schema as Schema;
  for (const key of Object.keys(obj)) {
    if (key === "apiVersion" || key === "kind") continue;
    if (key === "metadata") {
      if (isMap(obj.metadata)) {
        for (const mk of Object.keys(obj.metadata)) {
          if (!OBJECT_META_FIELDS.has(mk)) {
            unknownFields.push(`metadata.${mk}`);
            delete obj.metadata[mk];
          }
        }
      }
      continue;
    }
    const child = root.properties?.[key];
    if (!child && !root["x-kubernetes-preserve-unknown-fields"]) {
      unknownFields.push(key);
      delete obj[key];
      continue;
    }
    if (child) obj[key] = walk(obj[key], child, key, unknownFields);
    if (obj[key] === undefined) delete obj[key];
  }
  applyDefaults(obj, root, true);
  return { unknownFields };
}

function walk(value: unknown, schema: Schema, path: string, unknown: string[]): unknown {
  if (value === null) return schema.nullable ? null : undefined;
  if (isMap(value) && (schema.type === "object" || schema.properties || schema.additionalProperties)) {
    const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
    for (const key of Object.keys(value)) {
      const declared = schema.properties?.[key];
      const additional = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
      const child = declared ?? additional;
      if (!child) {
        if (!preserve && schema.additionalProperties !== true) {
          unknown.push(join(path, key));
          delete value[key];
        }
        continue;
      }
      const next = walk(value[key], child, join(path, key), unknown);
      if (next === undefined) delete value[key];
      else value[key] = next;
    }
    return value;
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    return value.map((item, i) => walk(item, items, `${path}[${i}]`, unknown)).filter((v) => v !== undefined);
  }
  return value;
}

/** Applies the schema's `default`s to absent fields, in place (also done on every read, like kube-apiserver). */
function applyDefaults(value: unknown, schema: Schema, isRoot = false): void {
  if (isMap(value)) {
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      if (isRoot && (key === "metadata" || key === "apiVersion" || key === "kind")) continue;
      if (value[key] === undefined && child.default !== undefined) value[key] = structuredClone(child.default);
      if (value[key] !== undefined) applyDefaults(value[key], child);
    }
    if (typeof schema.additionalProperties === "object") {
      const additional = schema.additionalProperties;
      for (const key of Object.keys(value)) if (!schema.properties?.[key]) applyDefaults(value[key], additional);
    }
  } else if (Array.isArray(value) && schema.items) {
    for (const item of value) applyDefaults(item, schema.items);
  }
}

/**
 * `value` with the schema's defaults, copying only what changes (the rest is shared with `value`, which is
 * left untouched): cheap enough to apply on every read of stored objects.
 */
export function withDefaults(value: unknown, schema: Schema, isRoot = false): unknown {
  if (isMap(value)) {
    let out: JsonObject | undefined;
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      if (isRoot && (key === "metadata" || key === "apiVersion" || key === "kind")) continue;
      const current = value[key];
      let next = current === undefined && child.default !== undefined ? structuredClone(child.default) : current;
      if (next !== undefined) next = withDefaults(next, child);
      if (next !== current) {
        out ??= { ...value };
        out[key] = next;
      }
    }
    if (typeof schema.additionalProperties === "object") {
      const additional = schema.additionalProperties;
      for (const key of Object.keys(value)) {
        if (schema.properties?.[key]) continue;
        const next = withDefaults(value[key], additional);
        if (next !== value[key]) {
          out ??= { ...value };
          out[key] = next;
        }
      }
    }
    return out ?? value;
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    const next = value.map((item) => withDefaults(item, items));
    return next.some((item, i) => item !== value[i]) ? next : value;
  }
  return value;
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : typeof v === "object" ? JSON.stringify(jsonType(v)) : String(v);
}

/** Validation problems of a (pruned, defaulted) custom resource against its schema. */
export function validateAgainstSchema(obj: JsonObject, schema: JsonObject): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const root = schema as Schema;
  for (const [key, child] of Object.entries(root.properties ?? {})) {
    if (key === "metadata" || key === "apiVersion" || key === "kind") continue;
    if (obj[key] !== undefined) check(obj[key], child, key, problems);
  }
  for (const key of root.required ?? []) {
    if (obj[key] === undefined) problems.push({ field: key, message: "Required value", reason: "FieldValueRequired" });
  }
  runRules(obj, root, "", problems);
  return problems;
}

function check(value: unknown, schema: Schema, path: string, problems: FieldProblem[]): void {
  const actual = jsonType(value);
  if (value === null) {
    if (!schema.nullable) problems.push({ field: path, message: `Invalid value: "null": ${path} in body must be of type ${schema.type ?? "object"}: "null"`, reason: "FieldValueTypeInvalid" });
    return;
  }
  if (schema["x-kubernetes-int-or-string"]) {
    if (actual !== "integer" && actual !== "string") {
      problems.push({ field: path, message: `Invalid value: ${show(value)}: ${path} in body must be of type int-or-string: ${JSON.stringify(actual)}`, reason: "FieldValueTypeInvalid" });
      return;
    }
  } else if (schema.type && !(schema.type === actual || (schema.type === "number" && actual === "integer"))) {
    problems.push({ field: path, message: `Invalid value: ${JSON.stringify(actual)}: ${path} in body must be of type ${schema.type}: ${JSON.stringify(actual)}`, reason: "FieldValueTypeInvalid" });
    return;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push({ field: path, message: `Unsupported value: ${show(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`, reason: "FieldValueNotSupported" });
  }
  if (typeof value === "string") {
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
      problems.push({ field: path, message: `Too long: may not be more than ${schema.maxLength} bytes`, reason: "FieldValueTooLong" });
    }
    if (schema.minLength !== undefined && [...value].length < schema.minLength) {
      problems.push({ field: path, message: `Invalid value: ${JSON.stringify(value)}: ${path} in body should be at least ${schema.minLength} chars long` });
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
      problems.push({ field: path, message: `Invalid value: ${JSON.stringify(value)}: ${path} in body should match '${schema.pattern}'` });
    }
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) {
      problems.push({ field: path, message: `Invalid value: ${value}: ${path} in body should be greater than or equal to ${schema.minimum}` });
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      problems.push({ field: path, message: `Invalid value: ${value}: ${path} in body should be less than or equal to ${schema.maximum}` });
    }
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      problems.push({ field: path, message: `Too many: ${value.length}: must have at most ${schema.maxItems} items`, reason: "FieldValueTooMany" });
    }
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      problems.push({ field: path, message: `Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items` });
    }
    if (schema.items) {
      const items = schema.items;
      value.forEach((item, i) => check(item, items, `${path}[${i}]`, problems));
    }
  }
  if (isMap(value)) {
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) problems.push({ field: join(path, key), message: "Required value", reason: "FieldValueRequired" });
    }
    if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties) {
      problems.push({ field: path, message: `Too many: ${Object.keys(value).length}: must have at most ${schema.maxProperties} items`, reason: "FieldValueTooMany" });
    }
    for (const [key, child] of Object.entries(value)) {
      const declared = schema.properties?.[key] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (declared) check(child, declared, join(path, key), problems);
    }
  }
  runRules(value, schema, path, problems);
}

// --- x-kubernetes-validations (CEL) -----------------------------------------------------------------

const env = celEnv({ variables: { self: CelScalar.DYN }, funcs: strings });
const programs = new Map<string, ((bindings: { self: CelInput }) => unknown) | undefined>();

function program(rule: string): ((bindings: { self: CelInput }) => unknown) | undefined {
  if (!programs.has(rule)) {
    try {
      programs.set(rule, plan(env, parse(rule)));
    } catch {
      programs.set(rule, undefined);
    }
  }
  return programs.get(rule);
}

function toCel(v: unknown): CelInput {
  if (Array.isArray(v)) return v.map(toCel);
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return v as CelInput;
}

function runRules(value: unknown, schema: Schema, path: string, problems: FieldProblem[]): void {
  const rules = schema["x-kubernetes-validations"];
  if (!rules || value === undefined) return;
  const self = toCel(value);
  for (const rule of rules) {
    const run = program(rule.rule);
    if (!run) continue;
    let result: unknown;
    try {
      result = run({ self });
    } catch {
      continue;
    }
    if (isCelError(result) || result === true) continue;
    const field = rule.fieldPath ? `${path}${rule.fieldPath}` : path || "<nil>";
    const message = rule.message ?? `failed rule: ${rule.rule}`;
    problems.push({ field, message: `Invalid value: ${JSON.stringify(jsonType(value))}: ${message}`, reason: "FieldValueInvalid" });
  }
}
