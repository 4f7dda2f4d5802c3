// The validating admission chain of the sandbox API server: for a write, call every matching webhook of the
// registered admissionregistration.k8s.io/v1 ValidatingWebhookConfigurations over HTTPS, in parallel, and
// decide as kube-apiserver does. Behaviour and wording follow k8s.io/apiserver/pkg/admission/plugin/webhook
// (generic/webhook.go ShouldCallHook, predicates/{rules,namespace,object}, matchconditions (see
// match-conditions.ts), validating/dispatcher.go, request/admissionreview.go, errors/statuserror.go) and the
// "Dynamic Admission Control" documentation.
// The server calls `runValidatingAdmission` for every create/update/delete (dry-run included) and turns a
// denial into the Status it answers; `warningHeaderValues` renders warnings as kube-apiserver's recorder does.
// Its parts, one file each: admission-types.ts, webhook-definitions.ts (parsing), webhook-matching.ts,
// admission-review-request.ts, webhook-client.ts (HTTPS), webhook-response.ts, warning-headers.ts.
import { randomUUID } from "node:crypto";
import { buildReview, defaultConvert } from "./admission-review-request.js";
import type { AdmissionAttributes, AdmissionChainOptions, AdmissionOutcome, AdmissionStatus } from "./admission-types.js";
import { CallError, agentFor, caPemOf, decodeBody, post, targetFor } from "./webhook-client.js";
import { webhooksOf } from "./webhook-definitions.js";
import type { Invocation, JsonRecord } from "./webhook-definitions.js";
import { EXEMPT_KINDS, internalError, isNamespaceResource, shouldCallHook } from "./webhook-matching.js";
import { rejection, verifyResponse } from "./webhook-response.js";

export type { AdmissionAttributes, AdmissionChainOptions, AdmissionOutcome } from "./admission-types.js";
export { closeWebhookClients } from "./webhook-client.js";
export { warningHeaderValues } from "./warning-headers.js";

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
