// The typed view of a HelmRelease or Kustomization that helm-controller's and kustomize-controller's
// readyExpr sees (docs/behaviour.md, "Gate states"). The controllers read both objects into their Go API
// types and hand CEL `runtime.DefaultUnstructuredConverter.ToUnstructured` of them, not the stored JSON, so:
// - a field without `omitempty` is there even when the stored object lacks it, with its zero value ("",
//   false, 0, null for a list, map or pointer; a metav1.Duration is "0s", a metav1.Time null);
// - a non-pointer struct is always there (`status` of a HelmRelease never created by the controller is {}),
//   because the converter never counts a struct as empty, `omitempty` or not;
// - an `omitempty` string, bool, number, list or map with its zero value is not there, even when the stored
//   object spells it out (`suspend: false`, `dependsOn: []`): `has(dep.spec.suspend)` is then false;
// - `dep` has no `apiVersion` nor `kind`: the controllers read it through controller-runtime's API reader,
//   whose decoder clears the group-version-kind (apimachinery runtime.WithoutVersionDecoder), while `self`
//   comes from the informer cache, which sets it.
// The tables below are the Go types' JSON tags (helm-controller api/v2 helmrelease_types.go and its
// siblings, kustomize-controller api/v1 kustomization_types.go, fluxcd/pkg apis/meta and apis/kustomize,
// apimachinery's ObjectMeta and Condition), one line a field: `omit` an omitempty scalar, list or map;
// `struct` a non-pointer struct; `duration`/`time` a metav1.Duration/metav1.Time ("0s"/null when absent),
// `duration?`/`time?` a pointer to one (absent stays absent), each written back as Go formats it;
// otherwise the zero value a field without omitempty gets. `[]` is each element of a list. Fields under a pointer (`spec.chart.spec.chart`) apply only where the pointer is set.

import type { CelInput } from "@bufbuild/cel";

const OBJECT_META = `
  kind omit
  apiVersion omit
  metadata struct
  metadata.name omit
  metadata.generateName omit
  metadata.namespace omit
  metadata.selfLink omit
  metadata.uid omit
  metadata.resourceVersion omit
  metadata.generation omit
  metadata.creationTimestamp time
  metadata.deletionTimestamp time?
  metadata.labels omit
  metadata.annotations omit
  metadata.ownerReferences omit
  metadata.finalizers omit
  metadata.managedFields omit
`;

// Both kinds' status.conditions: []metav1.Condition (apimachinery), omitempty on the list.
const STATUS_CONDITIONS = `
  status.conditions omit
  status.conditions[].type ""
  status.conditions[].status ""
  status.conditions[].observedGeneration omit
  status.conditions[].lastTransitionTime time
  status.conditions[].reason ""
  status.conditions[].message ""
`;

const HELM_RELEASE_V2 = `
  spec struct
  spec.chart.metadata.labels omit
  spec.chart.metadata.annotations omit
  spec.chart.spec struct
  spec.chart.spec.chart ""
  spec.chart.spec.version omit
  spec.chart.spec.sourceRef struct
  spec.chart.spec.sourceRef.apiVersion omit
  spec.chart.spec.sourceRef.kind omit
  spec.chart.spec.sourceRef.name ""
  spec.chart.spec.sourceRef.namespace omit
  spec.chart.spec.interval duration?
  spec.chart.spec.reconcileStrategy omit
  spec.chart.spec.valuesFiles omit
  spec.chart.spec.ignoreMissingValuesFiles omit
  spec.chart.spec.verify.provider ""
  spec.chart.spec.verify.secretRef.name ""
  spec.chartRef.apiVersion omit
  spec.chartRef.kind ""
  spec.chartRef.name ""
  spec.chartRef.namespace omit
  spec.interval duration
  spec.kubeConfig.configMapRef.name ""
  spec.kubeConfig.secretRef.name ""
  spec.kubeConfig.secretRef.key omit
  spec.suspend omit
  spec.releaseName omit
  spec.targetNamespace omit
  spec.storageNamespace omit
  spec.dependsOn omit
  spec.timeout duration?
  spec.serviceAccountName omit
  spec.driftDetection.mode omit
  spec.driftDetection.ignore omit
  spec.driftDetection.ignore[].paths null
  spec.driftDetection.ignore[].target.group omit
  spec.driftDetection.ignore[].target.version omit
  spec.driftDetection.ignore[].target.kind omit
  spec.driftDetection.ignore[].target.namespace omit
  spec.driftDetection.ignore[].target.name omit
  spec.driftDetection.ignore[].target.annotationSelector omit
  spec.driftDetection.ignore[].target.labelSelector omit
  spec.install.timeout duration?
  spec.install.strategy.name ""
  spec.install.strategy.retryInterval duration?
  spec.install.remediation.retries omit
  spec.install.disableTakeOwnership omit
  spec.install.disableWait omit
  spec.install.disableWaitForJobs omit
  spec.install.disableHooks omit
  spec.install.disableOpenAPIValidation omit
  spec.install.disableSchemaValidation omit
  spec.install.replace omit
  spec.install.skipCRDs omit
  spec.install.crds omit
  spec.install.createNamespace omit
  spec.upgrade.timeout duration?
  spec.upgrade.strategy.name ""
  spec.upgrade.strategy.retryInterval duration?
  spec.upgrade.remediation.retries omit
  spec.upgrade.disableTakeOwnership omit
  spec.upgrade.disableWait omit
  spec.upgrade.disableWaitForJobs omit
  spec.upgrade.disableHooks omit
  spec.upgrade.disableOpenAPIValidation omit
  spec.upgrade.disableSchemaValidation omit
  spec.upgrade.force omit
  spec.upgrade.preserveValues omit
  spec.upgrade.cleanupOnFail omit
  spec.upgrade.crds omit
  spec.upgrade.serverSideApply omit
  spec.upgrade.chartNameChangeStrategy omit
  spec.test.enable omit
  spec.test.timeout duration?
  spec.test.ignoreFailures omit
  spec.rollback.timeout duration?
  spec.rollback.disableWait omit
  spec.rollback.disableWaitForJobs omit
  spec.rollback.disableHooks omit
  spec.rollback.recreate omit
  spec.rollback.force omit
  spec.rollback.cleanupOnFail omit
  spec.rollback.serverSideApply omit
  spec.uninstall.timeout duration?
  spec.uninstall.disableHooks omit
  spec.uninstall.keepHistory omit
  spec.uninstall.disableWait omit
  spec.valuesFrom omit
  spec.commonMetadata.annotations omit
  spec.commonMetadata.labels omit
  spec.postRenderers omit
  spec.postRenderers[].kustomize.patches omit
  spec.postRenderers[].kustomize.patches[].patch ""
  spec.postRenderers[].kustomize.patches[].target.group omit
  spec.postRenderers[].kustomize.patches[].target.version omit
  spec.postRenderers[].kustomize.patches[].target.kind omit
  spec.postRenderers[].kustomize.patches[].target.namespace omit
  spec.postRenderers[].kustomize.patches[].target.name omit
  spec.postRenderers[].kustomize.patches[].target.annotationSelector omit
  spec.postRenderers[].kustomize.patches[].target.labelSelector omit
  spec.postRenderers[].kustomize.images omit
  spec.postRenderers[].kustomize.images[].name ""
  spec.postRenderers[].kustomize.images[].newName omit
  spec.postRenderers[].kustomize.images[].newTag omit
  spec.postRenderers[].kustomize.images[].digest omit
  spec.postRenderStrategy omit
  spec.waitStrategy.name ""
  spec.healthCheckExprs omit
  spec.healthCheckExprs[].apiVersion ""
  spec.healthCheckExprs[].kind omit
  spec.healthCheckExprs[].current ""
  spec.healthCheckExprs[].inProgress omit
  spec.healthCheckExprs[].failed omit
  status struct
  status.observedGeneration omit
  status.observedPostRenderersDigest omit
  status.observedCommonMetadataDigest omit
  status.lastAttemptedGeneration omit
  status.helmChart omit
  status.storageNamespace omit
  status.history omit
  status.history[].apiVersion omit
  status.history[].digest ""
  status.history[].name ""
  status.history[].namespace ""
  status.history[].version 0
  status.history[].status ""
  status.history[].action omit
  status.history[].chartName ""
  status.history[].chartVersion ""
  status.history[].appVersion omit
  status.history[].configDigest ""
  status.history[].firstDeployed time
  status.history[].lastDeployed time
  status.history[].deleted time
  status.history[].ociDigest omit
  status.inventory.entries null
  status.inventory.entries[].id ""
  status.inventory.entries[].v ""
  status.lastAttemptedReleaseAction omit
  status.lastAttemptedReleaseActionDuration duration?
  status.failures omit
  status.installFailures omit
  status.upgradeFailures omit
  status.lastAttemptedRevision omit
  status.lastAttemptedRevisionDigest omit
  status.lastAttemptedValuesChecksum omit
  status.lastReleaseRevision omit
  status.lastAttemptedConfigDigest omit
  status.lastHandledResetAt omit
  status.lastHandledReconcileAt omit
  status.lastHandledForceAt omit
`;

const KUSTOMIZATION_V1 = `
  spec struct
  spec.commonMetadata.annotations omit
  spec.commonMetadata.labels omit
  spec.dependsOn omit
  spec.decryption.provider ""
  spec.decryption.serviceAccountName omit
  spec.decryption.secretRef.name ""
  spec.interval duration
  spec.retryInterval duration?
  spec.kubeConfig.configMapRef.name ""
  spec.kubeConfig.secretRef.name ""
  spec.kubeConfig.secretRef.key omit
  spec.path omit
  spec.postBuild.substituteStrategy omit
  spec.postBuild.substitute omit
  spec.postBuild.substituteFrom omit
  spec.postBuild.substituteFrom[].kind ""
  spec.postBuild.substituteFrom[].name ""
  spec.postBuild.substituteFrom[].optional omit
  spec.prune false
  spec.deletionPolicy omit
  spec.healthChecks omit
  spec.healthChecks[].apiVersion omit
  spec.healthChecks[].kind ""
  spec.healthChecks[].name ""
  spec.healthChecks[].namespace omit
  spec.namePrefix omit
  spec.nameSuffix omit
  spec.patches omit
  spec.patches[].patch ""
  spec.patches[].target.group omit
  spec.patches[].target.version omit
  spec.patches[].target.kind omit
  spec.patches[].target.namespace omit
  spec.patches[].target.name omit
  spec.patches[].target.annotationSelector omit
  spec.patches[].target.labelSelector omit
  spec.images omit
  spec.images[].name ""
  spec.images[].newName omit
  spec.images[].newTag omit
  spec.images[].digest omit
  spec.serviceAccountName omit
  spec.sourceRef struct
  spec.sourceRef.apiVersion omit
  spec.sourceRef.kind ""
  spec.sourceRef.name ""
  spec.sourceRef.namespace omit
  spec.suspend omit
  spec.targetNamespace omit
  spec.timeout duration?
  spec.force omit
  spec.wait omit
  spec.buildMetadata omit
  spec.components omit
  spec.ignoreMissingComponents omit
  spec.healthCheckExprs omit
  spec.healthCheckExprs[].apiVersion ""
  spec.healthCheckExprs[].kind omit
  spec.healthCheckExprs[].current ""
  spec.healthCheckExprs[].inProgress omit
  spec.healthCheckExprs[].failed omit
  spec.ignore omit
  spec.ignore[].paths null
  spec.ignore[].target.group omit
  spec.ignore[].target.version omit
  spec.ignore[].target.kind omit
  spec.ignore[].target.namespace omit
  spec.ignore[].target.name omit
  spec.ignore[].target.annotationSelector omit
  spec.ignore[].target.labelSelector omit
  status struct
  status.lastHandledReconcileAt omit
  status.observedGeneration omit
  status.lastAppliedRevision omit
  status.lastAppliedOriginRevision omit
  status.lastAttemptedRevision omit
  status.inventory.entries null
  status.inventory.entries[].id ""
  status.inventory.entries[].v ""
  status.history omit
  status.history[].digest ""
  status.history[].firstReconciled time
  status.history[].lastReconciled time
  status.history[].lastReconciledDuration duration
  status.history[].lastReconciledStatus ""
  status.history[].totalReconciliations 0
  status.history[].metadata omit
`;

/** `format`: a metav1.Duration or metav1.Time, written back as Go writes it ("5m" reads as "5m0s"). */
type Rule = "omit" | "struct" | { zero?: CelInput; format?: (text: string) => string };

interface Shape {
  rule?: Rule;
  fields: Map<string, Shape>;
  /** The shape of each element, for a list of structs. */
  items?: Shape;
}

function emptyShape(): Shape {
  return { fields: new Map() };
}

function ruleOf(text: string): Rule {
  switch (text) {
    case "omit":
    case "struct":
      return text;
    case '""':
      return { zero: "" };
    case "false":
      return { zero: false };
    case "0":
      return { zero: 0n };
    case "null":
      return { zero: null };
    case "duration":
      return { zero: "0s", format: goDuration };
    case "duration?":
      return { format: goDuration };
    case "time":
      return { zero: null, format: goTime };
    case "time?":
      return { format: goTime };
    default:
      throw new Error(`flux-typed-view: unknown rule ${text}`);
  }
}

/** Builds the tree of one kind's table lines. */
function shapeOf(...tables: string[]): Shape {
  const root = emptyShape();
  for (const line of tables.join("\n").split("\n")) {
    const [path, rule] = line.trim().split(/\s+/);
    if (path === undefined || path === "" || rule === undefined) continue;
    let node = root;
    for (const segment of path.split(".")) {
      const list = segment.endsWith("[]");
      const name = list ? segment.slice(0, -2) : segment;
      let child = node.fields.get(name);
      if (child === undefined) node.fields.set(name, (child = emptyShape()));
      node = list ? (child.items ??= emptyShape()) : child;
    }
    node.rule = ruleOf(rule);
  }
  return root;
}

const SHAPES: ReadonlyMap<string, Shape> = new Map([
  ["HelmRelease", shapeOf(OBJECT_META, STATUS_CONDITIONS, HELM_RELEASE_V2)],
  ["Kustomization", shapeOf(OBJECT_META, STATUS_CONDITIONS, KUSTOMIZATION_V1)],
]);

/**
 * The object as the controller's readyExpr sees it when bound as `role`: the map (made for this evaluation,
 * changed in place) with the typed defaults laid over it. Kinds other than HelmRelease and Kustomization
 * are returned as they are.
 */
export function fluxTypedView(kind: string, object: CelInput, role: "self" | "dep"): CelInput {
  const shape = SHAPES.get(kind);
  if (shape === undefined || !isCelMap(object)) return object;
  const map: Record<string, CelInput> = object;
  applyShape(map, shape);
  if (role === "dep") {
    delete map["apiVersion"];
    delete map["kind"];
  }
  return map;
}

function applyShape(value: Record<string, CelInput>, shape: Shape): void {
  for (const [key, child] of shape.fields) {
    const field = value[key];
    if (field === undefined) {
      if (child.rule === "struct") {
        const made: Record<string, CelInput> = {};
        applyShape(made, child);
        value[key] = made;
      } else if (child.rule !== undefined && child.rule !== "omit" && child.rule.zero !== undefined) {
        value[key] = child.rule.zero;
      }
      continue;
    }
    if (child.rule === "omit" && isZero(field)) {
      delete value[key];
      continue;
    }
    if (typeof field === "string" && typeof child.rule === "object" && child.rule.format !== undefined) {
      value[key] = child.rule.format(field);
      continue;
    }
    if (isCelMap(field)) applyShape(field, child);
    else if (Array.isArray(field) && child.items !== undefined) for (const item of field as CelInput[]) if (isCelMap(item)) applyShape(item, child.items);
  }
}

/** What encoding/json's omitempty (as the converter applies it) counts as empty. */
function isZero(value: CelInput): boolean {
  if (value === null || value === "" || value === false || value === 0n || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isCelMap(value) && Object.keys(value).length === 0;
}

function isCelMap(value: CelInput | undefined): value is Record<string, CelInput> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

const UNIT_NANOS: Readonly<Record<string, bigint>> = { ns: 1n, us: 1_000n, "\u00b5s": 1_000n, "\u03bcs": 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const DURATION = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))*$/;

/**
 * A duration as metav1.Duration converts it: parsed as Go's time.ParseDuration reads it, written as
 * time.Duration.String() writes it ("5m" → "5m0s", "90s" → "1m30s", "1500ms" → "1.5s"). Text Go would
 * not parse is left as it is.
 */
function goDuration(text: string): string {
  if (text === "0" || text === "+0" || text === "-0") return "0s";
  if (!DURATION.test(text)) return text;
  let nanos = 0n;
  for (const [, whole, fraction, unit] of text.matchAll(/(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g)) {
    const scale = UNIT_NANOS[unit!]!;
    nanos += BigInt(whole === "" ? "0" : whole!) * scale;
    if (fraction !== undefined && fraction !== "") nanos += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
  }
  return formatDuration(text.startsWith("-") ? -nanos : nanos);
}

function formatDuration(nanos: bigint): string {
  if (nanos === 0n) return "0s";
  const sign = nanos < 0n ? "-" : "";
  const u = nanos < 0n ? -nanos : nanos;
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${decimal(u, 3)}\u00b5s`;
  if (u < 1_000_000_000n) return `${sign}${decimal(u, 6)}ms`;
  const seconds = u / 1_000_000_000n;
  const minutes = seconds / 60n;
  const hours = minutes / 60n;
  const secondsText = `${decimal((seconds % 60n) * 1_000_000_000n + (u % 1_000_000_000n), 9)}s`;
  if (minutes === 0n) return `${sign}${secondsText}`;
  if (hours === 0n) return `${sign}${minutes % 60n}m${secondsText}`;
  return `${sign}${hours}h${minutes % 60n}m${secondsText}`;
}

/** `value / 10^digits` with the fraction's trailing zeros (and a bare point) left out, as Go's fmtFrac. */
function decimal(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const fraction = (value % scale).toString().padStart(digits, "0").replace(/0+$/, "");
  return fraction === "" ? `${value / scale}` : `${value / scale}.${fraction}`;
}

/** A time as metav1.Time converts it: RFC 3339 in UTC, whole seconds. Text Go would not parse is left as it is. */
function goTime(text: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i.test(text)) return text;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}
