// Is a dependency ready, and if not, how is it doing? Readiness follows Flux exactly
// (helm-controller and kustomize-controller `checkDependencies`): a dependency is ready when it has
// conditions, `metadata.generation == status.observedGeneration` (both default to 0, as Go's zero
// values do) and its Ready condition is True — unless the dependsOn entry has a readyExpr, whose
// result then replaces that check. Health is releasegate's own classification for gate reasons.

import { NOT_READY_YET_MESSAGE, READY_EXPR_FALSE_MESSAGE, SUSPENDED_MESSAGE, readyExprMessage } from "./messages.js";
import { compileReadyExpr } from "./ready-expr.js";
import type { Condition, FluxObject, ResolvedDependency } from "./types.js";

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
