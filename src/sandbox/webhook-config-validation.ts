// What kube-apiserver checks when a ValidatingWebhookConfiguration (admissionregistration.k8s.io/v1) is
// created or updated, with its field paths and words, so the sandbox answers `422 Invalid` as a cluster
// does. Follows pkg/apis/admissionregistration/validation (ValidateValidatingWebhookConfiguration[Update]),
// apiserver/pkg/util/webhook (URL and service checks), apimachinery's meta/v1 label selector validation and
// util/validation field errors (the Kubernetes 1.30-1.34 wording). Two stages, as in kube-apiserver:
// `webhookConfigurationDecodeError` is the 400 a body of the wrong JSON types gets before validation;
// `validateWebhookConfiguration` lists every field problem (empty when valid). metadata is left to the
// server's ObjectMeta validation.
import { isRecord } from "./json.js";
import { goQuote, goSlice, required, invalid, notSupported, duplicate, forbidden, tooMany } from "./field-errors.js";
import type { FieldError } from "./field-errors.js";
import { isDNS1035Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from "./name-validation.js";
export type { FieldError } from "./field-errors.js";
import { matchConditionCompileError, MAX_MATCH_CONDITIONS } from "./match-conditions.js";

type JsonRecord = Record<string, unknown>;


/** IsFullyQualifiedName: webhook names are domains of at least three segments. */
function fullyQualifiedName(field: string, name: string): FieldError[] {
  if (name.length === 0) return [required(field)];
  const errs = isDNS1123Subdomain(name);
  if (errs.length > 0) return [invalid(field, name, errs.join(","))];
  if (name.split(".").length < 3) return [invalid(field, name, "should be a domain with at least three segments separated by dots")];
  return [];
}

// ---------------------------------------------------------------------------------------------------
// Parts of a webhook
// ---------------------------------------------------------------------------------------------------

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : "")) : [];
}

function optionalString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

const SUPPORTED_OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
const SCOPES = ["*", "Cluster", "Namespaced"];
const FAILURE_POLICIES = ["Fail", "Ignore"];
const MATCH_POLICIES = ["Equivalent", "Exact"];
const NO_SIDE_EFFECTS = ["None", "NoneOnDryRun"];
const SIDE_EFFECT_CLASSES = ["None", "NoneOnDryRun", "Some", "Unknown"];
const REVIEW_VERSIONS = ["v1", "v1beta1"];

function validateResources(resources: string[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(required(field));
  const withWildcardSub = new Set<string>();
  const subWithWildcardRes = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let withoutSubresource = false;
  resources.forEach((resSub, i) => {
    if (resSub === "") {
      errs.push(required(`${field}[${i}]`));
      return;
    }
    if (resSub === "*/*") doubleWildcard = true;
    if (resSub === "*") singleWildcard = true;
    const slash = resSub.indexOf("/");
    if (slash < 0) {
      withoutSubresource = resSub !== "*";
      return;
    }
    const res = resSub.slice(0, slash);
    const sub = resSub.slice(slash + 1);
    if (withWildcardSub.has(res)) errs.push(invalid(`${field}[${i}]`, resSub, `if '${res}/*' is present, must not specify ${resSub}`));
    if (subWithWildcardRes.has(sub)) errs.push(invalid(`${field}[${i}]`, resSub, `if '*/${sub}' is present, must not specify ${resSub}`));
    if (sub === "*") withWildcardSub.add(res);
    if (res === "*") subWithWildcardRes.add(sub);
  });
  if (resources.length > 1 && doubleWildcard) errs.push(invalid(field, { go: goSlice("[]string", resources) }, "if '*/*' is present, must not specify other resources"));
  if (singleWildcard && withoutSubresource) {
    errs.push(invalid(field, { go: goSlice("[]string", resources) }, "if '*' is present, must not specify other resources without subresources"));
  }
  return errs;
}

function validateRule(rule: JsonRecord, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const operations = stringList(rule.operations);
  if (operations.length === 0) errs.push(required(`${field}.operations`));
  if (operations.length > 1 && operations.includes("*")) {
    errs.push(invalid(`${field}.operations`, { go: goSlice("[]admissionregistration.OperationType", operations) }, "if '*' is present, must not specify other operations"));
  }
  operations.forEach((op, i) => {
    if (!SUPPORTED_OPERATIONS.includes(op)) errs.push(notSupported(`${field}.operations[${i}]`, op, SUPPORTED_OPERATIONS));
  });
  const groups = stringList(rule.apiGroups);
  if (groups.length === 0) errs.push(required(`${field}.apiGroups`));
  if (groups.length > 1 && groups.includes("*")) errs.push(invalid(`${field}.apiGroups`, { go: goSlice("[]string", groups) }, "if '*' is present, must not specify other API groups"));
  const versions = stringList(rule.apiVersions);
  if (versions.length === 0) errs.push(required(`${field}.apiVersions`));
  if (versions.length > 1 && versions.includes("*")) {
    errs.push(invalid(`${field}.apiVersions`, { go: goSlice("[]string", versions) }, "if '*' is present, must not specify other API versions"));
  }
  versions.forEach((v, i) => {
    if (v === "") errs.push(required(`${field}.apiVersions[${i}]`));
  });
  errs.push(...validateResources(stringList(rule.resources), `${field}.resources`));
  const scope = optionalString(rule.scope);
  if (scope !== undefined && !SCOPES.includes(scope)) errs.push(notSupported(`${field}.scope`, scope, SCOPES));
  return errs;
}

function validateLabelSelector(selector: JsonRecord, field: string, allowInvalidValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const labelName = (key: string, at: string): FieldError[] => isQualifiedName(key).map((m) => invalid(at, key, m));
  if (isRecord(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) {
      errs.push(...labelName(key, `${field}.matchLabels`));
      const text = typeof value === "string" ? value : "";
      errs.push(...isValidLabelValue(text).map((m) => invalid(`${field}.matchLabels`, text, m)));
    }
  }
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  expressions.forEach((raw, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const req = isRecord(raw) ? raw : {};
    const values = stringList(req.values);
    const operator = optionalString(req.operator) ?? "";
    if (operator === "In" || operator === "NotIn") {
      if (values.length === 0) errs.push(required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (operator === "Exists" || operator === "DoesNotExist") {
      if (values.length > 0) errs.push(forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalid(`${at}.operator`, operator, "not a valid selector operator"));
    }
    errs.push(...labelName(optionalString(req.key) ?? "", `${at}.key`));
    if (!allowInvalidValues) {
      values.forEach((v, j) => errs.push(...isValidLabelValue(v).map((m) => invalid(`${at}.values[${j}]`, v, m))));
    }
  });
  return errs;
}

interface GoUrl {
  scheme: string;
  user?: string;
  host: string;
  rawQuery: string;
  fragment: string;
}

/** The parts of Go's url.Parse that ValidateWebhookURL looks at; a string error when Go would not parse it. */
function parseGoUrl(raw: string): GoUrl | string {
  let rest = raw;
  let fragment = "";
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(rest)) return `parse ${goQuote(raw)}: net/url: invalid control character in URL`;
  let scheme = "";
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (schemeMatch) {
    scheme = (schemeMatch[1] as string).toLowerCase();
    rest = rest.slice(schemeMatch[0].length);
  } else if (rest.startsWith(":")) {
    return `parse ${goQuote(raw)}: missing protocol scheme`;
  }
  let rawQuery = "";
  const question = rest.indexOf("?");
  if (question >= 0) {
    rawQuery = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  let host = "";
  let user: string | undefined;
  if (rest.startsWith("//")) {
    const authority = rest.slice(2).split("/")[0] as string;
    const at = authority.lastIndexOf("@");
    if (at >= 0) user = authority.slice(0, at);
    host = at >= 0 ? authority.slice(at + 1) : authority;
  }
  return { scheme, user, host, rawQuery, fragment };
}

function validateWebhookUrl(field: string, raw: string): FieldError[] {
  const form = "; desired format: https://host[/path]";
  const u = parseGoUrl(raw);
  if (typeof u === "string") return [required(field, `url must be a valid URL: ${u}${form}`)];
  const errs: FieldError[] = [];
  if (u.scheme !== "https") errs.push(invalid(field, u.scheme, `'https' is the only allowed URL scheme${form}`));
  if (u.host.length === 0) errs.push(invalid(field, u.host, `host must be provided${form}`));
  if (u.user !== undefined) errs.push(invalid(field, u.user, "user information is not permitted in the URL"));
  if (u.fragment.length > 0) errs.push(invalid(field, u.fragment, "fragments are not permitted in the URL"));
  if (u.rawQuery.length > 0) errs.push(invalid(field, u.rawQuery, "query parameters are not permitted in the URL"));
  return errs;
}

function validateWebhookService(field: string, service: JsonRecord): FieldError[] {
  const errs: FieldError[] = [];
  if (!optionalString(service.name)) errs.push(required(`${field}.name`, "service name is required"));
  if (!optionalString(service.namespace)) errs.push(required(`${field}.namespace`, "service namespace is required"));
  // v1 defaults port to 443.
  const port = typeof service.port === "number" ? service.port : 443;
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) errs.push(invalid(`${field}.port`, port, "port is not valid: must be between 1 and 65535, inclusive"));
  const path = optionalString(service.path);
  if (path === undefined || path === "" || path === "/") return errs;
  if (path === "//") return [...errs, invalid(`${field}.path`, path, "segment[0] may not be empty")];
  if (!path.startsWith("/")) errs.push(invalid(`${field}.path`, path, "must start with a '/'"));
  let toCheck = path.slice(1);
  if (toCheck.endsWith("/")) toCheck = toCheck.slice(0, -1);
  toCheck.split("/").forEach((step, i) => {
    if (step.length === 0) {
      errs.push(invalid(`${field}.path`, path, `segment[${i}] may not be empty`));
      return;
    }
    for (const failure of isDNS1123Subdomain(step)) errs.push(invalid(`${field}.path`, path, `segment[${i}]: ${failure}`));
  });
  return errs;
}

function validateMatchConditions(conditions: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (conditions.length > MAX_MATCH_CONDITIONS) errs.push(tooMany(field, conditions.length, MAX_MATCH_CONDITIONS));
  const names = new Set<string>();
  conditions.forEach((raw, i) => {
    const condition = isRecord(raw) ? raw : {};
    const at = `${field}[${i}]`;
    const expression = (optionalString(condition.expression) ?? "").trim();
    if (expression.length === 0) errs.push(required(`${at}.expression`));
    else {
      const problem = matchConditionCompileError(expression);
      if (problem !== undefined) errs.push(invalid(`${at}.expression`, expression, problem));
    }
    const name = optionalString(condition.name) ?? "";
    if (name.length === 0) errs.push(required(`${at}.name`));
    else errs.push(...isQualifiedName(name).map((m) => invalid(`${at}.name`, name, m)));
    if (name.length > 0) {
      if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
      else names.add(name);
    }
  });
  return errs;
}

function validateAdmissionReviewVersions(versions: string[], requireRecognized: boolean, field: string): FieldError[] {
  if (versions.length === 0) return [required(field, `must specify one of ${REVIEW_VERSIONS.join(", ")}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(invalid(`${field}[${i}]`, v, "duplicate version"));
      return;
    }
    seen.add(v);
    errs.push(...isDNS1035Label(v).map((m) => invalid(`${field}[${i}]`, v, m)));
  });
  if (requireRecognized && !versions.some((v) => REVIEW_VERSIONS.includes(v))) {
    errs.push(invalid(field, { go: goSlice("[]string", versions) }, `must include at least one of ${REVIEW_VERSIONS.join(", ")}`));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------------
// The configuration
// ---------------------------------------------------------------------------------------------------

interface ValidationOptions {
  ignoreMatchConditions: boolean;
  requireNoSideEffects: boolean;
  requireRecognizedAdmissionReviewVersion: boolean;
  requireUniqueWebhookNames: boolean;
  allowInvalidLabelValueInSelector: boolean;
}

function validateWebhook(hook: JsonRecord, opts: ValidationOptions, field: string): FieldError[] {
  const errs: FieldError[] = [...fullyQualifiedName(`${field}.name`, optionalString(hook.name) ?? "")];
  const rules = Array.isArray(hook.rules) ? hook.rules : [];
  rules.forEach((r, i) => errs.push(...validateRule(isRecord(r) ? r : {}, `${field}.rules[${i}]`)));
  const failurePolicy = optionalString(hook.failurePolicy);
  if (failurePolicy !== undefined && !FAILURE_POLICIES.includes(failurePolicy)) errs.push(notSupported(`${field}.failurePolicy`, failurePolicy, FAILURE_POLICIES));
  const matchPolicy = optionalString(hook.matchPolicy);
  if (matchPolicy !== undefined && !MATCH_POLICIES.includes(matchPolicy)) errs.push(notSupported(`${field}.matchPolicy`, matchPolicy, MATCH_POLICIES));
  const allowedSideEffects = opts.requireNoSideEffects ? NO_SIDE_EFFECTS : SIDE_EFFECT_CLASSES;
  const sideEffects = optionalString(hook.sideEffects);
  if (sideEffects === undefined) errs.push(required(`${field}.sideEffects`, `must specify one of ${allowedSideEffects.join(", ")}`));
  else if (!allowedSideEffects.includes(sideEffects)) errs.push(notSupported(`${field}.sideEffects`, sideEffects, allowedSideEffects));
  const timeout = hook.timeoutSeconds;
  if (typeof timeout === "number" && (timeout > 30 || timeout < 1)) {
    errs.push(invalid(`${field}.timeoutSeconds`, timeout, "the timeout value must be between 1 and 30 seconds"));
  }
  if (isRecord(hook.namespaceSelector)) errs.push(...validateLabelSelector(hook.namespaceSelector, `${field}.namespaceSelector`, opts.allowInvalidLabelValueInSelector));
  if (isRecord(hook.objectSelector)) errs.push(...validateLabelSelector(hook.objectSelector, `${field}.objectSelector`, opts.allowInvalidLabelValueInSelector));
  const clientConfig = isRecord(hook.clientConfig) ? hook.clientConfig : {};
  const url = optionalString(clientConfig.url);
  const service = isRecord(clientConfig.service) ? clientConfig.service : undefined;
  if ((url === undefined) === (service === undefined)) errs.push(required(`${field}.clientConfig`, "exactly one of url or service is required"));
  else if (url !== undefined) errs.push(...validateWebhookUrl(`${field}.clientConfig.url`, url));
  else if (service !== undefined) errs.push(...validateWebhookService(`${field}.clientConfig.service`, service));
  if (!opts.ignoreMatchConditions) {
    errs.push(...validateMatchConditions(Array.isArray(hook.matchConditions) ? hook.matchConditions : [], `${field}.matchConditions`));
  }
  return errs;
}

function webhooksOf(config: unknown): JsonRecord[] {
  if (!isRecord(config) || !Array.isArray(config.webhooks)) return [];
  return config.webhooks.map((w) => (isRecord(w) ? w : {}));
}

function conditionsKey(hook: JsonRecord): string {
  const conditions = Array.isArray(hook.matchConditions) ? hook.matchConditions : [];
  return JSON.stringify(conditions.map((c) => (isRecord(c) ? [c.name, c.expression] : c)));
}

function hasInvalidSelectorValue(hook: JsonRecord): boolean {
  return ["namespaceSelector", "objectSelector"].some((key) => {
    const selector = hook[key];
    return isRecord(selector) && validateLabelSelector(selector, key, false).length > 0;
  });
}

/**
 * Options of ValidateValidatingWebhookConfigurationUpdate: an update is held to the rules the stored object
 * already met (so a configuration stored under older rules can still be edited), and unchanged
 * matchConditions are not compiled again.
 */
function updateOptions(hooks: JsonRecord[], oldHooks: JsonRecord[]): ValidationOptions {
  const names = oldHooks.map((h) => optionalString(h.name) ?? "");
  return {
    ignoreMatchConditions: hooks.length === oldHooks.length && hooks.every((h, i) => conditionsKey(h) === conditionsKey(oldHooks[i] as JsonRecord)),
    requireNoSideEffects: oldHooks.every((h) => NO_SIDE_EFFECTS.includes(optionalString(h.sideEffects) ?? "")),
    requireRecognizedAdmissionReviewVersion: oldHooks.every((h) => {
      const versions = stringList(h.admissionReviewVersions);
      return versions.length === 0 || versions.some((v) => REVIEW_VERSIONS.includes(v));
    }),
    requireUniqueWebhookNames: new Set(names).size === names.length,
    allowInvalidLabelValueInSelector: oldHooks.some(hasInvalidSelectorValue),
  };
}

/**
 * Every problem kube-apiserver reports for a ValidatingWebhookConfiguration (v1, after defaulting or not)
 * on create, or on update when the stored object is given as `old`; empty when it is valid. Each entry is a
 * Status cause: `field` (e.g. `webhooks[0].name`), `message` (e.g. `Invalid value: "x": should be a domain
 * with at least three segments separated by dots`) and `reason` (e.g. `FieldValueInvalid`).
 */
export function validateWebhookConfiguration(obj: unknown, old?: unknown): FieldError[] {
  const hooks = webhooksOf(obj);
  const opts: ValidationOptions =
    old === undefined
      ? { ignoreMatchConditions: false, requireNoSideEffects: true, requireRecognizedAdmissionReviewVersion: true, requireUniqueWebhookNames: true, allowInvalidLabelValueInSelector: false }
      : updateOptions(hooks, webhooksOf(old));
  const errs: FieldError[] = [];
  const names = new Set<string>();
  hooks.forEach((hook, i) => {
    const field = `webhooks[${i}]`;
    errs.push(...validateWebhook(hook, opts, field));
    errs.push(...validateAdmissionReviewVersions(stringList(hook.admissionReviewVersions), opts.requireRecognizedAdmissionReviewVersion, `${field}.admissionReviewVersions`));
    const name = optionalString(hook.name) ?? "";
    if (opts.requireUniqueWebhookNames && name.length > 0) {
      if (names.has(name)) errs.push(duplicate(`${field}.name`, name));
      else names.add(name);
    }
  });
  // field.ErrorList.ToAggregate drops repeated messages from the Status message; causes keep them all.
  return errs;
}

// ---------------------------------------------------------------------------------------------------
// Decoding (400 BadRequest before validation): JSON types the v1 Go structs cannot hold
// ---------------------------------------------------------------------------------------------------

/** A JSON shape: a Go type name, and for structs the fields with the Go struct that holds them. */
type Shape =
  | { kind: "string" | "int32" | "bytes"; go: string }
  | { kind: "list"; go: string; item: Shape }
  | { kind: "map"; go: string; value: Shape }
  | { kind: "struct"; go: string; name: string; fields: Record<string, Shape> };

const str = (go = "string"): Shape => ({ kind: "string", go });
const list = (item: Shape): Shape => ({ kind: "list", go: `[]${item.go}`, item });
const struct = (go: string, fields: Record<string, Shape>): Shape => ({ kind: "struct", go: `v1.${go}`, name: go, fields });

const LABEL_SELECTOR = struct("LabelSelector", {
  matchLabels: { kind: "map", go: "map[string]string", value: str() },
  matchExpressions: list(struct("LabelSelectorRequirement", { key: str(), operator: str("v1.LabelSelectorOperator"), values: list(str()) })),
});

const WEBHOOK = struct("ValidatingWebhook", {
  name: str(),
  clientConfig: struct("WebhookClientConfig", {
    url: str(),
    service: struct("ServiceReference", { namespace: str(), name: str(), path: str(), port: { kind: "int32", go: "int32" } }),
    caBundle: { kind: "bytes", go: "[]uint8" },
  }),
  rules: list(
    struct("RuleWithOperations", {
      operations: list(str("v1.OperationType")),
      apiGroups: list(str()),
      apiVersions: list(str()),
      resources: list(str()),
      scope: str("v1.ScopeType"),
    }),
  ),
  failurePolicy: str("v1.FailurePolicyType"),
  matchPolicy: str("v1.MatchPolicyType"),
  namespaceSelector: LABEL_SELECTOR,
  objectSelector: LABEL_SELECTOR,
  sideEffects: str("v1.SideEffectClass"),
  timeoutSeconds: { kind: "int32", go: "int32" },
  admissionReviewVersions: list(str()),
  matchConditions: list(struct("MatchCondition", { name: str(), expression: str() })),
});

const CONFIGURATION = struct("ValidatingWebhookConfiguration", { webhooks: list(WEBHOOK) });

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return typeof v === "object" ? "object" : typeof v === "boolean" ? "bool" : typeof v;
}

/** encoding/json's first UnmarshalTypeError, as `json: cannot unmarshal ...`; undefined when the types fit. */
function typeError(v: unknown, shape: Shape, structName: string, path: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  const where = path ? `Go struct field ${structName}.${path}` : "Go value";
  const mismatch = (what: string): string => `json: cannot unmarshal ${what} into ${where} of type ${shape.go}`;
  switch (shape.kind) {
    case "string":
      return typeof v === "string" ? undefined : mismatch(jsonKind(v));
    case "int32":
      if (typeof v !== "number") return mismatch(jsonKind(v));
      return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? undefined : mismatch(`number ${String(v)}`);
    case "bytes": {
      if (typeof v !== "string") return mismatch(jsonKind(v));
      // base64.StdEncoding, which skips line breaks; the offset is where decoding stopped.
      const text = v.replace(/[\r\n]/g, "");
      const bad = /[^A-Za-z0-9+/=]|=[^=]/.exec(text);
      if (bad) return `illegal base64 data at input byte ${bad.index}`;
      return text.length % 4 === 0 ? undefined : `illegal base64 data at input byte ${text.length - (text.length % 4)}`;
    }
    case "list":
      if (!Array.isArray(v)) return mismatch(jsonKind(v));
      for (const item of v) {
        const e = typeError(item, shape.item, structName, path);
        if (e) return e;
      }
      return undefined;
    case "map":
      if (!isRecord(v)) return mismatch(jsonKind(v));
      for (const value of Object.values(v)) {
        const e = typeError(value, shape.value, structName, path);
        if (e) return e;
      }
      return undefined;
    case "struct":
      if (!isRecord(v)) return mismatch(jsonKind(v));
      for (const [key, value] of Object.entries(v)) {
        const field = shape.fields[key];
        if (!field) continue;
        const e = typeError(value, field, shape.name, path ? `${path}.${key}` : key);
        if (e) return e;
      }
      return undefined;
  }
}

/**
 * The 400 BadRequest message kube-apiserver answers when the body's JSON types do not fit the v1 types
 * (e.g. `"timeoutSeconds": "10"`), or undefined. Checked before `validateWebhookConfiguration`.
 */
export function webhookConfigurationDecodeError(obj: unknown): string | undefined {
  if (!isRecord(obj)) return undefined;
  const e = typeError({ webhooks: obj.webhooks }, CONFIGURATION, "ValidatingWebhookConfiguration", "");
  return e && `ValidatingWebhookConfiguration in version "v1" cannot be handled as a ValidatingWebhookConfiguration: ${e}`;
}
