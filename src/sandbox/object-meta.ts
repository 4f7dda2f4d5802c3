// ObjectMeta rules shared by every kind: name validation and generation, uids, timestamps, and the
// label/annotation checks kube-apiserver applies in ValidateObjectMeta
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/).
import { randomUUID } from "node:crypto";
import type { JsonObject } from "./json.js";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface FieldProblem {
  field: string;
  message: string;
  reason?: string;
}

/** metadata of an object, created when absent. */
export function meta(obj: JsonObject): JsonObject {
  if (!obj.metadata || typeof obj.metadata !== "object" || Array.isArray(obj.metadata)) obj.metadata = {};
  return obj.metadata as JsonObject;
}

export function nameOf(obj: JsonObject): string {
  const name = meta(obj).name;
  return typeof name === "string" ? name : "";
}

export function labelsOf(obj: JsonObject): Record<string, string> {
  const labels = meta(obj).labels;
  return labels && typeof labels === "object" ? (labels as Record<string, string>) : {};
}

export function finalizersOf(obj: JsonObject): string[] {
  const f = meta(obj).finalizers;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === "string") : [];
}

/** Validation message of a name, in apimachinery's words, or undefined when valid. */
function nameProblem(name: string, label: boolean): string | undefined {
  if (label) {
    if (name.length > 63) return "must be no more than 63 characters";
    if (!DNS1123_LABEL.test(name)) {
      return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    }
    return undefined;
  }
  if (name.length > 253) return "must be no more than 253 characters";
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return undefined;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function keyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

/** ObjectMeta problems of a new or updated object (names, labels, annotations, finalizers). */
export function metadataProblems(obj: JsonObject, nameIsLabel: boolean): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const m = meta(obj);
  const name = nameOf(obj);
  if (!name) {
    problems.push({ field: "metadata.name", message: "Required value: name or generateName is required", reason: "FieldValueRequired" });
  } else {
    const p = nameProblem(name, nameIsLabel);
    if (p) problems.push({ field: "metadata.name", message: `Invalid value: ${JSON.stringify(name)}: ${p}` });
  }
  const labels = m.labels;
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== "object" || Array.isArray(labels)) {
      problems.push({ field: "metadata.labels", message: "Invalid value: must be a map of strings", reason: "FieldValueTypeInvalid" });
    } else {
      for (const [key, value] of Object.entries(labels)) {
        const kp = keyProblem(key);
        if (kp) problems.push({ field: "metadata.labels", message: `Invalid value: ${JSON.stringify(key)}: ${kp}` });
        if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
          problems.push({
            field: "metadata.labels",
            message: `Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
          });
        }
      }
    }
  }
  const annotations = m.annotations;
  if (annotations !== undefined && annotations !== null) {
    if (typeof annotations !== "object" || Array.isArray(annotations)) {
      problems.push({ field: "metadata.annotations", message: "Invalid value: must be a map of strings", reason: "FieldValueTypeInvalid" });
    } else {
      let total = 0;
      for (const [key, value] of Object.entries(annotations)) {
        const kp = keyProblem(key.toLowerCase());
        if (kp) problems.push({ field: "metadata.annotations", message: `Invalid value: ${JSON.stringify(key)}: ${kp}` });
        if (typeof value !== "string") problems.push({ field: `metadata.annotations.${key}`, message: "Invalid value: must be a string", reason: "FieldValueTypeInvalid" });
        total += key.length + String(value).length;
      }
      if (total > 256 * 1024) problems.push({ field: "metadata.annotations", message: "Too long: must have at most 262144 bytes", reason: "FieldValueTooLong" });
    }
  }
  const finalizers = m.finalizers;
  if (finalizers !== undefined && finalizers !== null && !Array.isArray(finalizers)) {
    problems.push({ field: "metadata.finalizers", message: "Invalid value: must be a list of strings", reason: "FieldValueTypeInvalid" });
  }
  return problems;
}

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** generateName + 5 random characters, the apiserver's names.SimpleNameGenerator. */
export function generateName(base: string): string {
  const prefix = base.length > 253 - 5 ? base.slice(0, 253 - 5) : base;
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return prefix + suffix;
}

export function newUid(): string {
  return randomUUID();
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
