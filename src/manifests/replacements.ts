// kustomize `replacements`: copy one field of a resource in the build (`source`, its `fieldPath`,
// default `metadata.name`) into fields of others (`targets[].fieldPaths`), selected by kind, name,
// namespace and labels, as kustomize does after its other transformers. Used here for the fields that
// decide where a Flux object lands and what it depends on (a ConfigMap's value set as a Flux
// Kustomization's `spec.targetNamespace`, for example); see docs/behaviour.md.

import { readYamlStream } from "../runtime/yaml-library.js";
import { isPlainObject } from "./manifest-document.js";

/** One resource of a build, with the namespace it lands in so far. */
interface ReplaceableItem {
  value: Record<string, unknown>;
  namespace?: string;
}

interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

function selectorOf(value: unknown): Selector {
  const selector: Selector = {};
  if (!isPlainObject(value)) return selector;
  for (const key of ["group", "version", "kind", "name", "namespace"] as const) {
    if (typeof value[key] === "string" && value[key] !== "") selector[key] = value[key];
  }
  return selector;
}

function selects(selector: Selector, item: ReplaceableItem): boolean {
  const { value } = item;
  const metadata = isPlainObject(value["metadata"]) ? value["metadata"] : {};
  const apiVersion = typeof value["apiVersion"] === "string" ? value["apiVersion"] : "";
  const slash = apiVersion.indexOf("/");
  const group = slash === -1 ? "" : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  const namespace = item.namespace ?? (typeof metadata["namespace"] === "string" ? metadata["namespace"] : undefined);
  return (
    (selector.group === undefined || selector.group === group) &&
    (selector.version === undefined || selector.version === version) &&
    (selector.kind === undefined || selector.kind === value["kind"]) &&
    (selector.name === undefined || selector.name === metadata["name"]) &&
    (selector.namespace === undefined || selector.namespace === namespace)
  );
}

/** `spec.template.containers.[name=app].image` → ["spec", "template", "containers", {name: "app"}, "image"]. */
type Segment = string | { key: string; equals: string } | number;

export function parseFieldPath(path: string): Segment[] {
  const segments: Segment[] = [];
  let current = "";
  let depth = 0;
  for (const char of path) {
    if (char === "[") depth++;
    if (char === "]") depth--;
    if (char === "." && depth === 0) {
      segments.push(segmentOf(current));
      current = "";
    } else current += char;
  }
  if (current !== "") segments.push(segmentOf(current));
  return segments;
}

function segmentOf(text: string): Segment {
  if (text.startsWith("[") && text.endsWith("]")) {
    const inner = text.slice(1, -1);
    const equals = inner.indexOf("=");
    if (equals > 0) return { key: inner.slice(0, equals), equals: inner.slice(equals + 1) };
    return inner;
  }
  if (/^\d+$/.test(text)) return Number(text);
  return text;
}

function getField(value: unknown, segments: readonly Segment[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (typeof segment === "number") current = Array.isArray(current) ? current[segment] : undefined;
    else if (typeof segment === "string") current = isPlainObject(current) ? current[segment] : undefined;
    else current = Array.isArray(current) ? current.find((item) => isPlainObject(item) && String(item[segment.key]) === segment.equals) : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

/** Sets the field in place; creates missing maps only when `create`. Returns whether it was set. */
function setField(value: unknown, segments: readonly Segment[], replacement: unknown, create: boolean): boolean {
  let current = value;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (typeof segment === "number") {
      if (!Array.isArray(current) || (current[segment] === undefined && !last)) return false;
      if (last) current[segment] = replacement;
      else current = current[segment];
    } else if (typeof segment === "string") {
      if (!isPlainObject(current)) return false;
      if (last) {
        if (current[segment] === undefined && !create) return false;
        current[segment] = replacement;
      } else {
        if (current[segment] === undefined) {
          if (!create) return false;
          current[segment] = {};
        }
        current = current[segment];
      }
    } else {
      if (!Array.isArray(current)) return false;
      const found: unknown = current.find((item) => isPlainObject(item) && String(item[segment.key]) === segment.equals);
      if (found === undefined || last) return false;
      current = found;
    }
  }
  return true;
}

function delimited(options: unknown): { delimiter?: string; index: number } {
  if (!isPlainObject(options)) return { index: 0 };
  const result: { delimiter?: string; index: number } = { index: typeof options["index"] === "number" ? options["index"] : 0 };
  if (typeof options["delimiter"] === "string" && options["delimiter"] !== "") result.delimiter = options["delimiter"];
  return result;
}

/** The replacement rules of a kustomization: inline entries, or `path:` files read by `readFile`. */
export function replacementsOf(entries: unknown, readFile: (path: string) => string | undefined): Record<string, unknown>[] {
  if (!Array.isArray(entries)) return [];
  const rules: Record<string, unknown>[] = [];
  for (const entry of entries as unknown[]) {
    if (!isPlainObject(entry)) continue;
    if (typeof entry["path"] === "string") {
      const text = readFile(entry["path"]);
      if (text === undefined) continue;
      try {
        for (const loaded of readYamlStream(text)) {
          for (const rule of Array.isArray(loaded) ? loaded : [loaded]) if (isPlainObject(rule)) rules.push(rule);
        }
      } catch {
        continue;
      }
    } else rules.push(entry);
  }
  return rules;
}

/**
 * Applies each rule to the items, in order, changing their values in place (the caller passes
 * copies). A rule whose source is not in the build is skipped: it names a resource `check` does not read.
 */
export function applyReplacements(items: ReplaceableItem[], rules: readonly Record<string, unknown>[]): void {
  for (const rule of rules) {
    const source = isPlainObject(rule["source"]) ? rule["source"] : undefined;
    if (source === undefined) continue;
    const from = items.find((item) => selects(selectorOf(source), item));
    if (from === undefined) continue;
    const fieldPath = typeof source["fieldPath"] === "string" ? source["fieldPath"] : "metadata.name";
    let value = getField(from.value, parseFieldPath(fieldPath));
    if (value === undefined) continue;
    const sourceOptions = delimited(source["options"]);
    if (sourceOptions.delimiter !== undefined && typeof value === "string") value = value.split(sourceOptions.delimiter)[sourceOptions.index] ?? "";
    const targets = Array.isArray(rule["targets"]) ? (rule["targets"] as unknown[]) : [];
    for (const target of targets) {
      if (!isPlainObject(target)) continue;
      const select = selectorOf(target["select"]);
      const rejects = Array.isArray(target["reject"]) ? (target["reject"] as unknown[]).map(selectorOf) : [];
      const fieldPaths = Array.isArray(target["fieldPaths"]) ? (target["fieldPaths"] as unknown[]).filter((p): p is string => typeof p === "string") : [];
      const options = isPlainObject(target["options"]) ? target["options"] : {};
      const create = options["create"] === true;
      const targetDelimiter = delimited(options);
      for (const item of items) {
        if (!selects(select, item) || rejects.some((reject) => Object.keys(reject).length > 0 && selects(reject, item))) continue;
        for (const path of fieldPaths) {
          const segments = parseFieldPath(path);
          let replacement = value;
          if (targetDelimiter.delimiter !== undefined) {
            const old = getField(item.value, segments);
            const parts = typeof old === "string" ? old.split(targetDelimiter.delimiter) : [];
            parts[targetDelimiter.index] = String(value);
            replacement = parts.join(targetDelimiter.delimiter);
          }
          setField(item.value, segments, structuredClone(replacement), create);
        }
      }
    }
  }
}
