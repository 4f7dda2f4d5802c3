// Splits a request path into what it addresses, following kube-apiserver's RequestInfoFactory:
// `/api/v1/...` and `/apis/<group>/<version>/...`, an optional legacy `watch/` segment, an optional
// `namespaces/<ns>/` scope, then resource, name and subresource. `/api/v1/namespaces/<name>` addresses
// the Namespace itself, as do its `status` and `finalize` subresources.

export interface ResourceRequest {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path prefix was used. */
  watchPath: boolean;
}

type RequestTarget =
  | { type: "resource"; request: ResourceRequest }
  | { type: "group"; group: string; version?: string }
  | { type: "core"; version?: string }
  | { type: "other"; path: string };

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

export function parseRequestPath(pathname: string): RequestTarget {
  const parts = pathname.split("/").filter((p) => p.length > 0).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api") {
    if (parts.length === 1) return { type: "core" };
    if (parts.length === 2) return { type: "core", version: parts[1] as string };
    group = "";
    version = parts[1] as string;
    rest = parts.slice(2);
  } else if (parts[0] === "apis") {
    if (parts.length === 1) return { type: "group", group: "" };
    if (parts.length === 2) return { type: "group", group: parts[1] as string };
    if (parts.length === 3) return { type: "group", group: parts[1] as string, version: parts[2] as string };
    group = parts[1] as string;
    version = parts[2] as string;
    rest = parts.slice(3);
  } else {
    return { type: "other", path: pathname };
  }
  let watchPath = false;
  if (rest[0] === "watch") {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2] as string)) {
      rest = rest.slice(2);
    } else {
      // The Namespace object itself (or its subresource).
      const request: ResourceRequest = { group, version, resource: "namespaces", name: namespace as string, watchPath };
      if (rest[2]) request.subresource = rest[2];
      return { type: "resource", request };
    }
  }
  if (rest.length === 0 || rest.length > 3) return { type: "other", path: pathname };
  const request: ResourceRequest = { group, version, resource: rest[0] as string, watchPath };
  if (namespace !== undefined) request.namespace = namespace;
  if (rest[1] !== undefined) request.name = rest[1];
  if (rest[2] !== undefined) request.subresource = rest[2];
  return { type: "resource", request };
}
