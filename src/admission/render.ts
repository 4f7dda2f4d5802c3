// The one place a Decision becomes an AdmissionReview v1 response (docs/behaviour.md, Admission rules).
// kube-apiserver copies `status` into the error the client sees and prefixes the message with
// `admission webhook "<name>" denied the request:`; `warnings` become HTTP Warning headers that kubectl
// prints as `Warning: ...`. The Kubernetes documentation asks for warnings of at most 120 characters
// and few of them; kube-apiserver rejects none, so the limits are enforced here.
import { ADMISSION_API_VERSION } from "./review.js";
import type { Decision } from "./decision.js";

export const MAX_WARNINGS = 5;
export const MAX_WARNING_LENGTH = 120;

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: {
    uid: string;
    allowed: boolean;
    status?: { status: "Failure"; code: number; reason: string; message: string };
    warnings?: string[];
  };
}

// Control characters (a dependsOn name can hold anything the CRD schema lets through) would break the
// Warning header and the one-line messages.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/** One printable line of at most MAX_WARNING_LENGTH characters. */
function shortWarning(text: string): string {
  const line = text.replace(CONTROL, " ").trim();
  return line.length <= MAX_WARNING_LENGTH ? line : `${line.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}

/** At most MAX_WARNINGS short warnings, duplicates dropped; the last says how many were left out. */
export function limitWarnings(warnings: readonly string[]): string[] {
  const unique = [...new Set(warnings.map(shortWarning).filter((w) => w !== ""))];
  if (unique.length <= MAX_WARNINGS) return unique;
  const kept = unique.slice(0, MAX_WARNINGS - 1);
  kept.push(`…and ${unique.length - kept.length} more warnings`);
  return kept;
}

/** Messages keep their line breaks (the first line says what is wrong) but no other control characters. */
function cleanMessage(message: string): string {
  return message
    .split("\n")
    .map((line) => line.replace(CONTROL, " ").trimEnd())
    .join("\n")
    .trim();
}

export function renderAdmissionResponse(uid: string, decision: Decision): AdmissionReviewResponse {
  // Most answers have no warning: no set or list is made for them.
  const warnings = decision.warnings.length === 0 ? decision.warnings : limitWarnings(decision.warnings);
  const response: AdmissionReviewResponse["response"] = { uid, allowed: decision.allowed };
  if (!decision.allowed) {
    // 403 Forbidden as controller-runtime's webhook.Denied does, so clients classify it the usual way
    // (kubectl prints "Error from server (Forbidden)"); the precise problem is in the message.
    response.status = { status: "Failure", code: 403, reason: "Forbidden", message: cleanMessage(decision.message) };
  }
  if (warnings.length > 0) response.warnings = warnings;
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response };
}
