// An admission decision as a value (docs/behaviour.md, Code conventions): built by decide.ts, rendered to an
// AdmissionReview response by render.ts alone, counted by the metrics from the same value.
import type { MissingDependency } from "../cluster/missing-read.js";
import type { ProblemType } from "../graph/types.js";

/** Why a request was allowed; bounded, so it is safe as a metric label. */
export type AllowReason =
  /** Checked: nothing wrong. */
  | "ok"
  /** UPDATE that leaves dependsOn unchanged as a set: never blocked by an old problem. */
  | "unchanged"
  /** UPDATE of an object whose deletionTimestamp is set. */
  | "deleting"
  /** DELETE (possibly with a warning naming the dependents). */
  | "delete"
  /** A subresource such as /status (the webhook configuration excludes them; defensive). */
  | "subresource"
  /** The namespace is exempt by policy. */
  | "exempt"
  /** An operation releasegate does not judge (CONNECT) or an API version it does not know. */
  | "unchecked"
  /** A dependency is missing but pending (a dry-run of it was seen), or this is such a dry-run. */
  | "pending"
  /** A problem the policy lets through with a warning (missing: warn; …). */
  | ProblemType;

/** Why a request was denied; bounded. */
export type DenyReason = ProblemType | "delete-protected";

/** Set on a decision taken with DecideInput.suggest false whose messages name a missing dependency:
 *  they lack "did you mean", so the decision must be taken again before anyone reads them. */
interface Unsuggested {
  suggestionsLeftOut?: true;
}

export type Decision =
  | ({ allowed: true; reason: AllowReason; warnings: string[] } & Unsuggested)
  | ({
      allowed: false;
      reason: DenyReason;
      message: string;
      warnings: string[];
      /** Set when the only reason to deny is these missing dependencies: a peer replica that knows
       *  them as pending, or a consistent read that finds them, would turn the answer into an allow
       *  (pending-peers.ts, cluster/missing-read.ts). */
      unresolved?: MissingDependency[];
    } & Unsuggested);

export function allow(reason: AllowReason, warnings: string[] = []): Decision {
  return { allowed: true, reason, warnings };
}

export function deny(reason: DenyReason, message: string, warnings: string[] = [], unresolved?: MissingDependency[]): Decision {
  return unresolved === undefined ? { allowed: false, reason, message, warnings } : { allowed: false, reason, message, warnings, unresolved };
}
