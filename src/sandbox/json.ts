// The shape of an object as JSON carries it, before the sandbox knows its kind.
export type JsonObject = Record<string, unknown>;
