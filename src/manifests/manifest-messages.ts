// The sentences `releasegate check` says about a repo's builds (the graph's own problems are worded in
// src/graph/messages.ts). Shape as there: what is wrong first, then, after a colon, what to do.

export function duplicateObjectMessage(kind: string, object: string, first: string, second: string): string {
  return `${kind} ${object} is defined twice in this cluster, at ${first} and at ${second}: keep one definition`;
}

export function noNamespaceMessage(kind: string, name: string): string {
  return (
    `${kind} ${name} gets no namespace from its manifest, a kustomization's namespace: or the applying ` +
    `Kustomization's spec.targetNamespace, and Flux refuses to apply it: set metadata.namespace`
  );
}

/** `reason` is the expansion's own words, which name the ResourceSet ("ResourceSet ns/name: ..."). */
export function unverifiedMessage(kind: string, dependency: string, resourceSet: string, reason: string): string {
  const why = reason.includes(resourceSet) ? reason : `ResourceSet ${resourceSet}: ${reason}`;
  return `${kind} ${dependency} is not in the repo, but a ResourceSet may generate it (${why}): check that it does, or fix the dependsOn entry`;
}

export function resourceSetErrorMessage(resourceSet: string, error: string): string {
  return `ResourceSet ${resourceSet} cannot be expanded: ${error}: fix its template`;
}

/** A ResourceSet dependency of a kind `check` does not read from the repo (a Deployment, a CRD kind): it cannot tell whether it exists. */
export function unreadKindMessage(kind: string, dependency: string): string {
  return `${kind} ${dependency} cannot be checked offline (check reads only HelmReleases, Kustomizations and ResourceSets): make sure it exists in the cluster`;
}

/** `error` starts with the file and line kustomize stops at. */
export function buildFailedMessage(build: string, error: string): string {
  return `${build} cannot be built (${error}), so Flux applies nothing of it: fix the file`;
}
