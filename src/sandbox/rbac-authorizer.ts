// Opt-in RBAC for the sandbox (`startSandbox({ authorization: "RBAC" })`), so a test can run releasegate
// under exactly the ServiceAccount, ClusterRole(Binding)s and Role(Binding)s its Helm chart renders and see
// the API server refuse what they do not grant. Follows kube-apiserver with --authorization-mode=RBAC:
// - authentication: the sandbox's admin token is in group system:masters (always allowed); the token
//   `system:serviceaccount:<ns>:<name>` is that ServiceAccount (groups system:serviceaccounts,
//   system:serviceaccounts:<ns>, system:authenticated) and only while the ServiceAccount exists, as bound
//   tokens are rejected once their ServiceAccount is gone; any other token is a user of that name.
// - request attributes: k8s.io/apiserver's RequestInfoFactory (verb from method and path, list/watch
//   named by a `metadata.name` field selector, deletecollection, the Namespace as its own namespace).
// - decision: plugin/pkg/auth/authorizer/rbac (ClusterRoleBindings, then RoleBindings of the request's
//   namespace; rules match verbs, API groups, resources or `*/subresource`, resourceNames, non-resource
//   URLs with a trailing `*`), with the bootstrap policy's discovery roles for every authenticated user.
// - denial: 403 Forbidden with the message of endpoints/handlers/responsewriters.Forbidden.
// - impersonation: the requester must be allowed to `impersonate` each Impersonate-* target
//   (impersonation.ts), then the request is authorized as the impersonated user.
// - a client certificate signed by the sandbox's CA authenticates as its CN, in groups its O entries.
// Not imitated: aggregated ClusterRoles (aggregationRule), the escalation check on writes of roles and
// bindings, and the bootstrap roles other than cluster-admin and the discovery ones.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdmissionUser } from "./admission.js";
import { parseFieldSelector, pinnedName } from "./field-selector.js";
import { userFromToken } from "./http-server.js";
import { certificateUser, impersonatedUser, impersonationOf, impersonationTargets } from "./impersonation.js";
import type { Impersonation } from "./impersonation.js";
import { isRecord } from "./json.js";
import type { JsonObject } from "./json.js";
import { failure, StatusError, toWire, unauthorized } from "./status.js";
import type { ObjectStore } from "./store.js";

export type AuthorizationMode = "AlwaysAllow" | "RBAC";

/** What a request asks for, as kube-apiserver's authorizers see it (authorizer.Attributes). */
interface RequestAttributes {
  user: AdmissionUser;
  verb: string;
  /** False for non-resource URLs (/api, /version, /openapi/v3, /healthz, ...). */
  resourceRequest: boolean;
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

type Decision = { allowed: true } | { allowed: false; reason: string };

const RBAC_GROUP = "rbac.authorization.k8s.io";
export const RBAC_STORAGE = {
  roles: `roles.${RBAC_GROUP}`,
  clusterRoles: `clusterroles.${RBAC_GROUP}`,
  roleBindings: `rolebindings.${RBAC_GROUP}`,
  clusterRoleBindings: `clusterrolebindings.${RBAC_GROUP}`,
  serviceAccounts: "serviceaccounts",
} as const;

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The bearer token the sandbox accepts for a ServiceAccount: its user name. */
export function serviceAccountToken(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

// --- request attributes (k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory) ---------------------

const SPECIAL_VERBS = new Set(["proxy", "watch"]);
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/** Go's strconv.ParseBool, which decodes `watch=`. */
function parseBool(value: string | null): boolean {
  return value !== null && ["1", "t", "T", "TRUE", "true", "True"].includes(value);
}

/** path.IsValidPathSegmentName: a name a URL path could carry. */
function validPathSegment(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("%");
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function requestAttributes(method: string, rawUrl: string, user: AdmissionUser): RequestAttributes {
  const url = new URL(rawUrl, "https://sandbox");
  const path = decodeSegment(url.pathname);
  const attrs: RequestAttributes = {
    user,
    verb: method.toLowerCase(),
    resourceRequest: false,
    path,
    apiGroup: "",
    apiVersion: "",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
  };
  const trimmed = url.pathname.replace(/^\/+|\/+$/g, "");
  let parts = trimmed === "" ? [] : trimmed.split("/").map(decodeSegment);
  // /api/v1 and /apis/<group>/<version> (and anything shorter) are discovery: non-resource URLs.
  if (parts.length < 3 || (parts[0] !== "api" && parts[0] !== "apis")) return attrs;
  const grouped = parts[0] === "apis";
  parts = parts.slice(1);
  if (grouped) {
    if (parts.length < 3) return attrs;
    attrs.apiGroup = parts[0] as string;
    parts = parts.slice(1);
  }
  attrs.resourceRequest = true;
  attrs.apiVersion = parts[0] as string;
  parts = parts.slice(1);

  if (SPECIAL_VERBS.has(parts[0] as string)) {
    if (parts.length < 2) return { ...attrs, verb: "" };
    attrs.verb = parts[0] as string;
    parts = parts.slice(1);
  } else {
    attrs.verb = { POST: "create", GET: "get", HEAD: "get", PUT: "update", PATCH: "patch", DELETE: "delete" }[method.toUpperCase()] ?? "";
  }

  if (parts[0] === "namespaces" && parts.length > 1) {
    // A Namespace is in its own namespace: RoleBindings there may grant access to it.
    attrs.namespace = parts[1] as string;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] as string)) parts = parts.slice(2);
  }
  attrs.resource = parts[0] ?? "";
  if (parts.length >= 2) attrs.name = parts[1] as string;
  if (parts.length >= 3 && attrs.verb !== "proxy") attrs.subresource = parts[2] as string;

  if (attrs.name === "" && attrs.verb === "get") {
    attrs.verb = parseBool(url.searchParams.get("watch")) ? "watch" : "list";
    // A list or watch pinned to one object by `metadata.name=` is a request for that name, so rules
    // with resourceNames can allow it (how kubelet watches single Secrets).
    const selector = url.searchParams.get("fieldSelector");
    if (selector) {
      let name: string | undefined;
      try {
        name = pinnedName(parseFieldSelector(selector));
      } catch {
        name = undefined;
      }
      if (name !== undefined && validPathSegment(name)) attrs.name = name;
    }
  }
  if (attrs.name === "" && attrs.verb === "delete") attrs.verb = "deletecollection";
  return attrs;
}

// --- rules (pkg/apis/rbac/v1 evaluation helpers) -----------------------------------------------------

function has(list: string[] | undefined, value: string): boolean {
  return (list ?? []).some((v) => v === "*" || v === value);
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some((r) => r === "*" || r === combined || (subresource !== "" && r === `*/${subresource}`));
}

function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === "*" || u === path || (u.endsWith("*") && path.startsWith(u.replace(/\*+$/, ""))));
}

function ruleAllows(a: RequestAttributes, rule: PolicyRule): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceUrlMatches(rule, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const names = rule.resourceNames ?? [];
  return has(rule.apiGroups, a.apiGroup) && resourceMatches(rule, combined, a.subresource) && (names.length === 0 || names.includes(a.name));
}

// --- the bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) ---------------------------

const DISCOVERY_URLS = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"];

/** ClusterRoles every cluster has; a stored ClusterRole of the same name takes precedence. */
const BOOTSTRAP_CLUSTER_ROLES: Readonly<Record<string, PolicyRule[]>> = {
  "cluster-admin": [
    { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
    { nonResourceURLs: ["*"], verbs: ["*"] },
  ],
  "system:discovery": [{ nonResourceURLs: DISCOVERY_URLS, verbs: ["get"] }],
  "system:public-info-viewer": [{ nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"], verbs: ["get"] }],
  "system:basic-user": [{ apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], verbs: ["create"] }],
};

/** The bootstrap ClusterRoleBindings to groups: what every authenticated user may do. */
const BOOTSTRAP_GROUP_ROLES: ReadonlyArray<{ group: string; role: string }> = [
  { group: "system:authenticated", role: "system:discovery" },
  { group: "system:authenticated", role: "system:public-info-viewer" },
  { group: "system:authenticated", role: "system:basic-user" },
];

// --- the authorizer ----------------------------------------------------------------------------------

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface Binding {
  namespace: string;
  subjects: Subject[];
  roleRef: { kind: string; name: string };
}

function rulesOf(role: JsonObject): PolicyRule[] {
  return Array.isArray(role.rules) ? (role.rules.filter(isRecord) as PolicyRule[]) : [];
}

function bindingOf(object: JsonObject): Binding {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const roleRef = isRecord(object.roleRef) ? object.roleRef : {};
  return {
    namespace: typeof meta.namespace === "string" ? meta.namespace : "",
    subjects: Array.isArray(object.subjects) ? (object.subjects.filter(isRecord) as Subject[]) : [],
    roleRef: { kind: String(roleRef.kind ?? ""), name: String(roleRef.name ?? "") },
  };
}

/** rbac.appliesToUser: does a binding's subject name this user? */
function appliesTo(user: AdmissionUser, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return user.username === subject.name;
    case "Group":
      return user.groups.includes(subject.name ?? "");
    case "ServiceAccount": {
      // A RoleBinding's ServiceAccount subject defaults to the binding's namespace.
      const namespace = subject.namespace || bindingNamespace;
      return namespace !== "" && user.username === serviceAccountToken(namespace, subject.name ?? "");
    }
    default:
      return false;
  }
}

/** utilerrors.NewAggregate(...).Error(): one message, or several in brackets. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] as string) : `[${unique.join(", ")}]`;
}

export class RbacAuthorizer {
  constructor(private readonly store: ObjectStore) {}

  authorize(a: RequestAttributes): Decision {
    // The privileged-group authorizer runs before RBAC: system:masters may do anything.
    if (a.user.groups.includes("system:masters")) return { allowed: true };
    for (const { group, role } of BOOTSTRAP_GROUP_ROLES) {
      if (a.user.groups.includes(group) && (BOOTSTRAP_CLUSTER_ROLES[role] ?? []).some((rule) => ruleAllows(a, rule))) return { allowed: true };
    }
    const errors: string[] = [];
    const allows = (rules: PolicyRule[] | string): boolean => {
      if (typeof rules === "string") {
        errors.push(rules);
        return false;
      }
      return rules.some((rule) => ruleAllows(a, rule));
    };
    for (const { object } of this.store.list(RBAC_STORAGE.clusterRoleBindings)) {
      const binding = bindingOf(object);
      if (binding.subjects.some((s) => appliesTo(a.user, s, "")) && allows(this.roleRules(binding.roleRef, ""))) return { allowed: true };
    }
    if (a.namespace !== "") {
      for (const { object } of this.store.list(RBAC_STORAGE.roleBindings, a.namespace)) {
        const binding = bindingOf(object);
        if (binding.subjects.some((s) => appliesTo(a.user, s, binding.namespace)) && allows(this.roleRules(binding.roleRef, binding.namespace))) return { allowed: true };
      }
    }
    return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregate(errors)}` : "" };
  }

  /** The rules a roleRef grants, or the error kube-apiserver reports when the role is missing. */
  private roleRules(ref: Binding["roleRef"], namespace: string): PolicyRule[] | string {
    if (ref.kind === "ClusterRole") {
      const stored = this.store.get(RBAC_STORAGE.clusterRoles, ref.name);
      if (stored) return rulesOf(stored);
      return BOOTSTRAP_CLUSTER_ROLES[ref.name] ?? `clusterrole.${RBAC_GROUP} "${ref.name}" not found`;
    }
    if (ref.kind === "Role") {
      const stored = namespace ? this.store.get(RBAC_STORAGE.roles, `${namespace}/${ref.name}`) : undefined;
      return stored ? rulesOf(stored) : `role.${RBAC_GROUP} "${ref.name}" not found`;
    }
    return `unsupported role reference kind: "${ref.kind}"`;
  }
}

/** The 403 kube-apiserver sends (responsewriters.Forbidden with apierrors.NewForbidden). */
export function forbiddenError(a: RequestAttributes, reason: string): StatusError {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  let why: string;
  if (!a.resourceRequest) why = `User "${a.user.username}" cannot ${a.verb} path "${a.path}"`;
  else if (a.namespace !== "") why = `User "${a.user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" in the namespace "${a.namespace}"`;
  else why = `User "${a.user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" at the cluster scope`;
  // The API server escapes &, < and > in this message.
  why = why.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  if (reason) why = `${why}: ${reason}`;
  if (!a.resourceRequest) return failure(403, "Forbidden", `forbidden: ${why}`, {});
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  return failure(403, "Forbidden", `${subject} is forbidden: ${why}`, { ...(a.name ? { name: a.name } : {}), ...(a.apiGroup ? { group: a.apiGroup } : {}), kind: a.resource });
}

/** Who a bearer token is; undefined when the token names a ServiceAccount that does not exist (401). */
export function authenticate(token: string, adminToken: string, store: ObjectStore): AdmissionUser | undefined {
  if (token === adminToken) return { username: token, groups: ["system:masters", "system:authenticated"] };
  const sa = SERVICE_ACCOUNT_USER.exec(token);
  if (sa && !store.get(RBAC_STORAGE.serviceAccounts, `${sa[1]}/${sa[2]}`)) return undefined;
  const user = userFromToken(token);
  // Only the configured admin token is privileged.
  return { username: user.username, groups: user.groups.filter((g) => g !== "system:masters") };
}

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

function sendStatus(res: ServerResponse, err: StatusError): void {
  const text = JSON.stringify(toWire(err.status));
  res.writeHead(err.status.code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "X-Content-Type-Options": "nosniff" });
  res.end(text);
}

/**
 * Wraps the sandbox's API handler with RBAC: a request with a bearer token is authenticated and
 * authorized before the handler sees it. Requests without a token go straight to the handler, which
 * answers /healthz, /livez and /readyz and refuses the rest with 401.
 */
export function withRbacAuthorization(inner: RequestHandler, options: { store: ObjectStore; adminToken: string }): RequestHandler {
  const authorizer = new RbacAuthorizer(options.store);
  return (req, res) => {
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim();
    const byCertificate = token ? undefined : certificateUser(req);
    if (!token && !byCertificate) return inner(req, res);
    const requester = token ? authenticate(token, options.adminToken, options.store) : byCertificate;
    if (!requester) return sendStatus(res, unauthorized());
    let impersonation: Impersonation | undefined;
    try {
      impersonation = impersonationOf(req);
    } catch (error) {
      if (error instanceof StatusError) return sendStatus(res, error);
      throw error;
    }
    if (impersonation !== undefined) {
      for (const target of impersonationTargets(impersonation)) {
        const check: RequestAttributes = { user: requester, verb: "impersonate", resourceRequest: true, path: req.url ?? "/", apiVersion: "", ...target };
        const allowed = authorizer.authorize(check);
        if (!allowed.allowed) return sendStatus(res, forbiddenError(check, allowed.reason));
      }
    }
    const user = impersonation !== undefined ? impersonatedUser(impersonation) : requester;
    const attrs = requestAttributes(req.method ?? "GET", req.url ?? "/", user);
    const decision = authorizer.authorize(attrs);
    if (decision.allowed) return inner(req, res);
    sendStatus(res, forbiddenError(attrs, decision.reason));
  };
}
