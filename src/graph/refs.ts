// References between Flux objects: node keys (`Kind/ns/name`, one graph for every kind) and the
// `ns/name` a user reads, resolving `spec.dependsOn` entries (a missing
// namespace means the dependent's own, as Flux's helm-controller and kustomize-controller do), and
// the Kubernetes name rules a dependsOn entry must satisfy to ever match an object.

import type { DependencyEntry, FluxKind, FluxObject, NodeKey, ObjectKey, ResolvedDependency } from "./types.js";

/** The kinds whose objects are the graph's own nodes (a Record, so a new Flux kind must be added here). */
const GRAPH_KIND_RECORD: Readonly<Record<FluxKind, true>> = { HelmRelease: true, Kustomization: true, ResourceSet: true };
export const GRAPH_KINDS: readonly FluxKind[] = Object.keys(GRAPH_KIND_RECORD) as FluxKind[];

/** `namespace/name`; a cluster-scoped object's is its name alone (splitKey reads both back). */
export function objectKey(namespace: string, name: string): ObjectKey {
  return namespace === "" ? name : `${namespace}/${name}`;
}

export function nodeKey(kind: string, namespace: string, name: string): NodeKey {
  return `${kind}/${namespace}/${name}`;
}

/** The node of an object. */
export function nodeOf(obj: { kind: string; namespace: string; name: string }): NodeKey {
  return `${obj.kind}/${obj.namespace}/${obj.name}`;
}

/** The parts of a node key; a key without two "/" has an empty kind (and namespace). */
export function splitNodeKey(node: NodeKey): { kind: string; namespace: string; name: string } {
  const first = node.indexOf("/");
  const second = first < 0 ? -1 : node.indexOf("/", first + 1);
  if (second < 0) return { kind: "", ...splitKey(node) };
  return { kind: node.slice(0, first), namespace: node.slice(first + 1, second), name: node.slice(second + 1) };
}

/**
 * `namespace/name` of a node (a key that already is `namespace/name`, with one "/", is returned as it is);
 * a cluster-scoped object's is its name alone, so no message prints a namespace it does not have.
 */
export function objectKeyOf(node: NodeKey): ObjectKey {
  const first = node.indexOf("/");
  if (first < 0 || node.indexOf("/", first + 1) < 0) return node;
  return node[first + 1] === "/" ? node.slice(first + 2) : node.slice(first + 1);
}

/** The kind of a node ("" for a plain `namespace/name`). */
export function kindOfNode(node: NodeKey): string {
  const first = node.indexOf("/");
  return first < 0 || node.indexOf("/", first + 1) < 0 ? "" : node.slice(0, first);
}

/**
 * The kind a dependsOn entry names: the entry's `kind` when it has one, else the dependent's own. The
 * decoder (src/flux/decode.ts) keeps `kind` only where the table in src/flux/kinds.ts lets an entry
 * name another kind (a ResourceSet's), so a HelmRelease's or Kustomization's entries name their own
 * kind (docs/behaviour.md, "Flux's behaviour we build on").
 */
export function entryKind(dependent: { kind: string }, entry: DependencyEntry): string {
  return entry.kind !== undefined && entry.kind !== "" ? entry.kind : dependent.kind;
}

/** Splits at the first "/": namespaces never contain one, so the rest is the name. */
export function splitKey(key: ObjectKey): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  if (slash < 0) return { namespace: "", name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * The namespace a dependsOn entry names: helm-controller and kustomize-controller default a missing one
 * to the dependent's own; the Flux Operator uses a ResourceSet entry's as written (resourceset_controller.go
 * checkDependencies), so none means a cluster-scoped object, and a namespaced kind without one never resolves.
 */
export function entryNamespace(dependent: { kind: string; namespace: string }, entry: DependencyEntry): string {
  if (dependent.kind === "ResourceSet" || isCrossKindEntry(dependent, entry)) return entry.namespace ?? "";
  return entry.namespace === undefined || entry.namespace === "" ? dependent.namespace : entry.namespace;
}

/**
 * A HelmRelease's or Kustomization's entry naming another kind (the Flux RFC on dependsOn, src/flux/cross-kind.ts):
 * the decoder keeps `kind` on such entries only where the served schema has it. The RFC uses its namespace as
 * written, as the Flux Operator does (a cluster-scoped kind has none), and judges it by its rule (readiness.ts).
 */
export function isCrossKindEntry(dependent: { kind: string }, entry: { kind?: string }): boolean {
  return dependent.kind !== "ResourceSet" && entry.kind !== undefined && entry.kind !== "" && entry.kind !== dependent.kind;
}

/**
 * Kinds a ResourceSet commonly depends on whose scope is known without asking the API server: a
 * namespaced one named without a namespace can never be found (admission and `check` say so).
 */
const NAMESPACED_KINDS: ReadonlySet<string> = new Set([
  "ConfigMap", "Secret", "Service", "ServiceAccount", "Pod", "PersistentVolumeClaim", "Endpoints", "LimitRange", "ResourceQuota",
  "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Ingress", "NetworkPolicy", "Role", "RoleBinding",
  "HelmRelease", "Kustomization", "ResourceSet", "ResourceSetInputProvider", "GitRepository", "OCIRepository", "HelmRepository",
  "HelmChart", "Bucket", "ExternalArtifact",
]);
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  "Namespace", "Node", "PersistentVolume", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "StorageClass",
  "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "FluxInstance",
]);

/** Whether objects of `kind` live in a namespace, when known without discovery (undefined: ask the server). */
export function knownNamespaced(kind: string): boolean | undefined {
  if (NAMESPACED_KINDS.has(kind)) return true;
  if (CLUSTER_SCOPED_KINDS.has(kind)) return false;
  return undefined;
}

/** The dependsOn entries in order, each with its namespace resolved (entryNamespace). */
export function resolveDependencies(obj: FluxObject): ResolvedDependency[] {
  return obj.dependsOn.map((entry, index) => {
    const namespace = entryNamespace(obj, entry);
    const kind = entryKind(obj, entry);
    const resolved: ResolvedDependency = { node: nodeKey(kind, namespace, entry.name), kind, key: objectKey(namespace, entry.name), name: entry.name, namespace, index };
    if (entry.readyExpr !== undefined && entry.readyExpr !== "") resolved.readyExpr = entry.readyExpr;
    if (entry.ready === true) resolved.ready = true;
    // A HelmRelease's or Kustomization's `ready: false` (the RFC's existence-only entry; default true).
    if (entry.ready === false && obj.kind !== "ResourceSet") resolved.ready = false;
    return resolved;
  });
}

// Kubernetes object names are DNS-1123 subdomains, namespaces DNS-1123 labels
// (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Subdomain, IsDNS1123Label).
const DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const LABEL = new RegExp(`^${DNS1123_LABEL}$`);

/** A valid name for a HelmRelease or Kustomization: DNS-1123 subdomain, at most 253 characters. */
export function isValidObjectName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && SUBDOMAIN.test(name);
}

/** A valid namespace name: DNS-1123 label, at most 63 characters. */
export function isValidNamespaceName(namespace: string): boolean {
  return namespace.length > 0 && namespace.length <= 63 && LABEL.test(namespace);
}

/**
 * Canonical key of the resolved dependsOn set: sorted, duplicates collapsed, namespaces defaulted,
 * readyExpr (and a ResourceSet's `ready`) included. Equal keys mean "dependsOn unchanged as a set" (docs/behaviour.md, Admission rules:
 * such UPDATEs are always allowed).
 */
export function dependencySetKey(obj: FluxObject): string {
  const entries = new Set<string>();
  for (const dep of resolveDependencies(obj)) {
    const target = dep.ready === true ? `${dep.node}\u0000ready` : dep.ready === false ? `${dep.node}\u0000exists` : dep.node;
    entries.add(dep.readyExpr === undefined ? target : `${target}\u0000${dep.readyExpr}`);
  }
  return [...entries].sort().join("\n");
}
