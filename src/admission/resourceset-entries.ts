// The checks a ResourceSet's dependsOn entries get besides those of every kind (name, namespace,
// duplicates: graph/problems.ts): the apiVersion and kind must be able to name a kind the cluster serves
// (docs/behaviour.md, Admission rules). Pure: the syntax, and the Flux kinds' versions from the one table
// (src/flux/kinds.ts); whether the server serves any other kind is asked on the deny path
// (cluster/missing-read.ts), where an entry of a kind releasegate does not cache always goes.
import { apiVersionsOf, FLUX_KIND_INFO } from "../flux/kinds.js";
import { apiVersionNeededMessage, invalidApiVersionMessage, invalidKindMessage, unservedKindMessage } from "../graph/messages.js";
import { isCrossKindEntry, objectKeyOf } from "../graph/refs.js";
import type { FluxObject, NodeKey, Problem } from "../graph/types.js";
import type { FluxKind } from "../graph/types.js";

// An API group is a DNS subdomain; a version is v1, v2beta2, v1alpha1 (Kubernetes API versioning).
const GROUP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERSION = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;
// A kind is a CamelCase identifier (the Go type name of the API object).
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;

export function isApiVersion(text: string): boolean {
  const slash = text.indexOf("/");
  if (slash < 0) return VERSION.test(text);
  const group = text.slice(0, slash);
  return group.length <= 253 && GROUP.test(group) && VERSION.test(text.slice(slash + 1));
}

function isFluxKind(kind: string): kind is FluxKind {
  return Object.hasOwn(FLUX_KIND_INFO, kind);
}

/** The invalid entries of a ResourceSet (or a HelmRelease's or Kustomization's entries naming another kind), one problem each, in order; `node` is the ResourceSet's. */
export function resourceSetEntryProblems(object: FluxObject, node: NodeKey): Problem[] {
  const problems: Problem[] = [];
  const invalid = (index: number, message: string): void => {
    problems.push({ type: "invalid", kind: object.kind, object: objectKeyOf(node), node, entry: index, message });
  };
  object.dependsOn.forEach((entry, index) => {
    // A HelmRelease's or Kustomization's entry of its own kind is the entry of today (the Flux RFC's defaults).
    if (object.kind !== "ResourceSet" && !isCrossKindEntry(object, entry)) return;
    const apiVersion = entry.apiVersion ?? "";
    const kind = entry.kind ?? "";
    if (object.kind !== "ResourceSet" && apiVersion === "") return invalid(index, apiVersionNeededMessage(index, kind));
    if (!isApiVersion(apiVersion)) return invalid(index, invalidApiVersionMessage(index, apiVersion));
    if (!KIND.test(kind)) return invalid(index, invalidKindMessage(index, kind));
    // A Flux kind at its own group: only the versions Flux serves name it.
    if (isFluxKind(kind) && apiVersion.startsWith(`${FLUX_KIND_INFO[kind].group}/`) && !apiVersionsOf(kind).includes(apiVersion)) {
      invalid(index, unservedKindMessage(index, apiVersion, kind, apiVersionsOf(kind)));
    }
  });
  return problems;
}
