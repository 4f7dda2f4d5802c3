// The few sentences only the webhook says (the pending batch, delete protection, versions it does not
// know). Every sentence about a dependency problem comes from src/graph/messages.ts, so the webhook,
// the controller's Events and `releasegate check` use the same words; these build on those.
import { dependentWarningMessage, missingMessage } from "../graph/messages.js";
import type { ObjectKey } from "../graph/types.js";

/** A dependency that exists only as a dry-run seen moments ago (docs/behaviour.md, The pending batch). */
export function pendingDependencyWarning(kind: string, dependency: ObjectKey): string {
  return `${missingMessage(kind, dependency)} yet but is pending in the same batch: allowed`;
}

/** DELETE denied by `--delete-protection deny`. */
export function deleteProtectedMessage(object: ObjectKey, dependents: readonly ObjectKey[]): string {
  const shown = dependents.slice(0, 3);
  const more = dependents.length > shown.length ? ` and ${dependents.length - shown.length} more` : "";
  const who = shown.map((d) => dependentWarningMessage(d, object)).join(", ");
  return `${object} is still needed (${who}${more}): remove those dependsOn entries first, or delete the dependents too`;
}

/** DELETE allowed with `--delete-protection warn`: one line per dependent. */
export function deleteWarning(object: ObjectKey, dependent: ObjectKey): string {
  return `${dependentWarningMessage(dependent, object)} and will be blocked`;
}

/** A request for an API version releasegate does not know (a newer Flux): allowed unchecked. */
export function unknownVersionWarning(resource: string, version: string): string {
  return `releasegate does not know ${resource} ${version}: dependsOn not checked`;
}

/**
 * A dependency of a kind releasegate does not cache whose consistent read failed: denied all the same,
 * as the existing missing-read path does (docs/behaviour.md, Admission rules), saying why.
 */
export function unconfirmedDependencyMessage(kind: string, dependency: ObjectKey, error: string): string {
  return `${kind} ${dependency} could not be confirmed to exist (reading it from the API server failed: ${error}): try again shortly, or fix the dependsOn entry`;
}

/**
 * A dependency of a kind releasegate may not read (its RBAC grants no `get` on it): left unchecked
 * rather than denied, since a missing permission is no reason to block a ResourceSet (a warning, so
 * at most 120 characters for usual names).
 */
export function unreadableDependencyWarning(kind: string, dependency: ObjectKey, resource: string): string {
  return `${kind} ${dependency} not checked: releasegate may not get ${resource} (RBAC)`;
}
