// Kubernetes `Status` objects and the errors that carry them. The sandbox answers every failure with a
// metav1.Status in the API server's own words (k8s.io/apimachinery/pkg/api/errors), because kubectl and
// client libraries print `message` and branch on `reason` and `code`.

/** A metav1.Status cause (details.causes[]). */
interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** metav1.Status as sent on the wire. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** What identifies an object in an error: `<resource>.<group> "<name>"`, as kube-apiserver prints it. */
interface QualifiedResource {
  group: string;
  resource: string;
}

/** An error that the HTTP layer renders as a Status with its code. */
export class StatusError extends Error {
  override name = "StatusError";
  /** Warnings to send with the error (e.g. from admission webhooks that also denied). */
  warnings: string[] = [];
  constructor(readonly status: Status) {
    super(status.message);
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusDetails): StatusError {
  const status: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
  if (details) status.details = details;
  return new StatusError(status);
}

/** `helmreleases.helm.toolkit.fluxcd.io`, or `configmaps` for the core group. */
function qualified(r: QualifiedResource): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

export function notFound(r: QualifiedResource, name: string): StatusError {
  return failure(404, "NotFound", `${qualified(r)} "${name}" not found`, { name, group: r.group || undefined, kind: r.resource });
}

export function alreadyExists(r: QualifiedResource, name: string): StatusError {
  return failure(409, "AlreadyExists", `${qualified(r)} "${name}" already exists`, { name, group: r.group || undefined, kind: r.resource });
}

/** The optimistic-concurrency failure (apierrors.NewConflict with the registry's standard message). */
export function conflict(r: QualifiedResource, name: string, why = "the object has been modified; please apply your changes to the latest version and try again"): StatusError {
  return failure(409, "Conflict", `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, {
    name,
    group: r.group || undefined,
    kind: r.resource,
  });
}

/** 422 Invalid: `HelmRelease.helm.toolkit.fluxcd.io "x" is invalid: [cause, cause]` (apierrors.NewInvalid). */
export function invalid(kind: { group: string; kind: string }, name: string, causes: Array<{ field: string; message: string; reason?: string }>): StatusError {
  const qualifiedKind = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return failure(422, "Invalid", `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name,
    group: kind.group || undefined,
    kind: kind.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? "FieldValueInvalid", message: c.message, field: c.field })),
  });
}

export function badRequest(message: string): StatusError {
  return failure(400, "BadRequest", message);
}

export function forbidden(r: QualifiedResource, name: string, why: string): StatusError {
  const subject = name ? `${qualified(r)} "${name}"` : qualified(r);
  return failure(403, "Forbidden", `${subject} is forbidden: ${why}`, { name: name || undefined, group: r.group || undefined, kind: r.resource });
}

/** 410 Expired, the answer for a resourceVersion older than the retained history. */
export function expired(message: string): StatusError {
  return failure(410, "Expired", message);
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): StatusError {
  return failure(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
    { causes: [{ reason: "UnexpectedServerResponse", message: contentType }] },
  );
}

export function internalError(message: string): StatusError {
  return failure(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export function unauthorized(): StatusError {
  return failure(401, "Unauthorized", "Unauthorized");
}

/** Strips `undefined` members so the JSON matches what Go's omitempty produces. */
export function toWire(status: Status): Status {
  return JSON.parse(JSON.stringify(status)) as Status;
}
