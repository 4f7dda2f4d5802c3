// The edge of the webhook: an untrusted request body parsed once into a typed AdmissionReview v1
// request for a Flux object, or a one-line error naming the offending field (answered with HTTP 400).
// Everything after this file handles typed values only.
//
// kube-apiserver sends `admission.k8s.io/v1` when the webhook lists v1 in admissionReviewVersions
// (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request).
// It validates the object against the CRD schema before calling validating webhooks, so a malformed
// dependsOn here is a broken client, not a user mistake: it is a 400 too.
import { decodeFluxObject, fieldName } from "../flux/decode.js";
import { ALL_FLUX_KINDS, FLUX_KIND_INFO, fluxKindOfResource } from "../flux/kinds.js";
import type { FluxKind, FluxObject } from "../graph/types.js";
import { isRecord } from "../runtime/json.js";
import type { JsonObject } from "../runtime/json.js";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
const OPERATIONS: readonly AdmissionOperation[] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

/** One AdmissionReview request about a Flux object, typed. */
export interface AdmissionRequest {
  uid: string;
  kind: FluxKind;
  /** The API version of request.resource, e.g. v2beta2 (one of FLUX_KIND_INFO[kind].versions when known). */
  version: string;
  operation: AdmissionOperation;
  namespace: string;
  /** The object's name (request.name, else the object's metadata.name). */
  name: string;
  /** "status" for the /status subresource; undefined for the object itself. */
  subResource?: string;
  dryRun: boolean;
  /** The object as it would be stored (CREATE, UPDATE). Namespace and name filled from the request. */
  object?: FluxObject;
  /** The object as stored now (UPDATE, DELETE). */
  oldObject?: FluxObject;
  /** request.userInfo.username: who asks (the namespace controller, a person, Flux…). */
  username?: string;
  /** A ResourceSet's object as sent (CREATE, UPDATE): what it generates is expanded from it (generated-objects.ts). */
  rawObject?: JsonObject;
}

type ParseResult = { ok: true; request: AdmissionRequest } | { ok: false; error: string };

type Json = JsonObject;

class ReviewError extends Error {}

/** A received value, shown short in an error message. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? "nothing";
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fail(message: string): never {
  throw new ReviewError(message);
}

function requiredString(parent: Json, field: string, path: string): string {
  const value = parent[field];
  if (typeof value !== "string" || value === "") fail(`${path} must be a non-empty string`);
  return value;
}

function optionalString(parent: Json, field: string, path: string): string | undefined {
  const value = parent[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") fail(`${path} must be a string`);
  return value;
}

function expectedResources(): string {
  return ALL_FLUX_KINDS.map((kind) => FLUX_KIND_INFO[kind])
    .map((f) => `${f.resource}.${f.group} ${f.versions.join("/")}`)
    .join(" or ");
}

function parseObject(value: unknown, path: string, kind: FluxKind, namespace: string, requestName: string): FluxObject {
  if (!isRecord(value)) fail(`${path} must be an object`);
  const objectKind = optionalString(value, "kind", `${path}.kind`);
  if (objectKind !== undefined && objectKind !== kind) fail(`${path}.kind is ${objectKind}, expected ${kind}`);
  const metadata = value.metadata;
  if (metadata !== undefined && metadata !== null && !isRecord(metadata)) fail(`${path}.metadata must be an object`);
  if (isRecord(metadata)) {
    const ns = optionalString(metadata, "namespace", `${path}.metadata.namespace`);
    if (ns !== undefined && ns !== "" && ns !== namespace) fail(`${path}.metadata.namespace is ${ns}, but request.namespace is ${namespace}`);
    optionalString(metadata, "name", `${path}.metadata.name`);
  }
  // The one decoder, strict: the first structural mistake in what releasegate reads is the answer.
  const obj = decodeFluxObject(kind, value, { namespace, onError: (field, problem) => fail(`${path}.${fieldName(field)} ${problem}`) });
  if (obj.name === "") obj.name = requestName;
  if (obj.name === "") fail(`${path}.metadata.name and request.name are both empty`);
  return obj;
}

function parseRequest(body: unknown): AdmissionRequest {
  if (!isRecord(body)) fail("body must be a JSON object (an AdmissionReview)");
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    fail(`apiVersion must be ${ADMISSION_API_VERSION}, got ${show(body.apiVersion)}`);
  }
  if (body.kind !== "AdmissionReview") fail(`kind must be AdmissionReview, got ${show(body.kind)}`);
  const request = body.request;
  if (!isRecord(request)) fail("request must be an object");
  const uid = requiredString(request, "uid", "request.uid");

  const resource = request.resource;
  if (!isRecord(resource)) fail("request.resource must be an object {group, version, resource}");
  const group = optionalString(resource, "group", "request.resource.group") ?? "";
  const version = requiredString(resource, "version", "request.resource.version");
  const plural = requiredString(resource, "resource", "request.resource.resource");
  const kind = fluxKindOfResource(group, plural);
  if (kind === undefined) fail(`request.resource ${plural}.${group} is not ${expectedResources()}; fix the webhook's rules`);
  // A version releasegate does not know (a future Flux API) is parsed all the same: the decision
  // allows it unchecked with a warning rather than failing every write through failurePolicy.

  // request.kind is the kind of the object as sent (it may differ in version from request.resource
  // under matchPolicy: Equivalent); it must be the same Flux kind.
  const gvk = request.kind;
  if (!isRecord(gvk)) fail("request.kind must be an object {group, version, kind}");
  const kindName = requiredString(gvk, "kind", "request.kind.kind");
  const kindGroup = optionalString(gvk, "group", "request.kind.group") ?? "";
  if (kindName !== kind || kindGroup !== FLUX_KIND_INFO[kind].group) {
    fail(`request.kind ${kindGroup}/${kindName} does not match request.resource ${plural}.${group}`);
  }
  requiredString(gvk, "version", "request.kind.version");

  const operation = request.operation;
  if (typeof operation !== "string" || !(OPERATIONS as readonly string[]).includes(operation)) {
    fail(`request.operation must be one of ${OPERATIONS.join(", ")}`);
  }
  const op = operation as AdmissionOperation;
  const namespace = requiredString(request, "namespace", "request.namespace");
  const requestName = optionalString(request, "name", "request.name") ?? "";
  const subResource = optionalString(request, "subResource", "request.subResource");
  const dryRun = request.dryRun;
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== "boolean") fail("request.dryRun must be a boolean");
  let username: string | undefined;
  const userInfo = request.userInfo;
  if (userInfo !== undefined && userInfo !== null) {
    if (!isRecord(userInfo)) fail("request.userInfo must be an object");
    username = optionalString(userInfo, "username", "request.userInfo.username");
  }

  const hasObject = request.object !== undefined && request.object !== null;
  const hasOldObject = request.oldObject !== undefined && request.oldObject !== null;
  if ((op === "CREATE" || op === "UPDATE") && !hasObject && subResource === undefined) fail(`request.object is required for ${op}`);
  if (op === "UPDATE" && !hasOldObject && subResource === undefined) fail("request.oldObject is required for UPDATE");
  const object = hasObject ? parseObject(request.object, "request.object", kind, namespace, requestName) : undefined;
  const oldObject = hasOldObject ? parseObject(request.oldObject, "request.oldObject", kind, namespace, requestName) : undefined;
  const name = requestName !== "" ? requestName : (object?.name ?? oldObject?.name ?? "");
  if (name === "") fail("request.name is empty and the request carries no object to take it from");

  const parsed: AdmissionRequest = { uid, kind, version, operation: op, namespace, name, dryRun: dryRun === true };
  if (subResource !== undefined && subResource !== "") parsed.subResource = subResource;
  if (object !== undefined) parsed.object = object;
  if (oldObject !== undefined) parsed.oldObject = oldObject;
  if (username !== undefined && username !== "") parsed.username = username;
  if (kind === "ResourceSet" && object !== undefined && isRecord(request.object)) parsed.rawObject = request.object;
  return parsed;
}

/** Parses an already JSON-decoded body. Never throws. */
export function parseAdmissionReview(body: unknown): ParseResult {
  try {
    return { ok: true, request: parseRequest(body) };
  } catch (error) {
    if (error instanceof ReviewError) return { ok: false, error: `not a valid AdmissionReview: ${error.message}` };
    return { ok: false, error: `not a valid AdmissionReview: ${error instanceof Error ? error.message : String(error)}` };
  }
}
