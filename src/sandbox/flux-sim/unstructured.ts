// Reading the few fields the simulated Flux needs from an object as the API returns it (plain JSON),
// without any of releasegate's own decoders: the simulator is an independent oracle (src/sandbox/README.md).

export type Json = Record<string, unknown>;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export function isJson(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function field(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (!isJson(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function stringField(obj: unknown, ...path: string[]): string | undefined {
  const v = field(obj, ...path);
  return typeof v === "string" ? v : undefined;
}

export function numberField(obj: unknown, ...path: string[]): number | undefined {
  const v = field(obj, ...path);
  return typeof v === "number" ? v : undefined;
}

interface ObjectId {
  namespace: string;
  name: string;
}

export function idOf(obj: unknown): ObjectId {
  return { namespace: stringField(obj, "metadata", "namespace") ?? "", name: stringField(obj, "metadata", "name") ?? "" };
}

export function annotation(obj: unknown, key: string): string | undefined {
  return stringField(obj, "metadata", "annotations", key);
}

function conditions(obj: unknown): Condition[] {
  const list = field(obj, "status", "conditions");
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is Condition => isJson(c) && typeof c.type === "string" && typeof c.status === "string");
}

export function condition(obj: unknown, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

/** metadata.generation equals status.observedGeneration (both absent counts as equal only when generation is). */
export function observedCurrentGeneration(obj: unknown): boolean {
  return numberField(obj, "metadata", "generation") === numberField(obj, "status", "observedGeneration");
}
