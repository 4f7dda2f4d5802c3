// The one table of every group/version/resource the sandbox serves, with the per-kind behaviour that
// kube-apiserver derives from the resource's registry strategy: namespaced or not, whether it has a
// status subresource and a generation, custom-resource rules, and how stored objects convert between
// served versions. Discovery, OpenAPI, routing and the registry all read from here.
import { crdSchema } from "./crd-schemas.js";
import { withDefaults } from "./schema-validation.js";
import type { Schema } from "./schema-validation.js";
import type { JsonObject } from "./json.js";
import type { PrinterColumn, ResourceDef } from "./resource-def.js";

export const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const;

function str(obj: JsonObject, ...path: string[]): string | undefined {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as JsonObject)[p];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === "string" ? cur : String(cur);
}

const FLUX_PRINTER_COLUMNS: readonly PrinterColumn[] = [
  { jsonPath: ".metadata.creationTimestamp", name: "Age", type: "date" },
  { jsonPath: '.status.conditions[?(@.type=="Ready")].status', name: "Ready", type: "string" },
  { jsonPath: '.status.conditions[?(@.type=="Ready")].message', name: "Status", type: "string" },
];

// Core v1 Event <-> events.k8s.io/v1 Event. Both are views of one storage (as in Kubernetes, where
// events.k8s.io is a new API over the same objects); field renames follow pkg/apis/events/v1 conversion.
const EVENT_RENAMES: ReadonlyArray<[core: string, events: string]> = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["reportingComponent", "reportingController"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
];

function renameFields(obj: JsonObject, pairs: ReadonlyArray<[string, string]>, apiVersion: string): JsonObject {
  const out: JsonObject = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    if (from in out) {
      const value = out[from];
      delete out[from];
      if (value !== undefined && value !== null && value !== "") out[to] = value;
    }
  }
  return out;
}

const coreEventToEventsV1 = (obj: JsonObject): JsonObject => renameFields(obj, EVENT_RENAMES, "events.k8s.io/v1");
const eventsV1ToCoreEvent = (obj: JsonObject): JsonObject =>
  renameFields(obj, EVENT_RENAMES.map(([a, b]) => [b, a] as [string, string]), "v1");

/**
 * A stored Event as core/v1 clients read it. Events written through events.k8s.io/v1 carry eventTime,
 * series, reportingController (stored as reportingComponent), regarding and note; a core/v1 reader
 * (`kubectl get events`, `--sort-by=.lastTimestamp`) sees them the way the API server maps them:
 * lastTimestamp from series.lastObservedTime or else eventTime, firstTimestamp from eventTime, count from
 * series.count (1 without a series), source.component from the reporting controller. Fields a core/v1
 * writer set itself are kept as they are.
 */
function coreEventView(obj: JsonObject): JsonObject {
  const out: JsonObject = { ...obj };
  const series = out.series !== null && typeof out.series === "object" ? (out.series as JsonObject) : undefined;
  const eventTime = typeof out.eventTime === "string" && out.eventTime !== "" ? out.eventTime : undefined;
  const seriesLast = typeof series?.lastObservedTime === "string" ? series.lastObservedTime : undefined;
  if (out.lastTimestamp === undefined || out.lastTimestamp === null) {
    const last = seriesLast ?? eventTime;
    if (last !== undefined) out.lastTimestamp = last;
  }
  if ((out.firstTimestamp === undefined || out.firstTimestamp === null) && eventTime !== undefined) out.firstTimestamp = eventTime;
  if (out.count === undefined || out.count === null) out.count = typeof series?.count === "number" ? series.count : 1;
  const source = out.source !== null && typeof out.source === "object" ? (out.source as JsonObject) : undefined;
  if (!source?.component && typeof out.reportingComponent === "string" && out.reportingComponent !== "") {
    out.source = { ...source, component: out.reportingComponent };
  }
  return out;
}

const eventSelectable: Readonly<Record<string, (obj: JsonObject) => string | undefined>> = {
  "involvedObject.kind": (o) => str(o, "involvedObject", "kind"),
  "involvedObject.namespace": (o) => str(o, "involvedObject", "namespace"),
  "involvedObject.name": (o) => str(o, "involvedObject", "name"),
  "involvedObject.uid": (o) => str(o, "involvedObject", "uid"),
  "involvedObject.apiVersion": (o) => str(o, "involvedObject", "apiVersion"),
  "involvedObject.resourceVersion": (o) => str(o, "involvedObject", "resourceVersion"),
  "involvedObject.fieldPath": (o) => str(o, "involvedObject", "fieldPath"),
  reason: (o) => str(o, "reason"),
  reportingComponent: (o) => str(o, "reportingComponent") ?? "",
  source: (o) => str(o, "source", "component"),
  type: (o) => str(o, "type"),
};

// events.k8s.io/v1 field selectors use that version's names (regarding.*, reportingController, ...).
const eventsV1Selectable: Readonly<Record<string, (obj: JsonObject) => string | undefined>> = {
  "regarding.kind": (o) => str(o, "involvedObject", "kind"),
  "regarding.namespace": (o) => str(o, "involvedObject", "namespace"),
  "regarding.name": (o) => str(o, "involvedObject", "name"),
  "regarding.uid": (o) => str(o, "involvedObject", "uid"),
  "regarding.apiVersion": (o) => str(o, "involvedObject", "apiVersion"),
  "regarding.resourceVersion": (o) => str(o, "involvedObject", "resourceVersion"),
  "regarding.fieldPath": (o) => str(o, "involvedObject", "fieldPath"),
  reason: (o) => str(o, "reason"),
  reportingController: (o) => str(o, "reportingComponent") ?? "",
  type: (o) => str(o, "type"),
};

/** A namespaced Flux custom resource with a status subresource and generation, stored in its first version. */
function fluxCustomResource(group: string, versions: string[], resource: string, kind: string, shortNames: string[], categories: string[]): ResourceDef {
  return {
    storage: `${resource}.${group}`,
    group,
    versions,
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    shortNames,
    categories,
    custom: true,
    statusSubresource: true,
    generation: true,
    storageApiVersion: `${group}/${versions[0] ?? "v1"}`,
    printerColumns: FLUX_PRINTER_COLUMNS,
  };
}

export const RESOURCES: readonly ResourceDef[] = [
  {
    storage: "helmreleases.helm.toolkit.fluxcd.io",
    group: "helm.toolkit.fluxcd.io",
    versions: ["v2", "v2beta2", "v2beta1"],
    resource: "helmreleases",
    singular: "helmrelease",
    kind: "HelmRelease",
    namespaced: true,
    shortNames: ["hr"],
    categories: ["all", "fluxcd", "fluxcd-appliers"],
    custom: true,
    statusSubresource: true,
    generation: true,
    deprecated: {
      v2beta2: "v2beta2 HelmRelease is deprecated, upgrade to v2",
      v2beta1: "v2beta1 HelmRelease is deprecated, upgrade to v2",
    },
    storageApiVersion: "helm.toolkit.fluxcd.io/v2",
    printerColumns: FLUX_PRINTER_COLUMNS,
  },
  {
    storage: "kustomizations.kustomize.toolkit.fluxcd.io",
    group: "kustomize.toolkit.fluxcd.io",
    versions: ["v1", "v1beta2"],
    resource: "kustomizations",
    singular: "kustomization",
    kind: "Kustomization",
    namespaced: true,
    shortNames: ["ks"],
    categories: ["all", "fluxcd", "fluxcd-appliers"],
    custom: true,
    statusSubresource: true,
    generation: true,
    deprecated: { v1beta2: "v1beta2 Kustomization is deprecated, upgrade to v1" },
    storageApiVersion: "kustomize.toolkit.fluxcd.io/v1",
    printerColumns: FLUX_PRINTER_COLUMNS,
  },
  // The Flux Operator's ResourceSet and the Flux sources a Kustomization applies (for kustomize-controller's
  // revision rule in the simulated Flux): served with the sandbox's own structural schemas.
  fluxCustomResource("fluxcd.controlplane.io", ["v1"], "resourcesets", "ResourceSet", ["rset"], ["fluxcd"]),
  fluxCustomResource("source.toolkit.fluxcd.io", ["v1", "v1beta2"], "gitrepositories", "GitRepository", ["gitrepo"], ["fluxcd", "fluxcd-sources"]),
  fluxCustomResource("source.toolkit.fluxcd.io", ["v1", "v1beta2"], "ocirepositories", "OCIRepository", ["ocirepo"], ["fluxcd", "fluxcd-sources"]),
  fluxCustomResource("source.toolkit.fluxcd.io", ["v1", "v1beta2"], "buckets", "Bucket", [], ["fluxcd", "fluxcd-sources"]),
  // CustomResourceDefinitions as objects (a ResourceSet may depend on one, as on every real cluster): the
  // sandbox keeps one per custom resource it serves, Established (sandbox.ts), read-only in practice.
  {
    storage: "customresourcedefinitions",
    group: "apiextensions.k8s.io",
    versions: ["v1"],
    resource: "customresourcedefinitions",
    singular: "customresourcedefinition",
    kind: "CustomResourceDefinition",
    namespaced: false,
    shortNames: ["crd", "crds"],
    categories: ["api-extensions"],
    custom: false,
    statusSubresource: true,
    generation: true,
    storageApiVersion: "apiextensions.k8s.io/v1",
  },
  {
    storage: "namespaces",
    group: "",
    versions: ["v1"],
    resource: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    namespaced: false,
    shortNames: ["ns"],
    categories: [],
    custom: false,
    statusSubresource: true,
    generation: false,
    selectableFields: { "status.phase": (o) => str(o, "status", "phase") },
    storageApiVersion: "v1",
  },
  {
    storage: "secrets",
    group: "",
    versions: ["v1"],
    resource: "secrets",
    singular: "secret",
    kind: "Secret",
    namespaced: true,
    shortNames: [],
    categories: [],
    custom: false,
    statusSubresource: false,
    generation: false,
    selectableFields: { type: (o) => str(o, "type") },
    storageApiVersion: "v1",
  },
  {
    storage: "configmaps",
    group: "",
    versions: ["v1"],
    resource: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    namespaced: true,
    shortNames: ["cm"],
    categories: [],
    custom: false,
    statusSubresource: false,
    generation: false,
    storageApiVersion: "v1",
  },
  // A workload kind for the Flux Operator's dependencies on objects outside Flux (a ResourceSet may
  // depend on a Deployment): plain storage with a status subresource and generations, no controller.
  {
    storage: "deployments.apps",
    group: "apps",
    versions: ["v1"],
    resource: "deployments",
    singular: "deployment",
    kind: "Deployment",
    namespaced: true,
    shortNames: ["deploy"],
    categories: ["all"],
    custom: false,
    statusSubresource: true,
    generation: true,
    storageApiVersion: "apps/v1",
  },
  {
    storage: "events",
    group: "",
    versions: ["v1"],
    resource: "events",
    singular: "event",
    kind: "Event",
    namespaced: true,
    shortNames: ["ev"],
    categories: [],
    custom: false,
    statusSubresource: false,
    generation: false,
    selectableFields: eventSelectable,
    fromStorage: (obj) => coreEventView({ ...obj, apiVersion: "v1" }),
    storageApiVersion: "v1",
  },
  {
    storage: "events",
    group: "events.k8s.io",
    versions: ["v1"],
    resource: "events",
    singular: "event",
    kind: "Event",
    namespaced: true,
    shortNames: ["ev"],
    categories: [],
    custom: false,
    statusSubresource: false,
    generation: false,
    selectableFields: eventsV1Selectable,
    fromStorage: (obj) => coreEventToEventsV1(obj),
    toStorage: (obj) => eventsV1ToCoreEvent(obj),
    storageApiVersion: "v1",
  },
  {
    storage: "services",
    group: "",
    versions: ["v1"],
    resource: "services",
    singular: "service",
    kind: "Service",
    namespaced: true,
    shortNames: ["svc"],
    categories: ["all"],
    custom: false,
    statusSubresource: true,
    generation: false,
    storageApiVersion: "v1",
  },
  {
    storage: "leases.coordination.k8s.io",
    group: "coordination.k8s.io",
    versions: ["v1"],
    resource: "leases",
    singular: "lease",
    kind: "Lease",
    namespaced: true,
    shortNames: [],
    categories: [],
    custom: false,
    statusSubresource: false,
    generation: false,
    storageApiVersion: "coordination.k8s.io/v1",
  },
  {
    storage: "validatingwebhookconfigurations.admissionregistration.k8s.io",
    group: "admissionregistration.k8s.io",
    versions: ["v1"],
    resource: "validatingwebhookconfigurations",
    singular: "validatingwebhookconfiguration",
    kind: "ValidatingWebhookConfiguration",
    namespaced: false,
    shortNames: [],
    categories: ["api-extensions"],
    custom: false,
    statusSubresource: false,
    // The admissionregistration strategy sets generation 1 on create and bumps it when webhooks change.
    generation: true,
    storageApiVersion: "admissionregistration.k8s.io/v1",
  },
  {
    storage: "endpointslices.discovery.k8s.io",
    group: "discovery.k8s.io",
    versions: ["v1"],
    resource: "endpointslices",
    singular: "endpointslice",
    kind: "EndpointSlice",
    namespaced: true,
    shortNames: [],
    categories: [],
    custom: false,
    statusSubresource: false,
    generation: false,
    storageApiVersion: "discovery.k8s.io/v1",
  },
  // ServiceAccounts and RBAC objects: plain storage, read by rbac-authorizer.ts when the sandbox
  // enforces RBAC (startSandbox({ authorization: "RBAC" })).
  {
    storage: "serviceaccounts",
    group: "",
    versions: ["v1"],
    resource: "serviceaccounts",
    singular: "serviceaccount",
    kind: "ServiceAccount",
    namespaced: true,
    shortNames: ["sa"],
    categories: [],
    custom: false,
    statusSubresource: false,
    generation: false,
    storageApiVersion: "v1",
  },
  ...(
    [
      ["roles", "role", "Role", true],
      ["clusterroles", "clusterrole", "ClusterRole", false],
      ["rolebindings", "rolebinding", "RoleBinding", true],
      ["clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false],
    ] as const
  ).map(([resource, singular, kind, namespaced]): ResourceDef => ({
    storage: `${resource}.rbac.authorization.k8s.io`,
    group: "rbac.authorization.k8s.io",
    versions: ["v1"],
    resource,
    singular,
    kind,
    namespaced,
    shortNames: [],
    categories: [],
    custom: false,
    statusSubresource: false,
    generation: false,
    storageApiVersion: "rbac.authorization.k8s.io/v1",
  })),
];

/** The apiVersion string of a group/version (`v1` for the core group). */
export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** The resource served at group/version/resource, if any. */
export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.resource === resource && r.versions.includes(version));
}

/** The resource of a given apiVersion and kind (used for seeding and server-side apply bodies). */
export function findResourceByKind(apiVersion: string, kind: string): { def: ResourceDef; version: string } | undefined {
  const slash = apiVersion.lastIndexOf("/");
  const group = slash >= 0 ? apiVersion.slice(0, slash) : "";
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  const def = RESOURCES.find((r) => r.group === group && r.kind === kind && r.versions.includes(version));
  return def ? { def, version } : undefined;
}

/** Groups in discovery order: core first, then the rest in table order. */
export function servedGroups(): Array<{ group: string; versions: string[] }> {
  const groups = new Map<string, Set<string>>();
  for (const r of RESOURCES) {
    if (!r.group) continue;
    const set = groups.get(r.group) ?? new Set<string>();
    r.versions.forEach((v) => set.add(v));
    groups.set(r.group, set);
  }
  return [...groups].map(([group, versions]) => ({ group, versions: [...versions] }));
}

/**
 * Converts a stored object to what a client of `def` at `version` sees. Custom resources also get their
 * schema defaults, which kube-apiserver applies when reading from storage as well as on writes.
 */
export function presentAs(def: ResourceDef, version: string, stored: JsonObject): JsonObject {
  if (def.fromStorage) return def.fromStorage(stored, version);
  const presented = { ...stored, apiVersion: apiVersionOf(def.group, version) };
  const schema = def.custom ? crdSchema(def, version) : undefined;
  // Shares unchanged parts with `stored`: callers serialize or copy what they get, never modify it.
  return schema ? (withDefaults(presented, schema as Schema, true) as JsonObject) : presented;
}

/** The object as field selectors and label selectors see it, without copying (read-only). */
export function selectorView(def: ResourceDef, version: string, stored: JsonObject): JsonObject {
  return def.fromStorage ? def.fromStorage(stored, version) : stored;
}

/** Converts an object sent by a client of `def` at `version` to storage form. */
export function toStorageForm(def: ResourceDef, version: string, obj: JsonObject): JsonObject {
  if (def.toStorage) return def.toStorage(obj, version);
  return { ...obj, apiVersion: def.storageApiVersion };
}

/** The other served versions of the same storage (matchPolicy: Equivalent in webhook rules). */
export function equivalentResources(def: ResourceDef): Array<{ group: string; version: string; resource: string; kind: string }> {
  return RESOURCES.filter((r) => r.storage === def.storage).flatMap((r) =>
    r.versions.map((version) => ({ group: r.group, version, resource: r.resource, kind: r.kind })),
  );
}
