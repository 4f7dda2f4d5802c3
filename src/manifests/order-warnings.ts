// Bootstrap order (docs/behaviour.md, "Bootstrap order"): Flux applies each Kustomization's build as one
// batch, dry-running every object first. With missing dependencies denied (the webhook's default), a
// HelmRelease whose dependency another Kustomization applies is refused while that dependency does not
// exist yet, and with it the whole batch of its own Kustomization — on a new cluster, until the other
// Kustomization has applied. Flux orders Kustomizations only through their dependsOn, so the order is
// guaranteed when the HelmRelease's Kustomization depends on the other one, directly or through its own
// dependsOn; anything else is a warning `check` reports (type `order`; it fails only with --strict).
//
// What is compared is which Kustomization's build applies each object (ManifestObject.appliedBy). Objects
// the cluster's sync applies without a Kustomization in the repository, and objects a ResourceSet
// generates, have none and are not judged.

import { resolveDependencies } from "../graph/refs.js";
import type { ObjectKey } from "../graph/types.js";
import type { ClusterManifests, ManifestObject, SourceLocation } from "./manifest-object.js";

interface OrderWarning {
  /** The HelmRelease that would be refused (`namespace/name`). */
  object: ObjectKey;
  /** Its dependency, applied by another Kustomization. */
  dependency: ObjectKey;
  source: SourceLocation;
  message: string;
}

/** The order warnings of one cluster, in the order of its objects. */
export function orderWarnings(cluster: ClusterManifests): OrderWarning[] {
  const releases = new Map<ObjectKey, ManifestObject>();
  const kustomizations = new Map<ObjectKey, ManifestObject>();
  for (const object of cluster.objects) {
    if (object.kind === "HelmRelease") releases.set(`${object.namespace}/${object.name}`, object);
    else if (object.kind === "Kustomization") kustomizations.set(`${object.namespace}/${object.name}`, object);
  }
  const reach = new Map<ObjectKey, ReadonlySet<ObjectKey>>();
  const dependsOnClosure = (start: ObjectKey): ReadonlySet<ObjectKey> => {
    const known = reach.get(start);
    if (known !== undefined) return known;
    const seen = new Set<ObjectKey>();
    const stack = [start];
    while (stack.length > 0) {
      const at = kustomizations.get(stack.pop()!);
      if (at === undefined) continue;
      for (const dependency of resolveDependencies(at)) {
        if (seen.has(dependency.key)) continue;
        seen.add(dependency.key);
        stack.push(dependency.key);
      }
    }
    reach.set(start, seen);
    return seen;
  };
  /** Whether `outer`'s build applies `inner`, directly or through Kustomizations it applies. */
  const applies = (outer: ObjectKey, inner: ObjectKey): boolean => {
    const seen = new Set<ObjectKey>();
    for (let at = kustomizations.get(inner)?.appliedBy; at !== undefined && !seen.has(at); at = kustomizations.get(at)?.appliedBy) {
      if (at === outer) return true;
      seen.add(at);
    }
    return false;
  };

  const warnings: OrderWarning[] = [];
  for (const [key, release] of releases) {
    const own = release.appliedBy;
    if (own === undefined) continue;
    for (const dependency of resolveDependencies(release)) {
      const other = releases.get(dependency.key)?.appliedBy;
      if (other === undefined || other === own || dependsOnClosure(own).has(other)) continue;
      warnings.push({ object: key, dependency: dependency.key, source: release.source, message: orderMessage(dependency.key, own, other, applies(own, other)) });
    }
  }
  return warnings;
}

/** Kustomization `namespace/name` as a dependsOn entry of `from` would name it. */
function entryFor(target: ObjectKey, from: ObjectKey): string {
  const [namespace, name] = target.split("/") as [string, string];
  return from.startsWith(`${namespace}/`) ? `{name: ${name}}` : `{name: ${name}, namespace: ${namespace}}`;
}

function shortName(key: ObjectKey): string {
  return key.slice(key.indexOf("/") + 1);
}

/** The one message of an `order` warning. */
function orderMessage(dependency: ObjectKey, own: ObjectKey, other: ObjectKey, ownAppliesOther: boolean): string {
  const intro = `depends on HelmRelease ${dependency}, which Kustomization ${other} applies, but Kustomization ${own}, which applies this one, does not depend on ${shortName(other)}`;
  if (ownAppliesOther) {
    return `${intro}: on a new cluster ${shortName(own)} is refused for ever, since ${shortName(other)} is in its own build and is never created; move this HelmRelease into a Kustomization that depends on ${shortName(other)}`;
  }
  return `${intro}: on a new cluster, ${shortName(own)} is refused until ${shortName(other)} has applied; add ${entryFor(other, own)} to the dependsOn of ${shortName(own)}`;
}
