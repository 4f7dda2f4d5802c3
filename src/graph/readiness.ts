// Is a dependency ready, and if not, how is it doing? Readiness follows Flux exactly
// (helm-controller and kustomize-controller `checkDependencies`): a dependency is ready when it has
// conditions, `metadata.generation == status.observedGeneration` (both default to 0, as Go's zero
// values do) and its Ready condition is True — unless the dependsOn entry has a readyExpr, whose
// result then replaces that check. Health is releasegate's own classification for gate reasons.

import { NOT_READY_YET_MESSAGE, READY_EXPR_FALSE_MESSAGE, SUSPENDED_MESSAGE, readyExprMessage } from "./messages.js";
import { compileReadyExpr } from "./ready-expr.js";
import type { Condition, FluxObject, ResolvedDependency, SourceRef } from "./types.js";

/** The current artifact revision of each Flux source (GitRepository, OCIRepository, Bucket, ExternalArtifact). */
export interface SourceRevisions {
  revisionOf(ref: SourceRef): string | undefined;
}

export const NO_SOURCE_REVISIONS: SourceRevisions = Object.freeze({ revisionOf: () => undefined });

/** "GitRepository/flux-system/repo": one key per source. */
export function sourceKey(ref: SourceRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * kustomize-controller's second readiness rule: a dependency that shares the dependent's sourceRef
 * must have applied the source's current artifact revision ("dependency 'X' revision is not up to
 * date"). Returns that revision when `dep` has not applied it; undefined when the rule does not apply
 * (other kinds, other sources, a source without an artifact) or is met.
 */
export function unappliedRevision(dep: FluxObject, dependent: FluxObject, revisions: SourceRevisions): string | undefined {
  if (dep.kind !== "Kustomization" || dependent.kind !== "Kustomization") return undefined;
  const a = dep.sourceRef;
  const b = dependent.sourceRef;
  if (a === undefined || b === undefined || a.kind !== b.kind || a.namespace !== b.namespace || a.name !== b.name) return undefined;
  const revision = revisions.revisionOf(a);
  if (revision === undefined || revision === "" || dep.status?.lastAppliedRevision === revision) return undefined;
  return revision;
}

/** Why a dependency that has not applied its source's revision blocks: it may never catch up while suspended. */
export function unappliedRevisionMessage(dep: FluxObject, revision: string): string {
  if (dep.suspend === true) return `suspended; has not applied revision ${revision}`;
  const applied = dep.status?.lastAppliedRevision;
  return `revision is not up to date: applied ${applied ?? "nothing yet"}, the source is at ${revision}`;
}

export type Health = "ready" | "failed" | "progressing" | "suspended";

/** The condition types Flux's readiness reads (src/flux/conditions.ts re-exports them). */
export const READY_CONDITION = "Ready";
export const STALLED_CONDITION = "Stalled";

/**
 * Ready=False reasons after which the controller will not succeed without a change: Flux's
 * helm-controller (InstallFailed, UpgradeFailed, TestFailed, RollbackFailed, UninstallFailed,
 * ArtifactFailed, InitFailed, GetLastReleaseFailed), kustomize-controller (ArtifactFailed,
 * BuildFailed, HealthCheckFailed, ReconciliationFailed, PruneFailed), fluxcd/pkg meta
 * (InvalidCELExpression) and the Stalled reason RetriesExceeded.
 */
export const TERMINAL_FAILURE_REASONS: ReadonlySet<string> = new Set([
  "InstallFailed",
  "UpgradeFailed",
  "TestFailed",
  "RollbackFailed",
  "UninstallFailed",
  "RetriesExceeded",
  "ArtifactFailed",
  "InitFailed",
  "GetLastReleaseFailed",
  "BuildFailed",
  "HealthCheckFailed",
  "ReconciliationFailed",
  "PruneFailed",
  "InvalidCELExpression",
]);

export function findCondition(obj: FluxObject, type: string): Condition | undefined {
  const conditions = obj.status?.conditions;
  if (conditions === undefined) return undefined;
  for (const condition of conditions) if (condition.type === type) return condition;
  return undefined;
}

/** Flux's built-in dependency check, without readyExpr. */
export function isBuiltinReady(obj: FluxObject): boolean {
  const conditions = obj.status?.conditions;
  if (conditions === undefined || conditions.length === 0) return false;
  if ((obj.generation ?? 0) !== (obj.status?.observedGeneration ?? 0)) return false;
  return findCondition(obj, READY_CONDITION)?.status === "True";
}

/**
 * Whether `dependent` may proceed past this dependsOn entry on `dep`, as Flux decides it: the
 * readyExpr when the entry has one (a compile or evaluation error means not ready), else the
 * built-in check.
 */
export function isReady(dep: FluxObject, dependent: FluxObject, entry: ResolvedDependency): boolean {
  if (entry.readyExpr !== undefined) {
    const compiled = compileReadyExpr(entry.readyExpr);
    return compiled.ok && compiled.evaluate(dependent, dep);
  }
  return isBuiltinReady(dep);
}

/**
 * ready: the built-in check passes. failed: Stalled=True, or Ready=False with a terminal reason.
 * suspended: `spec.suspend` and not ready (Flux will not reconcile it). Else progressing. Failed
 * wins over suspended: resuming a failed release does not fix it.
 */
export function healthOf(obj: FluxObject): Health {
  if (isBuiltinReady(obj)) return "ready";
  if (isFailed(obj)) return "failed";
  if (obj.suspend === true) return "suspended";
  return "progressing";
}

function isFailed(obj: FluxObject): boolean {
  const conditions = obj.status?.conditions;
  if (conditions === undefined) return false;
  for (const condition of conditions) {
    if (condition.type === STALLED_CONDITION && condition.status === "True") return true;
    if (condition.type === READY_CONDITION && condition.status === "False" && TERMINAL_FAILURE_REASONS.has(condition.reason ?? "")) {
      return true;
    }
  }
  return false;
}

/**
 * Why a not-ready dependency is not ready, in a few words for a gate's root cause: its Ready (or
 * Stalled) condition message, "suspended", or for an entry whose readyExpr is false or does not
 * compile, that.
 */
export function notReadyMessage(dep: FluxObject, entry: ResolvedDependency): string {
  if (entry.readyExpr !== undefined) {
    const compiled = compileReadyExpr(entry.readyExpr);
    if (!compiled.ok) return readyExprMessage(entry.index, compiled.error);
  }
  const health = healthOf(dep);
  if (health === "suspended") return SUSPENDED_MESSAGE;
  if (health === "ready") return READY_EXPR_FALSE_MESSAGE;
  const ready = findCondition(dep, READY_CONDITION);
  if (ready !== undefined && ready.status !== "True" && nonEmpty(ready.message)) return ready.message;
  const stalled = findCondition(dep, STALLED_CONDITION);
  if (stalled !== undefined && stalled.status === "True" && nonEmpty(stalled.message)) return stalled.message;
  return NOT_READY_YET_MESSAGE;
}

function nonEmpty(text: string | undefined): text is string {
  return text !== undefined && text.trim() !== "";
}
