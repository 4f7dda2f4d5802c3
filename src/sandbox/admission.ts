// The sandbox's side of validating admission: hands the attributes of a write and the stored
// ValidatingWebhookConfigurations to the admission chain (admission-chain.ts, which calls the webhooks
// the way kube-apiserver does). Kept apart so the registry only says "admit this write".
import { runValidatingAdmission } from "./admission-chain.js";
import type { AdmissionAttributes, AdmissionChainOptions, AdmissionOutcome } from "./admission-chain.js";
import type { JsonObject } from "./json.js";

export type { AdmissionAttributes } from "./admission-chain.js";
export type AdmissionUser = AdmissionAttributes["userInfo"];
export type ServiceResolver = NonNullable<AdmissionChainOptions["serviceResolver"]>;

/** Runs validating admission for one write against the current webhook configurations. */
export async function admit(configs: readonly JsonObject[], attrs: AdmissionAttributes, serviceResolver?: ServiceResolver): Promise<AdmissionOutcome> {
  if (configs.length === 0) return { allowed: true, warnings: [] };
  return runValidatingAdmission(configs, attrs, serviceResolver ? { serviceResolver } : {});
}
