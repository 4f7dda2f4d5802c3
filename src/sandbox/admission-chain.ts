// The validating admission chain of the sandbox API server: for a write, call every matching webhook of the
// registered admissionregistration.k8s.io/v1 ValidatingWebhookConfigurations over HTTPS, in parallel, and
// decide as kube-apiserver does. Behaviour and wording follow k8s.io/apiserver/pkg/admission/plugin/webhook
// (generic/webhook.go ShouldCallHook, predicates/{rules,namespace,object}, matchconditions (see
// match-conditions.ts), validating/dispatcher.go, request/admissionreview.go, errors/statuserror.go) and the
// "Dynamic Admission Control" documentation.
// The server calls `runValidatingAdmission` for every create/update/delete (dry-run included) and turns a
// denial into the Status it answers; `warningHeaderValues` renders warnings as kube-apiserver's recorder does.
import { randomUUID, X509Certificate } from "node:crypto";
import https from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { LabelSelectorError, matchesLabelSelector, type LabelSelector } from "./label-selector.js";
import { celRequest, evaluateMatchConditions, type MatchCondition } from "./match-conditions.js";

// ---------------------------------------------------------------------------------------------------
// Public interface (fixed: the API server codes against it)
// ---------------------------------------------------------------------------------------------------

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionAttributes {
  operation: "CREATE" | "UPDATE" | "DELETE";
  /** As requested by the client. */
  resource: GroupVersionResource;
  subResource?: string;
  kind: GroupVersionKind;
  /** The object's namespace; for a Namespace object kube-apiserver uses the namespace's own name (defaulted here). */
  namespace?: string;
  name: string;
  /** The new object (absent for DELETE). */
  object?: unknown;
  /** The stored object, for UPDATE and DELETE. */
  oldObject?: unknown;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions as sent. */
  options?: unknown;
  userInfo: { username: string; uid?: string; groups: string[] };
  /** Labels of the object's namespace (for namespaceSelector); absent when the namespace does not exist. */
  namespaceLabels?: Record<string, string>;
  /** Other served versions of the same resource (matchPolicy Equivalent), in preference order. */
  equivalentResources?: Array<{ group: string; version: string; resource: string; kind: string }>;
}

export interface AdmissionStatus {
  code: number;
  reason: string;
  message: string;
  details?: unknown;
}

export type AdmissionOutcome =
  | { allowed: true; warnings: string[] }
  | { allowed: false; warnings: string[]; status: AdmissionStatus };

export interface ServiceRef {
  namespace: string;
  name: string;
  port?: number;
  path?: string;
}

export interface AdmissionChainOptions {
  /**
   * Where a `clientConfig.service` webhook really listens: a base URL such as `https://127.0.0.1:9443`. Only
   * its host and port are used, to dial (as kube-apiserver's service resolver does); the request still
   * names `https://<name>.<namespace>.svc:<port><path>` and TLS verifies `<name>.<namespace>.svc`.
   */
  serviceResolver?: (ref: ServiceRef) => string | undefined;
  /**
   * Converts an object to another served version for matchPolicy Equivalent. Defaults to rewriting
   * `apiVersion` only, which is exact for versions with the same schema.
   */
  convertObject?: (object: unknown, to: GroupVersionKind) => unknown;
  /** Called when a webhook with failurePolicy Ignore fails and the request goes on ("failing open"). */
  onFailOpen?: (webhookName: string, error: string) => void;
}

// ---------------------------------------------------------------------------------------------------
// Webhook configuration, parsed once per call from the stored objects (defaults as in v1 defaulting)
// ---------------------------------------------------------------------------------------------------

interface Rule {
  operations: string[];
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  scope: string;
}

interface Webhook {
  configurationName: string;
  name: string;
  url?: string;
  service?: { namespace: string; name: string; port: number; path: string };
  caBundle?: string;
  rules: Rule[];
  ignoreFailures: boolean;
  matchEquivalent: boolean;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  sideEffects?: string;
  timeoutSeconds: number;
  admissionReviewVersions: string[];
  matchConditions: MatchCondition[];
}

type JsonRecord = Record<string, unknown>;

function isRecord(v: unknown): v is JsonRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringOr(v: unknown, fallback: string): string {
  return typeof v === "string" ? v : fallback;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** timeoutSeconds defaults to 10 in v1 and validation allows 1..30; out-of-range stored values are clamped. */
function timeoutOf(v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) return 10;
  return Math.min(30, Math.max(1, Math.floor(v)));
}

function parseWebhook(configurationName: string, raw: JsonRecord): Webhook {
  const client = isRecord(raw.clientConfig) ? raw.clientConfig : {};
  const service = isRecord(client.service) ? client.service : undefined;
  const rules = (Array.isArray(raw.rules) ? raw.rules : []).filter(isRecord).map(
    (r): Rule => ({
      operations: strings(r.operations),
      apiGroups: strings(r.apiGroups),
      apiVersions: strings(r.apiVersions),
      resources: strings(r.resources),
      scope: stringOr(r.scope, "*"),
    }),
  );
  return {
    configurationName,
    name: stringOr(raw.name, ""),
    url: typeof client.url === "string" ? client.url : undefined,
    service: service && {
      namespace: stringOr(service.namespace, ""),
      name: stringOr(service.name, ""),
      port: typeof service.port === "number" ? service.port : 443,
      path: stringOr(service.path, ""),
    },
    caBundle: typeof client.caBundle === "string" && client.caBundle !== "" ? client.caBundle : undefined,
    rules,
    // dispatcher.go: only an explicit Ignore fails open; Fail is the v1 default.
    ignoreFailures: raw.failurePolicy === "Ignore",
    // webhook.go: only Equivalent widens matching; v1 defaults matchPolicy to Equivalent.
    matchEquivalent: raw.matchPolicy === undefined || raw.matchPolicy === "Equivalent",
    namespaceSelector: isRecord(raw.namespaceSelector) ? (raw.namespaceSelector as LabelSelector) : undefined,
    objectSelector: isRecord(raw.objectSelector) ? (raw.objectSelector as LabelSelector) : undefined,
    sideEffects: typeof raw.sideEffects === "string" ? raw.sideEffects : undefined,
    timeoutSeconds: timeoutOf(raw.timeoutSeconds),
    admissionReviewVersions: strings(raw.admissionReviewVersions),
    matchConditions: (Array.isArray(raw.matchConditions) ? raw.matchConditions : []).filter(isRecord).map(
      (c): MatchCondition => ({ name: stringOr(c.name, ""), expression: stringOr(c.expression, "") }),
    ),
  };
}

/** Every webhook of every configuration, configurations sorted by name as kube-apiserver's webhook source does. */
function webhooksOf(configs: readonly unknown[]): Webhook[] {
  const named = configs.filter(isRecord).map((c) => ({
    name: isRecord(c.metadata) ? stringOr(c.metadata.name, "") : "",
    webhooks: (Array.isArray(c.webhooks) ? c.webhooks : []).filter(isRecord),
  }));
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return named.flatMap((c) => c.webhooks.map((w) => parseWebhook(c.name, w)));
}

// ---------------------------------------------------------------------------------------------------
// Matching (predicates/rules, predicates/namespace, predicates/object, generic ShouldCallHook)
// ---------------------------------------------------------------------------------------------------

function isNamespaceResource(r: GroupVersionResource): boolean {
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

function internalError(message: string): AdmissionStatus {
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

interface Invocation {
  webhook: Webhook;
  resource: GroupVersionResource;
  kind: GroupVersionKind;
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
function shouldCallHook(h: Webhook, attrs: AdmissionAttributes, namespace: string, convert: Converter): Invocation | undefined | AdmissionStatus {
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
const EXEMPT_KINDS = new Set([
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
]);

// ---------------------------------------------------------------------------------------------------
// The AdmissionReview request (request/admissionreview.go CreateV1AdmissionReview)
// ---------------------------------------------------------------------------------------------------

function apiVersionOf(gvk: GroupVersionKind): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

type Converter = (object: unknown, to: GroupVersionKind) => unknown;

function defaultConvert(object: unknown, to: GroupVersionKind): unknown {
  return isRecord(object) ? { ...object, apiVersion: apiVersionOf(to) } : object;
}

/** VersionedAttributes: objects in the version the webhook matched, converted if that differs; absent is null. */
function versioner(inv: Invocation, attrs: AdmissionAttributes, convert: Converter): (o: unknown) => unknown {
  const converted = inv.kind.group !== attrs.kind.group || inv.kind.version !== attrs.kind.version || inv.kind.kind !== attrs.kind.kind;
  return (o) => (o === undefined || o === null ? null : converted ? convert(o, inv.kind) : o);
}

function buildReview(
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

// ---------------------------------------------------------------------------------------------------
// Calling the webhook over HTTPS (util/webhook ClientManager + client-go rest client semantics)
// ---------------------------------------------------------------------------------------------------

/** A failure to call the webhook (ErrCallingWebhook): subject to failurePolicy. */
class CallError extends Error {}

interface Target {
  /** The URL as kube-apiserver names it in errors, `?timeout=` included. */
  displayUrl: string;
  connectHost: string;
  connectPort: number;
  path: string;
  hostHeader: string;
  servername?: string;
}

const agents = new Map<string, { fingerprint: string; agent: https.Agent }>();

/** One keep-alive agent per webhook, replaced when its CA bundle or address changes. */
function agentFor(h: Webhook, caPem: string | undefined, target: Target): https.Agent {
  const key = `${h.configurationName}\u0000${h.name}`;
  const fingerprint = `${caPem ?? ""}\u0000${target.connectHost}:${target.connectPort}\u0000${target.servername ?? ""}`;
  const cached = agents.get(key);
  if (cached && cached.fingerprint === fingerprint) return cached.agent;
  cached?.agent.destroy();
  const agent = new https.Agent({ keepAlive: true, ca: caPem, minVersion: "TLSv1.2" });
  agents.set(key, { fingerprint, agent });
  return agent;
}

/** Closes every cached webhook connection (the API server calls this when it stops; tests too). */
export function closeWebhookClients(): void {
  for (const { agent } of agents.values()) agent.destroy();
  agents.clear();
}

/** client-go's rootCertPool: the caBundle must hold at least one PEM certificate. */
function caPemOf(caBundle: string | undefined): string | undefined {
  if (caBundle === undefined) return undefined;
  const pem = Buffer.from(caBundle, "base64").toString("utf8");
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CallError("could not get REST client: unable to load root certificates: unable to parse bytes as PEM block");
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (e) {
      throw new CallError(`could not get REST client: failed to parse certificate: ${(e as Error).message}`);
    }
  }
  return pem;
}

function targetFor(h: Webhook, timeoutParam: string, resolver: AdmissionChainOptions["serviceResolver"]): Target {
  if (h.url !== undefined) {
    let u: URL;
    try {
      u = new URL(h.url);
    } catch {
      throw new CallError(`could not get REST client: parse "${h.url}": invalid URL`);
    }
    // rest.Config: Host is scheme://host, APIPath the URL path ("/" when empty).
    const base = `${u.protocol}//${u.host}${u.pathname || "/"}`;
    return {
      displayUrl: `${base}?timeout=${timeoutParam}`,
      connectHost: u.hostname.replace(/^\[|\]$/g, ""),
      connectPort: u.port ? Number(u.port) : 443,
      path: `${u.pathname || "/"}?timeout=${timeoutParam}`,
      hostHeader: u.host,
    };
  }
  if (h.service) {
    const s = h.service;
    const serverName = `${s.name}.${s.namespace}.svc`;
    const path = s.path || "/";
    const displayUrl = `https://${serverName}:${s.port}${path}?timeout=${timeoutParam}`;
    const resolved = resolver?.({ namespace: s.namespace, name: s.name, port: s.port, path: s.path || undefined });
    if (resolved === undefined) {
      throw new CallError(`failed to call webhook: Post "${displayUrl}": service "${s.namespace}/${s.name}" is not resolvable: the sandbox has no address for it`);
    }
    let u: URL;
    try {
      u = new URL(resolved);
    } catch {
      throw new CallError(`failed to call webhook: Post "${displayUrl}": service "${s.namespace}/${s.name}" resolved to an invalid address ${JSON.stringify(resolved)}`);
    }
    return {
      displayUrl,
      connectHost: u.hostname.replace(/^\[|\]$/g, ""),
      connectPort: u.port ? Number(u.port) : 443,
      path: `${path}?timeout=${timeoutParam}`,
      hostHeader: `${serverName}:${s.port}`,
      servername: serverName,
    };
  }
  throw new CallError("could not get REST client: webhook has neither clientConfig.url nor clientConfig.service");
}

interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

class DeadlineExceeded extends Error {
  constructor() {
    super("context deadline exceeded");
  }
}

/** Go's x509.HostnameError wording, from the certificate Node rejected. */
function hostnameError(host: string, cert: { subjectaltname?: string } | undefined): string {
  const sans = (cert?.subjectaltname ?? "").split(/,\s*/).filter(Boolean);
  const dns = sans.filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4));
  const ips = sans.filter((s) => s.startsWith("IP Address:")).map((s) => s.slice(11));
  const isIp = /^[\d.]+$|:/.test(host);
  if (isIp && ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
  const valid = (isIp ? ips : dns).join(", ");
  if (!valid) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${valid}, not ${host}`;
}

const UNKNOWN_AUTHORITY = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/** A Node transport error in the words of Go's net/http and crypto/tls, as kube-apiserver reports them. */
function transportMessage(err: NodeJS.ErrnoException & { host?: string; cert?: { subjectaltname?: string } }, target: Target): string {
  if (err instanceof DeadlineExceeded) return err.message;
  const code = err.code ?? "";
  if (UNKNOWN_AUTHORITY.has(code)) return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `tls: failed to verify certificate: ${hostnameError(target.servername ?? err.host ?? target.connectHost, err.cert)}`;
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return "tls: failed to verify certificate: x509: certificate has expired or is not yet valid";
  }
  if (code === "ECONNREFUSED") return `dial tcp ${target.connectHost}:${target.connectPort}: connect: connection refused`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `dial tcp: lookup ${target.connectHost}: no such host`;
  if (code === "ECONNRESET") return err.message === "socket hang up" ? "EOF" : "read: connection reset by peer";
  return err.message;
}

function post(target: Target, agent: https.Agent, body: string, timeoutMs: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new CallError(`failed to call webhook: Post "${target.displayUrl}": ${transportMessage(e, target)}`));
    };
    const req = https.request({
      agent,
      host: target.connectHost,
      port: target.connectPort,
      method: "POST",
      path: target.path,
      servername: target.servername,
      headers: {
        host: target.hostHeader,
        "content-type": "application/json",
        accept: "application/json, */*",
        "user-agent": "kube-apiserver-admission",
        "content-length": Buffer.byteLength(body),
      },
    });
    // The context deadline covers connecting, sending and reading the whole answer.
    const timer = setTimeout(() => fail(new DeadlineExceeded()), timeoutMs);
    req.on("error", fail);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", fail);
      res.on("close", () => {
        if (!res.complete) fail(new Error("unexpected EOF"));
      });
      res.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end(body);
  });
}

// errors.NewGenericServerResponse: the message client-go makes of a non-2xx answer that is not a Status.
function genericServerMessage(code: number, serverMessage: string): string {
  switch (code) {
    case 409:
      return "the server reported a conflict";
    case 404:
      return "the server could not find the requested resource";
    case 400:
      return "the server rejected our request for an unknown reason";
    case 401:
      return "the server has asked for the client to provide credentials";
    case 403:
      return serverMessage;
    case 405:
      return "the server does not allow this method on the requested resource";
    case 406:
      return serverMessage === "" || serverMessage === "unknown" ? "the server was unable to respond with a content type that the client supports" : serverMessage;
    case 415:
      return serverMessage;
    case 422:
      return "the server rejected our request due to an error in our request";
    case 429:
      return "the server has received too many requests and has asked us to try again later";
    case 503:
      return "the server is currently unable to handle the request";
    case 504:
      return "the server was unable to return a response in the time allotted, but may still be processing the request";
    default:
      if (code >= 500) return `an error on the server (${JSON.stringify(serverMessage)}) has prevented the request from succeeding`;
      return `the server responded with the status code ${code} but did not return more information`;
  }
}

function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

/** client-go Result.Into: the decoded body, or the error the rest client reports. */
function decodeBody(res: HttpResponse): unknown {
  const contentType = (res.headers["content-type"] ?? "").trim() || "application/json";
  const mediaType = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  const text = res.body.toString("utf8");
  const ok = res.statusCode >= 200 && res.statusCode <= 206;
  const isJson = mediaType === "application/json";
  if (!ok) {
    if (isJson) {
      try {
        const parsed: unknown = JSON.parse(text);
        // A metav1.Status with status Failure is returned as the error itself.
        if (isRecord(parsed) && parsed.kind === "Status" && parsed.status === "Failure") {
          throw new CallError(`failed to call webhook: ${stringOr(parsed.message, "")}`);
        }
      } catch (e) {
        if (e instanceof CallError) throw e;
      }
    }
    const serverMessage = mediaType.startsWith("text/plain") ? text.slice(0, 2048).trim() : "unknown";
    throw new CallError(`failed to call webhook: ${genericServerMessage(res.statusCode, serverMessage)}`);
  }
  if (!isJson) throw new CallError(`failed to call webhook: serializer for ${contentType} doesn't exist`);
  if (res.body.length === 0) {
    throw new CallError(`failed to call webhook: 0-length response with status code: ${res.statusCode} and content type: ${contentType}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CallError(`failed to call webhook: couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
  if (!isRecord(parsed)) {
    throw new CallError(`failed to call webhook: couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonTypeName(parsed)} into Go value of type struct`);
  }
  if (parsed.kind === "Status" && parsed.apiVersion === "v1" && parsed.status !== "Success") {
    throw new CallError(`failed to call webhook: ${stringOr(parsed.message, "")}`);
  }
  return parsed;
}

interface VerifiedResponse {
  allowed: boolean;
  status?: JsonRecord;
  warnings: string[];
}

function fieldTypeError(field: string, value: unknown, goType: string): CallError {
  return new CallError(
    `failed to call webhook: json: cannot unmarshal ${jsonTypeName(value)} into Go struct field AdmissionResponse.response.${field} of type ${goType}`,
  );
}

/** request.VerifyAdmissionResponse for a validating webhook. */
function verifyResponse(review: JsonRecord, uid: string, reviewVersion: string): VerifiedResponse {
  const response = review.response;
  if (!isRecord(response)) throw new CallError("received invalid webhook response: webhook response was absent");
  const { allowed, status, warnings } = response;
  if (allowed !== undefined && allowed !== null && typeof allowed !== "boolean") throw fieldTypeError("allowed", allowed, "bool");
  if (status !== undefined && status !== null && !isRecord(status)) throw fieldTypeError("status", status, "v1.Status");
  if (warnings !== undefined && warnings !== null && !(Array.isArray(warnings) && warnings.every((w) => typeof w === "string"))) {
    throw fieldTypeError("warnings", warnings, "[]string");
  }
  if (reviewVersion === "v1") {
    const got = stringOr(response.uid, "");
    if (got !== uid) throw new CallError(`received invalid webhook response: expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(got)}`);
    const apiVersion = stringOr(review.apiVersion, "");
    const slash = apiVersion.lastIndexOf("/");
    const gvk = `${slash >= 0 ? apiVersion.slice(0, slash) : ""}/${slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion}, Kind=${stringOr(review.kind, "")}`;
    if (apiVersion !== "admission.k8s.io/v1" || review.kind !== "AdmissionReview") {
      throw new CallError(`received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${gvk}`);
    }
    if (typeof response.patch === "string" && response.patch.length > 0) {
      throw new CallError("received invalid webhook response: validating webhook may not return response.patch");
    }
    if (response.patchType !== undefined && response.patchType !== null) {
      throw new CallError("received invalid webhook response: validating webhook may not return response.patchType");
    }
  }
  return { allowed: allowed === true, status: isRecord(status) ? status : undefined, warnings: (warnings as string[] | undefined) ?? [] };
}

/** errors.ToStatusErr: a rejection is always a failure with a code of at least 400. */
function rejection(webhookName: string, result: JsonRecord | undefined): AdmissionStatus {
  const deniedBy = `admission webhook ${JSON.stringify(webhookName)} denied the request`;
  const code = typeof result?.code === "number" ? result.code : 0;
  const reason = stringOr(result?.reason, "");
  const message = stringOr(result?.message, "");
  const status: AdmissionStatus = {
    code: code < 400 ? 400 : code,
    reason,
    message: message ? `${deniedBy}: ${message}` : reason ? `${deniedBy}: ${reason}` : `${deniedBy} without explanation`,
  };
  if (result?.details !== undefined && result.details !== null) status.details = result.details;
  return status;
}

type CallResult = { kind: "allowed"; warnings: string[] } | { kind: "rejected"; warnings: string[]; status: AdmissionStatus } | { kind: "failed"; error: string };

async function callHook(inv: Invocation, attrs: AdmissionAttributes, namespace: string, options: AdmissionChainOptions): Promise<CallResult> {
  const h = inv.webhook;
  if (attrs.dryRun) {
    if (h.sideEffects === undefined) return { kind: "failed", error: "Webhook SideEffects is nil" };
    if (h.sideEffects !== "None" && h.sideEffects !== "NoneOnDryRun") {
      // NewDryRunUnsupportedErr: a BadRequest whatever the failurePolicy.
      const message = `admission webhook ${JSON.stringify(h.name)} does not support dry run`;
      return { kind: "rejected", warnings: [], status: { code: 400, reason: "BadRequest", message } };
    }
  }
  // CreateAdmissionObjects: the first AdmissionReview version the webhook accepts that we can send.
  const reviewVersion = h.admissionReviewVersions.find((v) => v === "v1" || v === "v1beta1");
  if (!reviewVersion) return { kind: "failed", error: "webhook does not accept known AdmissionReview versions (v1, v1beta1)" };
  try {
    const caPem = caPemOf(h.caBundle);
    const target = targetFor(h, `${h.timeoutSeconds}s`, options.serviceResolver);
    const agent = agentFor(h, caPem, target);
    const uid = randomUUID();
    const review = buildReview(uid, reviewVersion, inv, attrs, namespace, options.convertObject ?? defaultConvert);
    const res = await post(target, agent, JSON.stringify(review), h.timeoutSeconds * 1000);
    const verified = verifyResponse(decodeBody(res) as JsonRecord, uid, reviewVersion);
    if (verified.allowed) return { kind: "allowed", warnings: verified.warnings };
    return { kind: "rejected", warnings: verified.warnings, status: rejection(h.name, verified.status) };
  } catch (e) {
    if (e instanceof CallError) return { kind: "failed", error: e.message };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------
// The chain
// ---------------------------------------------------------------------------------------------------

/**
 * Runs every matching validating webhook of `configs` (ValidatingWebhookConfiguration objects as stored)
 * for one write, in parallel, and returns the decision with every webhook's warnings (in the order the
 * answers arrived, duplicates dropped). A denial carries the Status kube-apiserver would answer: the
 * webhook's own code (at least 400) and reason with the message `admission webhook "<name>" denied the
 * request: <message>`; a webhook that cannot be called fails the request with a 500 InternalError unless
 * its failurePolicy is Ignore. When several webhooks fail, the first to finish wins, as in kube-apiserver.
 */
export async function runValidatingAdmission(
  configs: readonly unknown[],
  attrs: AdmissionAttributes,
  options: AdmissionChainOptions = {},
): Promise<AdmissionOutcome> {
  if (attrs.kind.group === "admissionregistration.k8s.io" && EXEMPT_KINDS.has(attrs.kind.kind)) return { allowed: true, warnings: [] };
  // attr.GetNamespace() is the namespace's own name for requests on a Namespace object.
  const namespace = attrs.namespace || (isNamespaceResource(attrs.resource) ? attrs.name : "");

  const invocations: Invocation[] = [];
  for (const h of webhooksOf(configs)) {
    const decision = shouldCallHook(h, attrs, namespace, options.convertObject ?? defaultConvert);
    if (decision === undefined) continue;
    if (!("webhook" in decision)) return { allowed: false, warnings: [], status: decision };
    invocations.push(decision);
  }

  const warnings: string[] = [];
  const seen = new Set<string>();
  const errors: AdmissionStatus[] = [];
  await Promise.all(
    invocations.map(async (inv) => {
      const result = await callHook(inv, attrs, namespace, options);
      if (result.kind === "failed") {
        const message = `failed calling webhook ${JSON.stringify(inv.webhook.name)}: ${result.error}`;
        if (inv.webhook.ignoreFailures) options.onFailOpen?.(inv.webhook.name, message);
        else errors.push(internalError(message));
        return;
      }
      for (const w of result.warnings) {
        if (w === "" || seen.has(w)) continue;
        seen.add(w);
        warnings.push(w);
      }
      if (result.kind === "rejected") errors.push(result.status);
    }),
  );
  const first = errors[0];
  return first ? { allowed: false, warnings, status: first } : { allowed: true, warnings };
}

// ---------------------------------------------------------------------------------------------------
// Warning headers (k8s.io/apiserver/pkg/endpoints/filters/warning.go recorder + net.NewWarningHeader)
// ---------------------------------------------------------------------------------------------------

const TRUNCATE_AT_TOTAL_RUNES = 4 * 1024;
const TRUNCATE_ITEM_RUNES = 256;

// unicode.IsControl: C0, DEL and C1 control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function headerValue(text: string): string | undefined {
  if (CONTROL.test(text)) return undefined; // NewWarningHeader refuses it, so the warning is dropped
  const quoted = `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  // Go writes the header's UTF-8 bytes as they are; Node needs them as latin1 characters to do the same.
  return Buffer.from(`299 - ${quoted}`, "utf8").toString("latin1");
}

/**
 * The `Warning` header values for all warnings of one request, as kube-apiserver writes them: `299 - "text"`,
 * duplicates and warnings with control characters dropped; once the texts exceed 4096 characters every
 * warning is cut to 256 characters, and warnings past 4096 truncated characters are dropped. Values are
 * latin1 strings of the UTF-8 bytes, ready for `res.setHeader("Warning", values)`.
 */
export function warningHeaderValues(warnings: readonly string[]): string[] {
  const recorded = new Set<string>();
  const ordered: string[] = [];
  let headers: string[] = [];
  let written = 0;
  let truncating = false;
  const runes = (s: string): number => [...s].length;
  const cut = (s: string): string => (runes(s) > TRUNCATE_ITEM_RUNES ? [...s].slice(0, TRUNCATE_ITEM_RUNES).join("") : s);
  for (const original of warnings) {
    if (original === "") continue;
    if (written >= TRUNCATE_AT_TOTAL_RUNES && truncating) break;
    if (recorded.has(original)) continue;
    recorded.add(original);
    ordered.push(original);
    const text = truncating ? cut(original) : original;
    const header = headerValue(text);
    if (header === undefined) continue;
    if (written + runes(text) <= TRUNCATE_AT_TOTAL_RUNES || truncating) {
      written += runes(text);
      headers.push(header);
      continue;
    }
    // Over the limit for the first time: replay everything so far, truncated.
    truncating = true;
    written = 0;
    headers = [];
    for (const w of ordered) {
      const t = cut(w);
      const h = headerValue(t);
      if (h === undefined) continue;
      written += runes(t);
      headers.push(h);
    }
  }
  return headers;
}
