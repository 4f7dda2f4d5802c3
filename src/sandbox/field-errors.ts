// Field errors as kube-apiserver reports them in a 422 Invalid Status (apimachinery/pkg/util/validation/field,
// errors.go ErrorBody): the cause types and the Go renderings of the bad value (strconv.Quote, slices).

/** A field.Error as it appears in Status details.causes: `reason` is the CauseType, `message` the ErrorBody. */
export interface FieldError {
  field: string;
  message: string;
  reason: "FieldValueRequired" | "FieldValueInvalid" | "FieldValueNotSupported" | "FieldValueDuplicate" | "FieldValueForbidden" | "FieldValueTooMany";
}

/** strconv.Quote: Go's double-quoted string with Go escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\v") out += "\\v";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if ((code >= 0x80 && code < 0xa0) || code === 0xfffd) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A Go slice printed with %#v, e.g. `[]string{"a", "b"}`. */
export function goSlice(goType: string, items: readonly string[]): string {
  return `${goType}{${items.map(goQuote).join(", ")}}`;
}

type BadValue = string | number | { go: string };

function render(value: BadValue): string {
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number") return String(value);
  return value.go;
}

export const required = (field: string, detail = ""): FieldError => ({ field, reason: "FieldValueRequired", message: detail ? `Required value: ${detail}` : "Required value" });
export const invalid = (field: string, value: BadValue, detail: string): FieldError => ({ field, reason: "FieldValueInvalid", message: `Invalid value: ${render(value)}: ${detail}` });
export const notSupported = (field: string, value: BadValue, valid: readonly string[]): FieldError => ({
  field,
  reason: "FieldValueNotSupported",
  message: `Unsupported value: ${render(value)}: supported values: ${valid.map(goQuote).join(", ")}`,
});
export const duplicate = (field: string, value: string): FieldError => ({ field, reason: "FieldValueDuplicate", message: `Duplicate value: ${goQuote(value)}` });
export const forbidden = (field: string, detail: string): FieldError => ({ field, reason: "FieldValueForbidden", message: `Forbidden: ${detail}` });
export const tooMany = (field: string, actual: number, max: number): FieldError => ({ field, reason: "FieldValueTooMany", message: `Too many: ${actual}: must have at most ${max} items` });
