// The `fieldSelector` query parameter of list/watch (k8s.io/apimachinery/pkg/fields): comma-separated
// `field=value`, `field==value` or `field!=value` terms, ANDed. Every resource supports metadata.name and
// metadata.namespace; some add their own (https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/).
// An unsupported field is a 400 BadRequest, as for custom resources without selectableFields.
import type { JsonObject } from "./json.js";
import { badRequest } from "./status.js";

interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

type FieldGetter = (obj: JsonObject) => string | undefined;

// Values may escape `\`, `,` and `=` with a backslash (fields.EscapeValue).
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let current = "";
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i] as string;
    if (c === "\\" && i + 1 < selector.length) {
      current += c + (selector[i + 1] as string);
      i++;
    } else if (c === ",") {
      terms.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  terms.push(current);
  return terms.filter((t) => t.length > 0);
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, "$1");
}

/** Parses a fieldSelector string; throws a 400 StatusError on bad syntax. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  return splitTerms(selector).map((term) => {
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field = "", op, value = ""] = m;
    return { field: field.trim(), operator: op === "!=" ? "!=" : "=", value: unescape(value) };
  });
}

/**
 * A matcher for parsed requirements. `extra` maps the resource's own selectable fields to getters;
 * naming any other field throws a 400 naming the field, like kube-apiserver's
 * `field label not supported: <field>`.
 */
export function fieldMatcher(requirements: FieldRequirement[], extra: Readonly<Record<string, FieldGetter>> = {}): (obj: JsonObject) => boolean {
  const getters = requirements.map((req) => {
    const getter = getterFor(req.field, extra);
    if (!getter) throw badRequest(`field label not supported: ${req.field}`);
    return { req, getter };
  });
  return (obj) =>
    getters.every(({ req, getter }) => {
      const actual = getter(obj) ?? "";
      return req.operator === "=" ? actual === req.value : actual !== req.value;
    });
}

function getterFor(field: string, extra: Readonly<Record<string, FieldGetter>>): FieldGetter | undefined {
  if (field === "metadata.name") return (o) => (o.metadata as JsonObject | undefined)?.name as string | undefined;
  if (field === "metadata.namespace") return (o) => (o.metadata as JsonObject | undefined)?.namespace as string | undefined;
  return extra[field];
}

/** The single name a selector pins with `metadata.name=x` (kubectl's wait and client-go's single-object watches). */
export function pinnedName(requirements: FieldRequirement[]): string | undefined {
  return requirements.find((r) => r.field === "metadata.name" && r.operator === "=")?.value;
}
