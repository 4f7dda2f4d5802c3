// The objects helm-controller and kustomize-controller hand their readyExpr, emulated from how Go builds
// them (src/sandbox/README.md: the simulator is an independent oracle, sharing no code with releasegate's
// flux-typed-view.ts): the stored JSON is decoded into the controllers' Go API types, as encoding/json
// does (a field the type does not declare is dropped, an absent one is its Go zero value), then turned
// back into a map by apimachinery's runtime.DefaultUnstructuredConverter.ToUnstructured, which honours
// `omitempty` (an empty string, false, 0, nil or empty slice or map is left out) but never counts a struct
// as empty, and writes metav1.Duration as time.Duration.String() and metav1.Time as RFC 3339 in UTC.
// `dep` is read through controller-runtime's API reader, whose decoder clears apiVersion and kind.
//
// The Go declarations below are transcribed from helm-controller api/v2, kustomize-controller api/v1,
// fluxcd/pkg apis/meta and apis/kustomize, and apimachinery (TypeMeta, ObjectMeta, Condition): one
// `type` line a struct, then its fields as `jsonTag GoType`; `alias` lines are named non-struct types.
import { isJson } from "./unstructured.js";
import type { Json } from "./unstructured.js";

const GO_TYPES = `
type v2.HelmRelease
  ,inline metav1.TypeMeta
  metadata,omitempty metav1.ObjectMeta
  spec,omitempty v2.HelmReleaseSpec
  status,omitempty v2.HelmReleaseStatus
type metav1.TypeMeta
  kind,omitempty string
  apiVersion,omitempty string
type metav1.ObjectMeta
  name,omitempty string
  generateName,omitempty string
  namespace,omitempty string
  selfLink,omitempty string
  uid,omitempty types.UID
  resourceVersion,omitempty string
  generation,omitempty int64
  creationTimestamp,omitempty metav1.Time
  deletionTimestamp,omitempty *metav1.Time
  deletionGracePeriodSeconds,omitempty *int64
  labels,omitempty map[string]string
  annotations,omitempty map[string]string
  ownerReferences,omitempty []metav1.OwnerReference
  finalizers,omitempty []string
  managedFields,omitempty []metav1.ManagedFieldsEntry
type v2.HelmReleaseSpec
  chart,omitempty *v2.HelmChartTemplate
  chartRef,omitempty *v2.CrossNamespaceSourceReference
  interval metav1.Duration
  kubeConfig,omitempty *meta.KubeConfigReference
  suspend,omitempty bool
  releaseName,omitempty string
  targetNamespace,omitempty string
  storageNamespace,omitempty string
  dependsOn,omitempty []v2.DependencyReference
  timeout,omitempty *metav1.Duration
  maxHistory,omitempty *int
  serviceAccountName,omitempty string
  persistentClient,omitempty *bool
  driftDetection,omitempty *v2.DriftDetection
  install,omitempty *v2.Install
  upgrade,omitempty *v2.Upgrade
  test,omitempty *v2.Test
  rollback,omitempty *v2.Rollback
  uninstall,omitempty *v2.Uninstall
  valuesFrom,omitempty []v2.ValuesReference
  values,omitempty *apiextensionsv1.JSON
  commonMetadata,omitempty *v2.CommonMetadata
  postRenderers,omitempty []v2.PostRenderer
  postRenderStrategy,omitempty v2.PostRenderStrategy
  waitStrategy,omitempty *v2.WaitStrategy
  healthCheckExprs,omitempty []kustomize.CustomHealthCheck
type v2.HelmChartTemplate
  metadata,omitempty *v2.HelmChartTemplateObjectMeta
  spec v2.HelmChartTemplateSpec
type v2.HelmChartTemplateObjectMeta
  labels,omitempty map[string]string
  annotations,omitempty map[string]string
type v2.HelmChartTemplateSpec
  chart string
  version,omitempty string
  sourceRef v2.CrossNamespaceObjectReference
  interval,omitempty *metav1.Duration
  reconcileStrategy,omitempty string
  valuesFiles,omitempty []string
  ignoreMissingValuesFiles,omitempty bool
  verify,omitempty *v2.HelmChartTemplateVerification
type v2.CrossNamespaceObjectReference
  apiVersion,omitempty string
  kind,omitempty string
  name string
  namespace,omitempty string
type v2.HelmChartTemplateVerification
  provider string
  secretRef,omitempty *meta.LocalObjectReference
type meta.LocalObjectReference
  name string
type v2.CrossNamespaceSourceReference
  apiVersion,omitempty string
  kind string
  name string
  namespace,omitempty string
type meta.KubeConfigReference
  configMapRef,omitempty *meta.LocalObjectReference
  secretRef,omitempty *meta.SecretKeyReference
type meta.SecretKeyReference
  name string
  key,omitempty string
type meta.DependencyReference
  name string
  namespace,omitempty string
  readyExpr,omitempty string
type v2.DriftDetection
  mode,omitempty v2.DriftDetectionMode
  ignore,omitempty []v2.IgnoreRule
type v2.IgnoreRule
  paths []string
  target,omitempty *kustomize.Selector
type kustomize.Selector
  group,omitempty string
  version,omitempty string
  kind,omitempty string
  namespace,omitempty string
  name,omitempty string
  annotationSelector,omitempty string
  labelSelector,omitempty string
type v2.Install
  timeout,omitempty *metav1.Duration
  strategy,omitempty *v2.InstallStrategy
  remediation,omitempty *v2.InstallRemediation
  disableTakeOwnership,omitempty bool
  disableWait,omitempty bool
  disableWaitForJobs,omitempty bool
  disableHooks,omitempty bool
  disableOpenAPIValidation,omitempty bool
  disableSchemaValidation,omitempty bool
  replace,omitempty bool
  skipCRDs,omitempty bool
  crds,omitempty v2.CRDsPolicy
  createNamespace,omitempty bool
  serverSideApply,omitempty *bool
type v2.InstallStrategy
  name string
  retryInterval,omitempty *metav1.Duration
type v2.InstallRemediation
  retries,omitempty int
  ignoreTestFailures,omitempty *bool
  remediateLastFailure,omitempty *bool
type v2.Upgrade
  timeout,omitempty *metav1.Duration
  strategy,omitempty *v2.UpgradeStrategy
  remediation,omitempty *v2.UpgradeRemediation
  disableTakeOwnership,omitempty bool
  disableWait,omitempty bool
  disableWaitForJobs,omitempty bool
  disableHooks,omitempty bool
  disableOpenAPIValidation,omitempty bool
  disableSchemaValidation,omitempty bool
  force,omitempty bool
  preserveValues,omitempty bool
  cleanupOnFail,omitempty bool
  crds,omitempty v2.CRDsPolicy
  serverSideApply,omitempty v2.ServerSideApplyMode
  chartNameChangeStrategy,omitempty v2.ChartNameChangeStrategy
type v2.UpgradeStrategy
  name string
  retryInterval,omitempty *metav1.Duration
type v2.UpgradeRemediation
  retries,omitempty int
  ignoreTestFailures,omitempty *bool
  remediateLastFailure,omitempty *bool
  strategy,omitempty *v2.RemediationStrategy
type v2.Test
  enable,omitempty bool
  timeout,omitempty *metav1.Duration
  ignoreFailures,omitempty bool
  filters,omitempty *[]v2.Filter
type v2.Filter
  name string
  exclude,omitempty bool
type v2.Rollback
  timeout,omitempty *metav1.Duration
  disableWait,omitempty bool
  disableWaitForJobs,omitempty bool
  disableHooks,omitempty bool
  recreate,omitempty bool
  force,omitempty bool
  cleanupOnFail,omitempty bool
  serverSideApply,omitempty v2.ServerSideApplyMode
type v2.Uninstall
  timeout,omitempty *metav1.Duration
  disableHooks,omitempty bool
  keepHistory,omitempty bool
  disableWait,omitempty bool
  deletionPropagation,omitempty *string
type meta.ValuesReference
  kind string
  name string
  valuesKey,omitempty string
  targetPath,omitempty string
  optional,omitempty bool
  literal,omitempty bool
type v2.CommonMetadata
  annotations,omitempty map[string]string
  labels,omitempty map[string]string
type v2.PostRenderer
  kustomize,omitempty *v2.Kustomize
type v2.Kustomize
  patches,omitempty []kustomize.Patch
  images,omitempty []kustomize.Image
type kustomize.Patch
  patch string
  target,omitempty *kustomize.Selector
type kustomize.Image
  name string
  newName,omitempty string
  newTag,omitempty string
  digest,omitempty string
type v2.WaitStrategy
  name v2.WaitStrategyName
type kustomize.CustomHealthCheck
  apiVersion string
  kind,omitempty string
  ,inline kustomize.HealthCheckExpressions
type kustomize.HealthCheckExpressions
  current string
  inProgress,omitempty string
  failed,omitempty string
type v2.HelmReleaseStatus
  observedGeneration,omitempty int64
  observedPostRenderersDigest,omitempty string
  observedCommonMetadataDigest,omitempty string
  lastAttemptedGeneration,omitempty int64
  conditions,omitempty []metav1.Condition
  helmChart,omitempty string
  storageNamespace,omitempty string
  history,omitempty v2.Snapshots
  inventory,omitempty *v2.ResourceInventory
  lastAttemptedReleaseAction,omitempty v2.ReleaseAction
  lastAttemptedReleaseActionDuration,omitempty *metav1.Duration
  failures,omitempty int64
  installFailures,omitempty int64
  upgradeFailures,omitempty int64
  lastAttemptedRevision,omitempty string
  lastAttemptedRevisionDigest,omitempty string
  lastAttemptedValuesChecksum,omitempty string
  lastReleaseRevision,omitempty int
  lastAttemptedConfigDigest,omitempty string
  lastHandledResetAt,omitempty string
  ,inline meta.ReconcileRequestStatus
  ,inline meta.ForceRequestStatus
type metav1.Condition
  type string
  status metav1.ConditionStatus
  observedGeneration,omitempty int64
  lastTransitionTime metav1.Time
  reason string
  message string
type v2.Snapshot
  apiVersion,omitempty string
  digest string
  name string
  namespace string
  version int
  status string
  action,omitempty v2.ReleaseAction
  chartName string
  chartVersion string
  appVersion,omitempty string
  configDigest string
  firstDeployed metav1.Time
  lastDeployed metav1.Time
  deleted,omitempty metav1.Time
  testHooks,omitempty *map[string]*v2.TestHookStatus
  ociDigest,omitempty string
type v2.TestHookStatus
  lastStarted,omitempty metav1.Time
  lastCompleted,omitempty metav1.Time
  phase,omitempty string
type v2.ResourceInventory
  entries []v2.ResourceRef
type v2.ResourceRef
  id string
  v string
type meta.ReconcileRequestStatus
  lastHandledReconcileAt,omitempty string
type meta.ForceRequestStatus
  lastHandledForceAt,omitempty string
type kc.Kustomization
  ,inline metav1.TypeMeta
  metadata,omitempty metav1.ObjectMeta
  spec,omitempty kc.KustomizationSpec
  status,omitempty kc.KustomizationStatus
type kc.KustomizationSpec
  commonMetadata,omitempty *kc.CommonMetadata
  dependsOn,omitempty []kc.DependencyReference
  decryption,omitempty *kc.Decryption
  interval metav1.Duration
  retryInterval,omitempty *metav1.Duration
  kubeConfig,omitempty *meta.KubeConfigReference
  path,omitempty string
  postBuild,omitempty *kc.PostBuild
  prune bool
  deletionPolicy,omitempty string
  healthChecks,omitempty []meta.NamespacedObjectKindReference
  namePrefix,omitempty string
  nameSuffix,omitempty string
  patches,omitempty []kustomize.Patch
  images,omitempty []kustomize.Image
  serviceAccountName,omitempty string
  sourceRef kc.CrossNamespaceSourceReference
  suspend,omitempty bool
  targetNamespace,omitempty string
  timeout,omitempty *metav1.Duration
  force,omitempty bool
  wait,omitempty bool
  buildMetadata,omitempty []kc.BuildMetadataOption
  components,omitempty []string
  ignoreMissingComponents,omitempty bool
  healthCheckExprs,omitempty []kustomize.CustomHealthCheck
  ignore,omitempty []kc.IgnoreRule
type kc.CommonMetadata
  annotations,omitempty map[string]string
  labels,omitempty map[string]string
type kc.Decryption
  provider string
  serviceAccountName,omitempty string
  secretRef,omitempty *meta.LocalObjectReference
type kc.PostBuild
  substituteStrategy,omitempty kc.SubstituteStrategy
  substitute,omitempty map[string]string
  substituteFrom,omitempty []kc.SubstituteReference
type kc.SubstituteReference
  kind string
  name string
  optional,omitempty bool
type meta.NamespacedObjectKindReference
  apiVersion,omitempty string
  kind string
  name string
  namespace,omitempty string
type kc.CrossNamespaceSourceReference
  apiVersion,omitempty string
  kind string
  name string
  namespace,omitempty string
type kc.IgnoreRule
  paths []string
  target,omitempty *kustomize.Selector
type kc.KustomizationStatus
  ,inline meta.ReconcileRequestStatus
  observedGeneration,omitempty int64
  conditions,omitempty []metav1.Condition
  lastAppliedRevision,omitempty string
  lastAppliedOriginRevision,omitempty string
  lastAttemptedRevision,omitempty string
  inventory,omitempty *kc.ResourceInventory
  history,omitempty meta.History
type kc.ResourceInventory
  entries []kc.ResourceRef
type kc.ResourceRef
  id string
  v string
type meta.Snapshot
  digest string
  firstReconciled metav1.Time
  lastReconciled metav1.Time
  lastReconciledDuration metav1.Duration
  lastReconciledStatus string
  totalReconciliations int64
  metadata,omitempty map[string]string

alias kc.BuildMetadataOption string
alias kc.DependencyReference meta.DependencyReference
alias kc.SubstituteStrategy string
alias meta.History []Snapshot
alias metav1.ConditionStatus string
alias types.UID string
alias v2.CRDsPolicy string
alias v2.ChartNameChangeStrategy string
alias v2.DependencyReference meta.DependencyReference
alias v2.DriftDetectionMode string
alias v2.PostRenderStrategy string
alias v2.ReleaseAction string
alias v2.RemediationStrategy string
alias v2.ServerSideApplyMode string
alias v2.Snapshots []*Snapshot
alias v2.ValuesReference meta.ValuesReference
alias v2.WaitStrategyName string`;

interface GoField {
  name: string;
  omitempty: boolean;
  /** Inlined struct (`json:",inline"`): its fields are the parent's. */
  inline: boolean;
  type: string;
}

const structs = new Map<string, GoField[]>();
const aliases = new Map<string, string>();
{
  let current: GoField[] | undefined;
  for (const line of GO_TYPES.split("\n")) {
    const words = line.trim().split(/\s+/);
    // Declarations start the line; fields are indented (a field may be called `type`).
    if (line.startsWith("type ")) structs.set(words[1]!, (current = []));
    else if (line.startsWith("alias ")) aliases.set(words[1]!, qualify(words[1]!.split(".")[0]!, words[2]!));
    else if (words.length === 2 && current !== undefined) {
      const [name = "", ...options] = words[0]!.split(",");
      current.push({ name, omitempty: options.includes("omitempty"), inline: options.includes("inline"), type: words[1]! });
    }
  }
}

/** `[]*Snapshot` in package v2 is `[]*v2.Snapshot`. */
function qualify(pkg: string, type: string): string {
  const prefix = /^(\*|\[\]|map\[string\])*/.exec(type)![0];
  const base = type.slice(prefix.length);
  return base.includes(".") || ["string", "bool", "int", "int32", "int64", "float64"].includes(base) ? type : `${prefix}${pkg}.${base}`;
}

const ROOTS: Readonly<Record<string, string>> = { HelmRelease: "v2.HelmRelease", Kustomization: "kc.Kustomization" };

/** The object as the controller binds it to `self` (from its cache) or `dep` (from its API reader). */
export function goTypedObject(obj: Json, role: "self" | "dep"): Json {
  const root = typeof obj.kind === "string" ? ROOTS[obj.kind] : undefined;
  if (root === undefined) return obj;
  const typed = toGo(root, obj) as Json;
  if (role === "dep") {
    delete typed.apiVersion;
    delete typed.kind;
  }
  return typed;
}

/** Go's value of `type` decoded from `raw` (undefined: absent or null). */
function toGo(type: string, raw: unknown): unknown {
  const alias = aliases.get(type);
  if (alias !== undefined) return toGo(alias, raw);
  if (type.startsWith("*")) return raw === undefined || raw === null ? null : toGo(type.slice(1), raw);
  if (type.startsWith("[]")) return Array.isArray(raw) ? raw.map((item) => toGo(type.slice(2), item)) : null;
  if (type.startsWith("map[string]")) return isJson(raw) ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, toGo(type.slice(11), v)])) : null;
  switch (type) {
    case "string":
      return typeof raw === "string" ? raw : "";
    case "bool":
      return typeof raw === "boolean" ? raw : false;
    case "int":
    case "int32":
    case "int64":
    case "float64":
      return typeof raw === "number" ? raw : 0;
    case "metav1.Duration":
      return typeof raw === "string" ? durationString(raw) : "0s";
    case "metav1.Time":
      return typeof raw === "string" ? rfc3339Utc(raw) : null;
    case "apiextensionsv1.JSON":
    case "metav1.OwnerReference":
    case "metav1.ManagedFieldsEntry":
      return raw ?? null;
  }
  const fields = structs.get(type);
  if (fields === undefined) throw new Error(`go-typed: no declaration of ${type}`);
  const out: Json = {};
  const source = isJson(raw) ? raw : {};
  for (const field of fields) {
    if (field.inline) {
      Object.assign(out, toGo(field.type, source));
      continue;
    }
    const value = toGo(field.type, source[field.name]);
    if (field.omitempty && emptyToConverter(field.type, value)) continue;
    out[field.name] = value;
  }
  return out;
}

/** apimachinery converter's isEmpty: a struct (including Duration and Time) is never empty. */
function emptyToConverter(type: string, value: unknown): boolean {
  const resolved = aliases.get(type) ?? type;
  if (structs.has(resolved) || resolved === "metav1.Duration" || resolved === "metav1.Time") return false;
  if (resolved.startsWith("*")) return value === null;
  if (value === null || value === "" || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isJson(value) && Object.keys(value).length === 0;
}

const UNITS: ReadonlyArray<[string, number]> = [["ns", 1], ["us", 1e3], ["\u00b5s", 1e3], ["\u03bcs", 1e3], ["ms", 1e6], ["s", 1e9], ["m", 60e9], ["h", 3600e9]];

/** time.ParseDuration then time.Duration.String(), for the durations Flux objects hold; anything else as written. */
function durationString(text: string): string {
  let rest = text.replace(/^[+-]/, "");
  if (rest === "0") return "0s";
  let nanos = 0;
  while (rest !== "") {
    const number = /^(\d*\.?\d*)/.exec(rest)![1]!;
    rest = rest.slice(number.length);
    const unit = UNITS.filter(([name]) => rest.startsWith(name)).sort((a, b) => b[0].length - a[0].length)[0];
    if (number === "" || number === "." || unit === undefined) return text;
    rest = rest.slice(unit[0].length);
    nanos += Math.round(Number(number) * unit[1]);
  }
  const sign = text.startsWith("-") && nanos !== 0 ? "-" : "";
  return sign + goDurationText(nanos);
}

/** Go's Duration.String() of a non-negative count of nanoseconds. */
function goDurationText(nanos: number): string {
  const trim = (n: number, digits: number) => {
    const whole = Math.floor(n / 10 ** digits);
    const part = String(n % 10 ** digits).padStart(digits, "0").replace(/0+$/, "");
    return part === "" ? String(whole) : `${whole}.${part}`;
  };
  if (nanos === 0) return "0s";
  if (nanos < 1e3) return `${nanos}ns`;
  if (nanos < 1e6) return `${trim(nanos, 3)}\u00b5s`;
  if (nanos < 1e9) return `${trim(nanos, 6)}ms`;
  const hours = Math.floor(nanos / 3600e9);
  const minutes = Math.floor((nanos % 3600e9) / 60e9);
  const seconds = `${trim(nanos % 60e9, 9)}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}

/** metav1.Time's JSON: RFC 3339, UTC, no fraction of a second. */
function rfc3339Utc(text: string): string {
  const parsed = new Date(text);
  if (Number.isNaN(parsed.getTime())) return text;
  parsed.setUTCMilliseconds(0);
  return `${parsed.toISOString().slice(0, 19)}Z`;
}
