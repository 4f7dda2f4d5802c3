// kustomize-controller's dependency check (Flux 2.9, kustomize-controller 1.9): the helm-controller rules
// (helm-dependencies.ts), plus one of its own: when the dependency and the dependent reconcile the same
// source (`spec.sourceRef` kind, name and namespace, the namespace defaulting to each object's own), the
// dependency must have applied the source's current artifact — its `status.lastAppliedRevision` equal to
// the source's `status.artifact.revision` — or the dependent waits with "dependency 'ns/x' revision is
// not up to date". A suspended dependency never catches up, so it holds such dependents forever.
import { checkEntry } from "./helm-dependencies.js";
import type { CheckOptions, DependencyEntry, DependencyVerdict } from "./helm-dependencies.js";
import { idOf, stringField } from "./unstructured.js";
import type { Json } from "./unstructured.js";

export interface SourceRef {
  kind: string;
  name: string;
  namespace: string;
}

/** A Kustomization's `spec.sourceRef`, namespace resolved. */
export function sourceRefOf(obj: Json): SourceRef | undefined {
  const kind = stringField(obj, "spec", "sourceRef", "kind");
  const name = stringField(obj, "spec", "sourceRef", "name");
  if (kind === undefined || name === undefined) return undefined;
  return { kind, name, namespace: stringField(obj, "spec", "sourceRef", "namespace") || idOf(obj).namespace };
}

function sameSource(a: SourceRef | undefined, b: SourceRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;
}

/** The artifact revision a source (GitRepository, OCIRepository, Bucket) currently offers. */
export function artifactRevision(source: Json | undefined): string | undefined {
  return stringField(source, "status", "artifact", "revision");
}

export function checkKustomizationEntry(
  self: Json,
  entry: DependencyEntry,
  dep: Json | undefined,
  source: Json | undefined,
  options: CheckOptions = {},
): DependencyVerdict {
  const verdict = checkEntry(self, entry, dep, "kustomizations.kustomize.toolkit.fluxcd.io", options);
  if (verdict.kind !== "ok" || dep === undefined) return verdict;
  if (sameSource(sourceRefOf(self), sourceRefOf(dep)) && artifactRevision(source) !== stringField(dep, "status", "lastAppliedRevision")) {
    return { kind: "wait", message: `dependency '${entry.namespace}/${entry.name}' revision is not up to date` };
  }
  return verdict;
}
