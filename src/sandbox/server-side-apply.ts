// Server-side apply (PATCH application/apply-patch+yaml): the applied configuration is merged into the
// live object; an object that does not exist is created. Field ownership is tracked in
// metadata.managedFields by managed-fields.ts.
import type { Registry, RequestScope, WriteResult } from "./registry.js";
import type { JsonObject } from "./resources.js";
import { apiVersionOf } from "./resources.js";
import { badRequest } from "./status.js";

export interface ApplyOptions {
  manager: string;
  force: boolean;
  options: JsonObject;
}

function isMap(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Maps merge; lists and scalars in the applied configuration replace (custom resource lists are atomic). */
function mergeApplied(live: unknown, applied: unknown): unknown {
  if (!isMap(applied) || !isMap(live)) return structuredClone(applied);
  const out: JsonObject = { ...live };
  for (const [k, v] of Object.entries(applied)) {
    if (v === null) delete out[k];
    else out[k] = mergeApplied(out[k], v);
  }
  return out;
}

export async function serverSideApply(registry: Registry, scope: RequestScope, body: unknown, apply: ApplyOptions): Promise<WriteResult> {
  if (!isMap(body)) throw badRequest("error decoding YAML: the applied configuration must be an object");
  const expected = apiVersionOf(scope.def.group, scope.version);
  if (body.apiVersion !== expected || body.kind !== scope.def.kind) {
    throw badRequest(`invalid object type: /${expected}, Kind=${String(body.kind ?? "")}: apiVersion and kind of the applied configuration must match the request (${expected}, ${scope.def.kind})`);
  }
  const meta = isMap(body.metadata) ? body.metadata : {};
  if (meta.name !== undefined && meta.name !== scope.name) {
    throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${String(scope.name)})`);
  }
  return registry.guaranteedUpdate(
    scope,
    (current) => {
      if (!current) return { object: structuredClone(body), options: { ...apply.options, kind: "CreateOptions" } };
      return { object: mergeApplied(current, body) as JsonObject, options: { ...apply.options, kind: "PatchOptions" } };
    },
    { allowCreate: true },
  );
}
