// The JSON boundary: the one guard for "a JSON object" (docs/architecture.md, "Runtime"). Untrusted
// JSON is narrowed with it once, where it enters, and handled as typed values after.

export type JsonObject = Record<string, unknown>;

/** A JSON object (a mapping): not null, not an array. */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
