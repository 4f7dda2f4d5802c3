// Flux post-build variable substitution (kustomize-controller `spec.postBuild`): `${VAR}` is replaced
// with the variable's value, `${VAR:=default}` / `${VAR:-default}` fall back to the default when VAR is
// unset or empty (`${VAR=default}` / `${VAR-default}` only when unset), and `$${VAR}` is an escape that
// leaves `${VAR}` in the output.
//
// One deliberate difference: Flux replaces an unknown `${VAR}` with an empty string, but offline we
// cannot see variables that come from Secrets or from the cluster (`postBuild.substituteFrom`), so an
// unknown reference is left as written and reported by `unresolvedVariableNames`.

import { isPlainObject } from "./manifest-document.js";

export type Variables = ReadonlyMap<string, string>;

const REFERENCE = /\$(\$)?\{([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[-=])([^}]*))?\}/g;

/** The names of `${VAR}` references left in `text` (escaped `$${VAR}` excluded). */
export function unresolvedVariableNames(text: string): string[] {
  if (!text.includes("${")) return [];
  const names: string[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    if (match[1] === undefined && match[2] !== undefined) names.push(match[2]);
  }
  return names;
}

export function substituteString(text: string, variables: Variables): string {
  if (!text.includes("${")) return text;
  return text.replace(
    REFERENCE,
    (whole: string, escaped: string | undefined, name: string, operator: string | undefined, fallback: string | undefined) => {
      if (escaped !== undefined) return whole.slice(1);
      const value = variables.get(name);
      const emptyCountsAsUnset = operator?.startsWith(":") ?? false;
      if (value !== undefined && !(emptyCountsAsUnset && value === "")) return value;
      if (operator !== undefined) return fallback ?? "";
      return whole;
    },
  );
}

/** Substitutes every string value in a parsed document (keys are left alone, as in Flux). */
export function substituteValue(value: unknown, variables: Variables): unknown {
  if (typeof value === "string") return substituteString(value, variables);
  if (Array.isArray(value)) return value.map((item: unknown) => substituteValue(item, variables));
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = substituteValue(item, variables);
    return result;
  }
  return value;
}
