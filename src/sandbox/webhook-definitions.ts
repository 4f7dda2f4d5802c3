// ValidatingWebhookConfiguration objects as stored, parsed into the webhooks the admission chain calls,
// with the defaults of admissionregistration.k8s.io/v1 defaulting. Parsed once per call of the chain.
import type { GroupVersionKind, GroupVersionResource } from "./admission-types.js";
import { isRecord } from "./json.js";
import { type LabelSelector } from "./label-selector.js";
import { type MatchCondition } from "./match-conditions.js";

export interface Rule {
  operations: string[];
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  scope: string;
}

export interface Webhook {
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

export type JsonRecord = Record<string, unknown>;


export function stringOr(v: unknown, fallback: string): string {
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
export function webhooksOf(configs: readonly unknown[]): Webhook[] {
  const named = configs.filter(isRecord).map((c) => ({
    name: isRecord(c.metadata) ? stringOr(c.metadata.name, "") : "",
    webhooks: (Array.isArray(c.webhooks) ? c.webhooks : []).filter(isRecord),
  }));
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return named.flatMap((c) => c.webhooks.map((w) => parseWebhook(c.name, w)));
}

/** A webhook matched for one write: the resource and kind its rule matched (equivalent versions included). */
export interface Invocation {
  webhook: Webhook;
  resource: GroupVersionResource;
  kind: GroupVersionKind;
}
