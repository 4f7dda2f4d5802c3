// The AdmissionReview sent to a webhook (request/admissionreview.go CreateV1AdmissionReview): the request
// fields kube-apiserver fills, objects converted to the version the webhook's rule matched.
import type { AdmissionAttributes, GroupVersionKind } from "./admission-types.js";
import { isRecord } from "./json.js";
import type { Invocation, JsonRecord } from "./webhook-definitions.js";

function apiVersionOf(gvk: GroupVersionKind): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

export type Converter = (object: unknown, to: GroupVersionKind) => unknown;

export function defaultConvert(object: unknown, to: GroupVersionKind): unknown {
  return isRecord(object) ? { ...object, apiVersion: apiVersionOf(to) } : object;
}

/** VersionedAttributes: objects in the version the webhook matched, converted if that differs; absent is null. */
export function versioner(inv: Invocation, attrs: AdmissionAttributes, convert: Converter): (o: unknown) => unknown {
  const converted = inv.kind.group !== attrs.kind.group || inv.kind.version !== attrs.kind.version || inv.kind.kind !== attrs.kind.kind;
  return (o) => (o === undefined || o === null ? null : converted ? convert(o, inv.kind) : o);
}

export function buildReview(
  uid: string,
  reviewVersion: string,
  inv: Invocation,
  attrs: AdmissionAttributes,
  namespace: string,
  convert: Converter,
): JsonRecord {
  const version = versioner(inv, attrs, convert);
  const sub = attrs.subResource ?? "";
  const userInfo: JsonRecord = {};
  // authenticationv1.UserInfo: every field is omitempty.
  if (attrs.userInfo.username) userInfo.username = attrs.userInfo.username;
  if (attrs.userInfo.uid) userInfo.uid = attrs.userInfo.uid;
  if (attrs.userInfo.groups.length > 0) userInfo.groups = attrs.userInfo.groups;
  const request: JsonRecord = {
    uid,
    kind: { group: inv.kind.group, version: inv.kind.version, kind: inv.kind.kind },
    resource: { group: inv.resource.group, version: inv.resource.version, resource: inv.resource.resource },
  };
  if (sub) request.subResource = sub;
  request.requestKind = { group: attrs.kind.group, version: attrs.kind.version, kind: attrs.kind.kind };
  request.requestResource = { group: attrs.resource.group, version: attrs.resource.version, resource: attrs.resource.resource };
  if (sub) request.requestSubResource = sub;
  if (attrs.name) request.name = attrs.name;
  if (namespace) request.namespace = namespace;
  request.operation = attrs.operation;
  request.userInfo = userInfo;
  // RawExtension fields are never omitted: an absent object is JSON null (object on DELETE, oldObject on CREATE).
  request.object = version(attrs.object);
  request.oldObject = version(attrs.oldObject);
  request.dryRun = attrs.dryRun;
  request.options = attrs.options ?? null;
  return { kind: "AdmissionReview", apiVersion: `admission.k8s.io/${reviewVersion}`, request };
}
