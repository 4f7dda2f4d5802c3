// The webhook configuration's rules and the RBAC rules, derived from the resource table (src/flux/
// kinds.ts and resources.ts; docs/architecture.md, "Resources"). The chart, `releasegate sandbox` and
// the tests write their copies; test/resource-table.test.ts checks every copy against these.

import { ALL_FLUX_KINDS, FLUX_KIND_INFO } from "../flux/kinds.js";
import { SOURCE_KINDS } from "../flux/sources.js";

interface WebhookRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
  scope: "Namespaced";
}

/** The two webhooks: dependsOn checks (CREATE, UPDATE) and deletion warnings (DELETE, failurePolicy Ignore). */
export const WEBHOOKS = {
  dependencies: { name: "dependencies.releasegate.io", operations: ["CREATE", "UPDATE"] },
  deletions: { name: "deletions.releasegate.io", operations: ["DELETE"], failurePolicy: "Ignore" },
} as const;

/** The rules of one webhook: every Flux kind releasegate knows, at every version, the main resource only. */
export function webhookRules(webhook: keyof typeof WEBHOOKS): WebhookRule[] {
  return ALL_FLUX_KINDS.map((kind) => ({
    apiGroups: [FLUX_KIND_INFO[kind].group],
    apiVersions: ["*"],
    resources: [FLUX_KIND_INFO[kind].resource],
    operations: [...WEBHOOKS[webhook].operations],
    scope: "Namespaced",
  }));
}

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * What releasegate needs cluster-wide on the kinds of the table: read and watch every Flux object (patch
 * only to set requestedAt) and read the sources' artifact revisions.
 */
export function clusterRbacRules(): PolicyRule[] {
  return [
    ...ALL_FLUX_KINDS.map((kind) => ({ apiGroups: [FLUX_KIND_INFO[kind].group], resources: [FLUX_KIND_INFO[kind].resource], verbs: ["get", "list", "watch", "patch"] })),
    ...SOURCE_KINDS.map((source) => ({ apiGroups: [source.group], resources: [source.resource], verbs: ["get", "list", "watch"] })),
  ];
}
