// Checking a webhook's AdmissionReview answer (request.VerifyAdmissionResponse) and turning a denial into
// the Status the API server answers (errors.ToStatusErr).
import type { AdmissionStatus } from "./admission-types.js";
import { CallError, jsonTypeName } from "./webhook-client.js";
import { isRecord } from "./json.js";
import { stringOr } from "./webhook-definitions.js";
import type { JsonRecord } from "./webhook-definitions.js";

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
export function verifyResponse(review: JsonRecord, uid: string, reviewVersion: string): VerifiedResponse {
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
export function rejection(webhookName: string, result: JsonRecord | undefined): AdmissionStatus {
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
