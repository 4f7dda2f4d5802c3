// Cross-kind `dependsOn` for HelmRelease and Kustomization (docs/behaviour.md, "Gate states", the Flux RFC
// "Advanced Dependency Management", flux2 PR 5988). The RFC adds `apiVersion`, `kind` and `ready` to the
// entries of both kinds; no released Flux serves them yet. The API server prunes fields a CRD's schema does
// not declare, so an entry means what the served schema lets it say: releasegate reads these fields of a
// kind only where a served version of its CRD declares them on `spec.dependsOn` items, and until then an
// entry keeps its meaning of today (an object of the dependent's own kind). One setting a process, found at
// start from the served CustomResourceDefinitions (`serve`, `why`) or the repository's (`check`); `serve`
// reads the served ones again on an interval and follows a change (src/cluster/cross-kind-refresh.ts).

import type { FluxKind } from "../graph/types.js";
import { isRecord } from "../runtime/json.js";
import { FLUX_KIND_INFO } from "./kinds.js";

/** The kinds (HelmRelease, Kustomization) whose served schema carries the RFC's fields. */
let current: ReadonlySet<FluxKind> = new Set();

/** Whether dependsOn entries of `kind` are read with the RFC's fields in this process. */
export function crossKindDependsOn(kind: FluxKind): boolean {
  return current.has(kind);
}

/** The kinds read with the RFC's fields, for logs and `--help`-style reports. */
export function crossKindKinds(): FluxKind[] {
  return [...current].sort();
}

/** Sets the kinds for this process (serve, why and check at start, serve again on a change; tests, then back to none). */
export function setCrossKindDependsOn(kinds: Iterable<FluxKind>): void {
  current = new Set([...kinds].filter((k) => k !== "ResourceSet"));
}

/** The kinds the RFC is about: a ResourceSet's entries always name a kind (src/flux/kinds.ts). */
const RFC_KINDS: readonly FluxKind[] = ["HelmRelease", "Kustomization"];

/**
 * The Flux kind whose cross-kind dependsOn a CustomResourceDefinition serves, or undefined: a CRD of
 * HelmRelease or Kustomization with a served version whose `spec.dependsOn` items declare both `kind` and
 * `apiVersion` (the RFC's DependencyReference).
 */
export function crossKindKindOfCrd(crd: unknown): FluxKind | undefined {
  if (!isRecord(crd) || crd["kind"] !== "CustomResourceDefinition" || !isRecord(crd["spec"])) return undefined;
  const spec = crd["spec"];
  const names = isRecord(spec["names"]) ? spec["names"] : {};
  const kind = RFC_KINDS.find((k) => FLUX_KIND_INFO[k].group === spec["group"] && FLUX_KIND_INFO[k].resource === names["plural"]);
  if (kind === undefined || !Array.isArray(spec["versions"])) return undefined;
  for (const version of spec["versions"]) {
    if (!isRecord(version) || version["served"] === false || typeof version["name"] !== "string") continue;
    if (!FLUX_KIND_INFO[kind].versions.includes(version["name"])) continue;
    const schema = isRecord(version["schema"]) ? version["schema"]["openAPIV3Schema"] : undefined;
    const item = at(schema, "properties", "spec", "properties", "dependsOn", "items", "properties");
    if (isRecord(item) && isRecord(item["kind"]) && isRecord(item["apiVersion"])) return kind;
  }
  return undefined;
}

/** The kinds whose cross-kind dependsOn any of these CustomResourceDefinitions serves. */
export function crossKindKindsOfCrds(crds: Iterable<unknown>): Set<FluxKind> {
  const out = new Set<FluxKind>();
  for (const crd of crds) {
    const kind = crossKindKindOfCrd(crd);
    if (kind !== undefined) out.add(kind);
  }
  return out;
}

function at(value: unknown, ...path: string[]): unknown {
  let here = value;
  for (const key of path) {
    if (!isRecord(here)) return undefined;
    here = here[key];
  }
  return here;
}
