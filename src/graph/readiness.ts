// Is a dependency ready, and if not, how is it doing? Readiness follows Flux exactly
// (helm-controller and kustomize-controller `checkDependencies`): a dependency is ready when it has
// conditions, `metadata.generation == status.observedGeneration` (both default to 0, as Go's zero
// values do) and its Ready condition is True — unless the dependsOn entry has a readyExpr, whose
// result then replaces that check, or with the feature gate AdditiveCELDependencyCheck (feature-gates.ts)
// adds to it. Health is releasegate's own classification for gate reasons.

import type { ExternalObject, JsonMap } from "./external-objects.js";
import { computeKStatus } from "./kstatus.js";
import type { KStatusSubject } from "./kstatus.js";
import { FIELDS_PENDING_MESSAGE, kstatusMessage, NOT_READY_YET_MESSAGE, READY_EXPR_FALSE_MESSAGE, readyExprErrorMessage, readyExprMessage, SUSPENDED_MESSAGE } from "./messages.js";
import { fluxFeatureGates } from "./feature-gates.js";
import { coversKeep } from "./field-paths.js";
import type { Keep } from "./field-paths.js";
import { compileObjectReadyExpr, compileReadyExpr, OPERATOR_HEALTH_CHECK_EXPR } from "./ready-expr.js";
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
const TERMINAL_FAILURE_REASONS: ReadonlySet<string> = new Set([
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
function isBuiltinReady(obj: FluxObject): boolean {
  const conditions = obj.status?.conditions;
  if (conditions === undefined || conditions.length === 0) return false;
  if ((obj.generation ?? 0) !== (obj.status?.observedGeneration ?? 0)) return false;
  return findCondition(obj, READY_CONDITION)?.status === "True";
}

/**
 * Whether `dependent` may proceed past this dependsOn entry on `dep`, as Flux decides it: the
 * readyExpr when the entry has one (a compile or evaluation error means not ready), and the built-in
 * check without one or with the feature gate AdditiveCELDependencyCheck.
 */
export function isReady(dep: FluxObject, dependent: FluxObject, entry: ResolvedDependency): boolean {
  if (dependent.kind === "ResourceSet") return entry.ready !== true || resourceSetVerdict(dep, entry, dependent.namespace).ready;
  if (isRfcEntry(dependent, entry)) return crossKindVerdict(dep, entry, dependent).ready;
  if (entry.readyExpr !== undefined) {
    if (!readyExprResult(dep, dependent, entry.readyExpr).ready) return false;
    if (!fluxFeatureGates().additiveCelDependencyCheck) return true;
  }
  return isBuiltinReady(dep);
}

/** The entry's readyExpr on `dep` for `dependent` (a compile error: not ready, with the error). */
function readyExprResult(dep: FluxObject, dependent: FluxObject, readyExpr: string): { ready: true } | { ready: false; error?: string } {
  const compiled = compileReadyExpr(readyExpr);
  if (!compiled.ok) return { ready: false, error: compiled.error };
  if (!holdsFields(dep, compiled.depFields)) return { ready: false, error: FIELDS_PENDING_MESSAGE };
  return compiled.evaluate(dependent, dep);
}

/**
 * Whether the object holds the fields `need` (false only for an object the cache decoded before a
 * readyExpr asked for them: it is being read again, and judging it meanwhile would say what Flux never says).
 */
function holdsFields(obj: FluxObject | ExternalObject, need: Keep | undefined): boolean {
  if (!("dependsOn" in obj) || obj.fieldsKeep === undefined || need === undefined) return true;
  return coversKeep(obj.fieldsKeep, need);
}

/** The compile error of a dependsOn entry's readyExpr as its dependent's controller compiles it; undefined when it compiles. */
export function readyExprCompileError(dependentKind: string, entry: { readyExpr?: string; ready?: boolean }): string | undefined {
  const expr = entry.readyExpr;
  if (expr === undefined || expr === "") return undefined;
  // The Flux RFC on dependsOn: with `ready: false` the expression is not evaluated.
  if (dependentKind !== "ResourceSet" && entry.ready === false) return undefined;
  if (dependentKind === "ResourceSet") {
    if (entry.ready !== true) return undefined;
    const compiled = compileObjectReadyExpr(expr);
    return compiled.ok ? undefined : compiled.error;
  }
  const compiled = compileReadyExpr(expr);
  return compiled.ok ? undefined : compiled.error;
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
 * Stalled) condition message, "suspended", or for an entry whose readyExpr is false or fails to
 * evaluate, that (Flux's words).
 */
export function notReadyMessage(dep: FluxObject, entry: ResolvedDependency, dependentKind?: string, dependent?: FluxObject): string {
  if (dependentKind === "ResourceSet") return resourceSetNotReadyMessage(dep, entry, dependent?.namespace);
  if (dependent !== undefined && isRfcEntry(dependent, entry)) return crossKindNotReadyMessage(dep, entry, dependent);
  if (entry.readyExpr !== undefined) {
    const compiled = compileReadyExpr(entry.readyExpr);
    if (!compiled.ok) return readyExprMessage(entry.index, compiled.error);
    if (dependent !== undefined) {
      const result = readyExprResult(dep, dependent, entry.readyExpr);
      if (!result.ready) return result.error ?? READY_EXPR_FALSE_MESSAGE;
    }
  }
  return ownNotReadyMessage(dep);
}

/** The object's own account of why it is not ready: its Ready or Stalled message, "suspended", or that it is Ready. */
function ownNotReadyMessage(dep: FluxObject): string {
  return ownNotReadyMessageOf(dep, healthOf(dep));
}

/** ownNotReadyMessage, the object's health known (the graph finds it on upsert). */
export function ownNotReadyMessageOf(dep: FluxObject, health: Health): string {
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

// --- the Flux Operator's check of a ResourceSet's dependsOn entry (docs/behaviour.md, "Flux's behaviour we build on") ---
//
// Existence is enough without `ready: true`. With it, the entry's readyExpr decides when it has one
// (CEL over the dependency object, ready-expr.ts); otherwise kstatus must say Current (kstatus.ts),
// for a Flux kind as for any other: Ready=True at the observed generation, and neither Reconciling
// nor Stalled.

type ResourceSetVerdict = { ready: true } | { ready: false; failed: boolean; message: string };

const READY_VERDICT: ResourceSetVerdict = Object.freeze({ ready: true });

/**
 * Whether a `ready: true` entry's dependency passes the operator's check, and if not, why.
 * `dependentNamespace`: the ResourceSet's namespace (a Secret elsewhere has its `data` hidden).
 */
export function resourceSetVerdict(
  dep: FluxObject | ExternalObject,
  entry: Pick<ResolvedDependency, "readyExpr" | "index">,
  dependentNamespace?: string,
): ResourceSetVerdict {
  if (entry.readyExpr !== undefined && entry.readyExpr !== "") {
    const compiled = compileObjectReadyExpr(entry.readyExpr);
    if (!compiled.ok) return { ready: false, failed: true, message: readyExprMessage(entry.index, compiled.error) };
    if (!holdsFields(dep, compiled.fields)) return { ready: false, failed: false, message: FIELDS_PENDING_MESSAGE };
    const hideSecretData = dep.kind === "Secret" && dep.apiVersion === "v1" && dep.namespace !== dependentNamespace;
    const result = compiled.evaluate(dep, { hideSecretData });
    if (result.ready) return READY_VERDICT;
    return { ready: false, failed: false, message: result.error === undefined ? READY_EXPR_FALSE_MESSAGE : readyExprErrorMessage(result.error) };
  }
  if (dep.kind === "ResourceSet" || dep.kind === "ResourceSetInputProvider") {
    // The operator's own check of its kinds (ready-expr.ts, OPERATOR_HEALTH_CHECK_EXPR), not kstatus.
    const compiled = compileObjectReadyExpr(OPERATOR_HEALTH_CHECK_EXPR);
    const result = compiled.ok ? compiled.evaluate(dep) : { ready: false as const, error: compiled.error };
    if (result.ready) return READY_VERDICT;
    const failed = computeKStatus(kstatusSubjectOf(dep)).status === "Failed";
    return { ready: false, failed, message: result.error ?? NOT_READY_YET_MESSAGE };
  }
  const status = computeKStatus(kstatusSubjectOf(dep));
  if (status.status === "Current") return READY_VERDICT;
  return { ready: false, failed: status.status === "Failed", message: kstatusMessage(status.status, status.message) };
}

/**
 * The root cause message for a Flux object a ResourceSet's `ready: true` entry waits on: the readyExpr's
 * verdict when the entry has one, else the object's own account (its Ready message, "suspended") while it
 * is not Ready, else what the operator's check says (Ready, but still reconciling or at an older generation).
 */
export function resourceSetNotReadyMessage(dep: FluxObject, entry: Pick<ResolvedDependency, "readyExpr" | "index">, dependentNamespace?: string): string {
  const verdict = resourceSetVerdict(dep, entry, dependentNamespace);
  if (entry.readyExpr !== undefined && entry.readyExpr !== "") return verdict.ready ? READY_EXPR_FALSE_MESSAGE : verdict.message;
  if (healthOf(dep) !== "ready") return ownNotReadyMessage(dep);
  return verdict.ready ? NOT_READY_YET_MESSAGE : verdict.message;
}

// --- the Flux RFC's check of a HelmRelease's or Kustomization's entry naming another kind (flux2 PR 5988) ---
//
// Read only where the served schema has the RFC's fields (src/flux/cross-kind.ts). In order: the object
// exists; `ready: false` (default true) asks no more, and its readyExpr is not evaluated; a readyExpr is CEL
// over `self` and `dep` as for any entry, and replaces the built-in check unless the feature gate
// AdditiveCELDependencyCheck is on; the built-in check is kstatus Current and, for a kind of a
// `*.toolkit.fluxcd.io` group, a Ready condition True as well. An entry of the dependent's own kind keeps
// today's rule (isBuiltinReady), `ready: false` aside.

/** An entry the RFC's rule judges: one naming another kind, or a `ready: false` one. */
function isRfcEntry(dependent: FluxObject, entry: Pick<ResolvedDependency, "kind" | "ready">): boolean {
  return dependent.kind !== "ResourceSet" && (entry.ready === false || (entry.kind !== "" && entry.kind !== dependent.kind));
}

/** Whether an object of this kind belongs to a Flux toolkit group (the RFC adds the Ready rule for those). */
function isToolkitObject(dep: FluxObject | ExternalObject): boolean {
  if ("dependsOn" in dep) return dep.kind === "HelmRelease" || dep.kind === "Kustomization";
  const slash = dep.apiVersion.indexOf("/");
  const group = slash < 0 ? "" : dep.apiVersion.slice(0, slash);
  return group === "toolkit.fluxcd.io" || group.endsWith(".toolkit.fluxcd.io");
}

/** The Ready condition of either shape of object. */
function readyConditionOf(dep: FluxObject | ExternalObject): { status: string; message?: string } | undefined {
  if ("dependsOn" in dep) return findCondition(dep, READY_CONDITION);
  const list = dep.status?.["conditions"];
  if (!Array.isArray(list)) return undefined;
  for (const c of list) {
    if (typeof c !== "object" || c === null || Array.isArray(c) || c["type"] !== READY_CONDITION) continue;
    const message = c["message"];
    return { status: typeof c["status"] === "string" ? c["status"] : "", ...(typeof message === "string" ? { message } : {}) };
  }
  return undefined;
}

/** Whether a cross-kind (or `ready: false`) entry's dependency passes the RFC's check, and if not, why. */
export function crossKindVerdict(
  dep: FluxObject | ExternalObject,
  entry: Pick<ResolvedDependency, "readyExpr" | "index" | "ready">,
  dependent: FluxObject,
): ResourceSetVerdict {
  if (entry.ready === false) return READY_VERDICT;
  if (entry.readyExpr !== undefined && entry.readyExpr !== "") {
    const compiled = compileReadyExpr(entry.readyExpr);
    if (!compiled.ok) return { ready: false, failed: true, message: readyExprMessage(entry.index, compiled.error) };
    if (!holdsFields(dep, compiled.depFields)) return { ready: false, failed: false, message: FIELDS_PENDING_MESSAGE };
    const result = compiled.evaluate(dependent, dep);
    if (!result.ready) return { ready: false, failed: false, message: result.error ?? READY_EXPR_FALSE_MESSAGE };
    if (!fluxFeatureGates().additiveCelDependencyCheck) return READY_VERDICT;
  }
  const status = computeKStatus(kstatusSubjectOf(dep));
  if (status.status !== "Current") {
    const own = "dependsOn" in dep && healthOf(dep) !== "ready" ? ownNotReadyMessage(dep) : undefined;
    return { ready: false, failed: status.status === "Failed", message: own ?? kstatusMessage(status.status, status.message) };
  }
  if (isToolkitObject(dep)) {
    const ready = readyConditionOf(dep);
    if (ready?.status !== "True") return { ready: false, failed: false, message: ready?.message !== undefined && ready.message.trim() !== "" ? ready.message : NOT_READY_YET_MESSAGE };
  }
  return READY_VERDICT;
}

/** The root cause message for a Flux object that a cross-kind entry waits on. */
function crossKindNotReadyMessage(dep: FluxObject, entry: Pick<ResolvedDependency, "readyExpr" | "index" | "ready">, dependent: FluxObject): string {
  const verdict = crossKindVerdict(dep, entry, dependent);
  return verdict.ready ? NOT_READY_YET_MESSAGE : verdict.message;
}

/** kstatus's view of an object (a Flux object's is built on each call: kept per object it would cost memory at 100k objects). */
function kstatusSubjectOf(obj: FluxObject | ExternalObject): KStatusSubject {
  if (!("dependsOn" in obj)) return obj;
  const subject: KStatusSubject = { kind: obj.kind };
  if (obj.apiVersion !== undefined) subject.apiVersion = obj.apiVersion;
  if (obj.generation !== undefined) subject.generation = obj.generation;
  if (obj.deleting === true) subject.deleting = true;
  if (obj.status !== undefined) {
    const status: JsonMap = {};
    if (obj.status.observedGeneration !== undefined) status.observedGeneration = obj.status.observedGeneration;
    if (obj.status.conditions !== undefined) {
      status.conditions = obj.status.conditions.map((c) => {
        const condition: JsonMap = { type: c.type, status: c.status };
        if (c.reason !== undefined) condition.reason = c.reason;
        if (c.message !== undefined) condition.message = c.message;
        return condition;
      });
    }
    subject.status = status;
  }
  return subject;
}

/** What a ResourceSet's `ready: true` entry without readyExpr reads of a Flux object: kstatus's verdict. */
export function kstatusSignature(obj: FluxObject): string {
  const status = computeKStatus(kstatusSubjectOf(obj));
  return `${status.status}\u0000${status.message}`;
}
