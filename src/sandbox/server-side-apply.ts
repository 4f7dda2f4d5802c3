// Server-side apply (PATCH application/apply-patch+yaml, https://kubernetes.io/docs/reference/using-api/server-side-apply/):
// the body is the manager's whole intent for the object. It is merged into the live object with field
// ownership (managed-fields.ts): conflicts with other managers are a 409 unless force=true, fields the
// manager stopped applying are removed, and an object that does not exist is created.
import { applyConfiguration } from "./managed-fields.js";
import type { Registry, RequestScope, WriteResult } from "./registry.js";
import type { JsonObject } from "./json.js";
import { apiVersionOf } from "./resources.js";
import { badRequest } from "./status.js";

interface ApplyOptions {
  manager: string;
  force: boolean;
  options: JsonObject;
}

function isMap(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export async function serverSideApply(registry: Registry, scope: RequestScope, body: unknown, apply: ApplyOptions): Promise<WriteResult> {
  if (!isMap(body)) throw badRequest("error decoding YAML: the applied configuration must be an object");
  const expected = apiVersionOf(scope.def.group, scope.version);
  if (body.apiVersion !== expected || body.kind !== scope.def.kind) {
    throw badRequest(`invalid object type: ${String(body.apiVersion ?? "")}, Kind=${String(body.kind ?? "")}: the applied configuration must be a ${scope.def.kind} of ${expected}`);
  }
  const meta = isMap(body.metadata) ? body.metadata : {};
  if (meta.name !== undefined && meta.name !== scope.name) {
    throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${String(scope.name)})`);
  }
  if (meta.namespace !== undefined && meta.namespace !== "" && scope.namespace !== undefined && meta.namespace !== scope.namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  const who = { manager: apply.manager, apiVersion: expected, force: apply.force, hasStatusSubresource: scope.def.statusSubresource, ...(scope.subresource ? { subresource: scope.subresource } : {}) };
  return registry.guaranteedUpdate(
    { ...scope, fieldManager: apply.manager },
    (current) => {
      const { object, managedFields } = applyConfiguration(current, body, who);
      const kind = current ? "PatchOptions" : "CreateOptions";
      return { object, managedFields, options: { ...apply.options, kind, ...(apply.force ? { force: true } : {}) } };
    },
    { allowCreate: true },
  );
}
