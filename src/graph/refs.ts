// References between Flux objects: `ns/name` keys, resolving `spec.dependsOn` entries (a missing
// namespace means the dependent's own, as Flux's helm-controller and kustomize-controller do), and
// the Kubernetes name rules a dependsOn entry must satisfy to ever match an object.

import type { FluxObject, ObjectKey, ResolvedDependency } from "./types.js";

export function objectKey(namespace: string, name: string): ObjectKey {
  return `${namespace}/${name}`;
}

/** Splits at the first "/": namespaces never contain one, so the rest is the name. */
export function splitKey(key: ObjectKey): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  if (slash < 0) return { namespace: "", name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The dependsOn entries in order, each with its namespace defaulted to `obj.namespace`. */
export function resolveDependencies(obj: FluxObject): ResolvedDependency[] {
  return obj.dependsOn.map((entry, index) => {
    const namespace = entry.namespace === undefined || entry.namespace === "" ? obj.namespace : entry.namespace;
    const resolved: ResolvedDependency = { key: objectKey(namespace, entry.name), name: entry.name, namespace, index };
    if (entry.readyExpr !== undefined && entry.readyExpr !== "") resolved.readyExpr = entry.readyExpr;
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
 * readyExpr included. Equal keys mean "dependsOn unchanged as a set" (docs/behaviour.md, Admission rules:
 * such UPDATEs are always allowed).
 */
export function dependencySetKey(obj: FluxObject): string {
  const entries = new Set<string>();
  for (const dep of resolveDependencies(obj)) {
    entries.add(dep.readyExpr === undefined ? dep.key : `${dep.key}\u0000${dep.readyExpr}`);
  }
  return [...entries].sort().join("\n");
}
