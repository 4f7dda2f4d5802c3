// OpenAPI v3 documents (/openapi/v3 and one per group/version), enough for kubectl: `kubectl apply` and
// `create` ask them whether a kind's PATCH accepts the `fieldValidation` query parameter; when it does,
// kubectl sends fieldValidation=Strict and leaves validation to the server instead of downloading the
// OpenAPI v2 document (client-go reads v2 only as protobuf, which the sandbox does not serve; /openapi/v2
// answers 404 and kubectl does not need it). Flux kinds carry their CRD schemas (src/sandbox/schemas/,
// copied from the Flux CRDs) so `kubectl explain` works; built-in kinds get an open object schema.
import { createHash } from "node:crypto";
import { crdSchema, onSchemasChanged } from "./crd-schemas.js";
import { RESOURCES, apiVersionOf } from "./resources.js";
import type { JsonObject } from "./json.js";
import type { ResourceDef } from "./resource-def.js";

const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

function componentName(def: ResourceDef, version: string): string {
  if (def.custom) return `${def.group.split(".").reverse().join(".")}.${version}.${def.kind}`;
  const pkg = def.group ? def.group.replace(/\.k8s\.io$/, "").replace(/\./g, "") : "core";
  return `io.k8s.api.${pkg}.${version}.${def.kind}`;
}

function withObjectMeta(schema: JsonObject): JsonObject {
  const properties = { ...((schema.properties as JsonObject | undefined) ?? {}) };
  properties.metadata = { allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }], default: {}, description: "Standard object's metadata." };
  return { ...schema, properties };
}

function queryParam(name: string, description: string, type = "string"): JsonObject {
  return { name, in: "query", description, schema: { type, uniqueItems: true } };
}

const WRITE_PARAMS = [
  queryParam("dryRun", "When present, indicates that modifications should not be persisted. Valid value: All"),
  queryParam("fieldManager", "A name associated with the actor or entity that is making these changes."),
  queryParam("fieldValidation", "Ignore, Warn or Strict: how the server handles unknown or duplicate fields."),
];

function patchContentTypes(def: ResourceDef): string[] {
  const types = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];
  // Strategic merge patch is not offered for custom resources, like a CRD's published OpenAPI.
  // It is not advertised for built-in kinds either: kubectl then computes it from its compiled-in types.
  void def;
  return types;
}

function operations(def: ResourceDef, version: string, ref: string, subresource?: string): JsonObject {
  const gvk = { group: def.group, version, kind: def.kind };
  const body = (types: string[]): JsonObject => ({ content: Object.fromEntries(types.map((t) => [t, { schema: { $ref: ref } }])), required: true });
  const ok = { "200": { description: "OK", content: { "application/json": { schema: { $ref: ref } } } } };
  const suffix = subresource ? `${def.kind}Status` : def.kind;
  const ops: JsonObject = {
    get: { operationId: `read${suffix}`, "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk, responses: ok },
    put: { operationId: `replace${suffix}`, "x-kubernetes-action": "put", "x-kubernetes-group-version-kind": gvk, parameters: WRITE_PARAMS, requestBody: body(["*/*"]), responses: ok },
    patch: {
      operationId: `patch${suffix}`,
      "x-kubernetes-action": "patch",
      "x-kubernetes-group-version-kind": gvk,
      parameters: [...WRITE_PARAMS, queryParam("force", "Force is going to \"force\" Apply requests.", "boolean")],
      requestBody: { content: Object.fromEntries(patchContentTypes(def).map((t) => [t, { schema: { type: "object" } }])), required: true },
      responses: ok,
    },
  };
  if (!subresource) ops.delete = { operationId: `delete${def.kind}`, "x-kubernetes-action": "delete", "x-kubernetes-group-version-kind": gvk, responses: ok };
  return ops;
}

function groupVersionDocument(group: string, version: string): JsonObject {
  const defs = RESOURCES.filter((r) => r.group === group && r.versions.includes(version));
  const schemas: JsonObject = {
    [OBJECT_META]: {
      type: "object",
      description: "ObjectMeta is metadata that all persisted resources must have.",
      properties: {
        name: { type: "string" },
        generateName: { type: "string" },
        namespace: { type: "string" },
        labels: { type: "object", additionalProperties: { type: "string", default: "" } },
        annotations: { type: "object", additionalProperties: { type: "string", default: "" } },
        finalizers: { type: "array", items: { type: "string", default: "" }, "x-kubernetes-list-type": "set" },
        uid: { type: "string" },
        resourceVersion: { type: "string" },
        generation: { type: "integer", format: "int64" },
        creationTimestamp: { type: "string", format: "date-time" },
        deletionTimestamp: { type: "string", format: "date-time" },
        ownerReferences: { type: "array", items: { type: "object" } },
        managedFields: { type: "array", items: { type: "object" } },
      },
    },
  };
  const paths: JsonObject = {};
  for (const def of defs) {
    const name = componentName(def, version);
    const crd = crdSchema(def, version);
    const base: JsonObject = crd ? withObjectMeta(crd) : { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { metadata: { allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }], default: {} } } };
    schemas[name] = { ...base, "x-kubernetes-group-version-kind": [{ group: def.group, kind: def.kind, version }] };
    const ref = `#/components/schemas/${name}`;
    const prefix = def.group ? `/apis/${def.group}/${version}` : `/api/${version}`;
    const collection = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.resource}` : `${prefix}/${def.resource}`;
    const gvk = { group: def.group, version, kind: def.kind };
    paths[collection] = {
      get: { operationId: `list${def.kind}`, "x-kubernetes-action": "list", "x-kubernetes-group-version-kind": gvk, responses: { "200": { description: "OK" } } },
      post: { operationId: `create${def.kind}`, "x-kubernetes-action": "post", "x-kubernetes-group-version-kind": gvk, parameters: WRITE_PARAMS, responses: { "201": { description: "Created" } } },
    };
    paths[`${collection}/{name}`] = operations(def, version, ref);
    if (def.statusSubresource) paths[`${collection}/{name}/status`] = operations(def, version, ref, "status");
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.35.0" }, paths, components: { schemas } };
}

interface OpenApiV3 {
  /** GET /openapi/v3 */
  index: JsonObject;
  /** Documents by path after /openapi/v3/ (e.g. `apis/helm.toolkit.fluxcd.io/v2`). */
  documents: Map<string, { body: string; hash: string }>;
}

let cached: OpenApiV3 | undefined;
onSchemasChanged(() => {
  cached = undefined;
});

export function openApiV3(): OpenApiV3 {
  if (cached) return cached;
  const documents = new Map<string, { body: string; hash: string }>();
  const gvs = new Set<string>();
  for (const def of RESOURCES) for (const v of def.versions) gvs.add(`${def.group}|${v}`);
  for (const gv of gvs) {
    const [group = "", version = ""] = gv.split("|");
    const body = JSON.stringify(groupVersionDocument(group, version));
    const hash = createHash("sha512").update(body).digest("hex").toUpperCase();
    documents.set(group ? `apis/${apiVersionOf(group, version)}` : `api/${version}`, { body, hash });
  }
  const paths: JsonObject = {};
  for (const [path, doc] of documents) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
  cached = { index: { paths }, documents };
  return cached;
}
