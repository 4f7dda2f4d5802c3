// The shape of an object as JSON carries it, before the sandbox knows its kind.
export type JsonObject = Record<string, unknown>;

/** A JSON object (not null, not an array): the one guard the sandbox uses at its JSON edges. */
export function isRecord(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
