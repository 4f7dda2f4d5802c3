// Whether a webhook is called for a write, as kube-apiserver decides it (k8s.io/apiserver/pkg/admission/
// plugin/webhook: predicates/rules, predicates/namespace, predicates/object, matchconditions, generic
// ShouldCallHook), including the exemption of admission configuration itself.
import { LabelSelectorError, matchesLabelSelector, type LabelSelector } from "./label-selector.js";
import { celRequest, evaluateMatchConditions } from "./match-conditions.js";
import { versioner } from "./admission-review-request.js";
import type { Converter } from "./admission-review-request.js";
import type { AdmissionAttributes, AdmissionStatus, GroupVersionResource } from "./admission-types.js";
import { isRecord } from "./json.js";
import type { Invocation, JsonRecord, Rule, Webhook } from "./webhook-definitions.js";

export function isNamespaceResource(r: GroupVersionResource): boolean {
  return r.group === "" && r.version === "v1" && r.resource === "namespaces";
}

function exactOrWildcard(items: string[], requested: string): boolean {
  return items.some((item) => item === "*" || item === requested);
}

/**
 * rules.Matcher: scope, operation, group, version and resource must all match. `"*"` matches every
 * resource but no subresource; `"pods/*"`, `"*\/status"` and `"*\/*"` name subresources explicitly.
 */
function ruleMatches(rule: Rule, resource: GroupVersionResource, subResource: string, operation: string, namespace: string): boolean {
  let scope: boolean;
  if (rule.scope === "*") scope = true;
  // Namespace objects are cluster-scoped even though their requests carry a namespace (their own name).
  else if (rule.scope === "Namespaced") scope = !isNamespaceResource(resource) && namespace !== "";
  else if (rule.scope === "Cluster") scope = isNamespaceResource(resource) || namespace === "";
  else scope = false;
  if (!scope) return false;
  if (!rule.operations.some((op) => op === "*" || op === operation)) return false;
  if (!exactOrWildcard(rule.apiGroups, resource.group)) return false;
  if (!exactOrWildcard(rule.apiVersions, resource.version)) return false;
  return rule.resources.some((entry) => {
    const slash = entry.indexOf("/");
    const res = slash >= 0 ? entry.slice(0, slash) : entry;
    const sub = slash >= 0 ? entry.slice(slash + 1) : "";
    return (res === "*" || res === resource.resource) && (sub === "*" || sub === subResource);
  });
}

function labelsOf(object: unknown): Record<string, string> | undefined {
  if (!isRecord(object)) return undefined;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string"));
}

function isEmptySelector(s: LabelSelector | undefined): boolean {
  return !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);
}

type MatchResult = { matches: boolean; error?: AdmissionStatus };

export function internalError(message: string): AdmissionStatus {
  return { code: 500, reason: "InternalError", message: `Internal error occurred: ${message}`, details: { causes: [{ message }] } };
}

function selectorMatch(selector: LabelSelector, labels: Record<string, string>): MatchResult {
  try {
    return { matches: matchesLabelSelector(selector, labels) };
  } catch (e) {
    if (e instanceof LabelSelectorError) return { matches: false, error: internalError(e.message) };
    throw e;
  }
}

/**
 * namespace.Matcher: cluster-scoped objects other than Namespaces always match; a Namespace is judged by its
 * own labels (the new object on CREATE/UPDATE, the stored one otherwise); anything else by its namespace's
 * labels, and a missing namespace is a 404 (kept by kube-apiserver "for backwards compatibility").
 */
function namespaceSelectorMatch(h: Webhook, attrs: AdmissionAttributes, namespace: string): MatchResult {
  if (namespace === "" && attrs.resource.resource !== "namespaces") return { matches: true };
  if (isEmptySelector(h.namespaceSelector)) return { matches: true };
  let labels: Record<string, string> | undefined;
  if (attrs.resource.resource === "namespaces" && !attrs.subResource && (attrs.operation === "CREATE" || attrs.operation === "UPDATE")) {
    labels = labelsOf(attrs.object) ?? {};
  } else {
    labels = attrs.namespaceLabels ?? (attrs.resource.resource === "namespaces" ? labelsOf(attrs.oldObject) : undefined);
  }
  if (!labels) {
    return {
      matches: false,
      error: { code: 404, reason: "NotFound", message: `namespaces "${namespace}" not found`, details: { name: namespace, kind: "namespaces" } },
    };
  }
  return selectorMatch(h.namespaceSelector as LabelSelector, labels);
}

/** object.Matcher: the selector matches if the object or the old object matches; a missing object never does. */
function objectSelectorMatch(h: Webhook, attrs: AdmissionAttributes): MatchResult {
  if (isEmptySelector(h.objectSelector)) return { matches: true };
  const selector = h.objectSelector as LabelSelector;
  for (const candidate of [attrs.object, attrs.oldObject]) {
    const labels = labelsOf(candidate);
    if (!labels) continue;
    const result = selectorMatch(selector, labels);
    if (result.error || result.matches) return result;
  }
  return { matches: false };
}

function gvrString(r: GroupVersionResource): string {
  return `${r.group}/${r.version}, Resource=${r.resource}`;
}

/** apierrors.NewForbidden for the requested resource, as ShouldCallHook returns for failed matchConditions. */
function forbidden(attrs: AdmissionAttributes, why: string): AdmissionStatus {
  const { group, resource } = attrs.resource;
  const qualified = group ? `${resource}.${group}` : resource;
  const details: JsonRecord = {};
  if (attrs.name) details.name = attrs.name;
  if (group) details.group = group;
  details.kind = resource;
  const subject = attrs.name ? `${qualified} ${JSON.stringify(attrs.name)}` : qualified;
  return { code: 403, reason: "Forbidden", message: `${subject} is forbidden: ${why}`, details };
}

/**
 * matchConditions, last of ShouldCallHook's checks: evaluated against the objects in the version the
 * webhook matched (VersionedAttributes) and the request as CEL sees it. A false condition skips the
 * webhook; errors refuse the request with 403 Forbidden under failurePolicy Fail and skip it under Ignore.
 */
function matchConditionsAllow(inv: Invocation, attrs: AdmissionAttributes, namespace: string, convert: Converter): true | undefined | AdmissionStatus {
  const h = inv.webhook;
  if (h.matchConditions.length === 0) return true;
  const request = celRequest({
    kind: attrs.kind,
    resource: attrs.resource,
    subResource: attrs.subResource,
    name: attrs.name,
    namespace,
    operation: attrs.operation,
    userInfo: attrs.userInfo,
    dryRun: attrs.dryRun,
    options: attrs.options,
  });
  const version = versioner(inv, attrs, convert);
  const result = evaluateMatchConditions(h.matchConditions, { object: version(attrs.object), oldObject: version(attrs.oldObject), request }, h.ignoreFailures);
  if (result.matches) return true;
  if ("error" in result) return forbidden(attrs, result.error);
  return undefined;
}

/** ShouldCallHook: the invocation (possibly for an equivalent version), nothing, or an error for the request. */
export function shouldCallHook(h: Webhook, attrs: AdmissionAttributes, namespace: string, convert: Converter): Invocation | undefined | AdmissionStatus {
  const ns = namespaceSelectorMatch(h, attrs, namespace);
  if (!ns.matches && !ns.error) return undefined;
  const obj = objectSelectorMatch(h, attrs);
  if (!obj.matches && !obj.error) return undefined;

  const sub = attrs.subResource ?? "";
  let invocation: Invocation | undefined;
  if (h.rules.some((r) => ruleMatches(r, attrs.resource, sub, attrs.operation, namespace))) {
    invocation = { webhook: h, resource: attrs.resource, kind: attrs.kind };
  }
  if (!invocation && h.matchEquivalent) {
    // Earlier rules win; within a rule, the first served equivalent version that matches.
    outer: for (const rule of h.rules) {
      for (const eq of attrs.equivalentResources ?? []) {
        const resource = { group: eq.group, version: eq.version, resource: eq.resource };
        if (resource.group === attrs.resource.group && resource.version === attrs.resource.version && resource.resource === attrs.resource.resource) continue;
        if (ruleMatches(rule, resource, sub, attrs.operation, namespace)) {
          if (!eq.kind) return internalError(`unable to convert to ${gvrString(resource)}: unknown kind`);
          invocation = { webhook: h, resource, kind: { group: eq.group, version: eq.version, kind: eq.kind } };
          break outer;
        }
      }
    }
  }
  if (!invocation) return undefined;
  if (ns.error) return ns.error;
  if (obj.error) return obj.error;
  const conditions = matchConditionsAllow(invocation, attrs, namespace, convert);
  return conditions === true ? invocation : conditions;
}

// The webhooks never see writes to admission configuration itself, so a broken webhook cannot lock it out.
export const EXEMPT_KINDS = new Set([
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
]);
