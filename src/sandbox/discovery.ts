// Discovery documents, the legacy (unaggregated) form that every client understands: /version, /api,
// /api/v1, /apis, /apis/<group>, /apis/<group>/<version>. kubectl 1.27+ asks for aggregated discovery
// (Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList) and falls back to these
// documents when the response's Content-Type is plain application/json, which is what the sandbox sends.
import { RESOURCES, VERBS, apiVersionOf, servedGroups } from "./resources.js";
import type { JsonObject } from "./json.js";

export const SERVER_VERSION = { major: "1", minor: "35", gitVersion: "v1.35.0-releasegate-sandbox" };

export function versionInfo(): JsonObject {
  return {
    major: SERVER_VERSION.major,
    minor: SERVER_VERSION.minor,
    gitVersion: SERVER_VERSION.gitVersion,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.25.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function coreVersions(serverAddress: string): JsonObject {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function groupDocument(name: string, versions: string[]): JsonObject {
  const preferred = versions[0] as string;
  return {
    name,
    versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
    preferredVersion: { groupVersion: `${name}/${preferred}`, version: preferred },
  };
}

export function groupList(): JsonObject {
  return { kind: "APIGroupList", apiVersion: "v1", groups: servedGroups().map((g) => groupDocument(g.group, g.versions)) };
}

export function apiGroup(group: string): JsonObject | undefined {
  const g = servedGroups().find((x) => x.group === group);
  return g ? { kind: "APIGroup", apiVersion: "v1", ...groupDocument(g.group, g.versions) } : undefined;
}

/** The APIResourceList of one group/version, with the status subresources. */
export function resourceList(group: string, version: string): JsonObject | undefined {
  const defs = RESOURCES.filter((r) => r.group === group && r.versions.includes(version));
  if (defs.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const def of defs) {
    const entry: JsonObject = { name: def.resource, singularName: def.singular, namespaced: def.namespaced, kind: def.kind, verbs: [...VERBS] };
    if (def.shortNames.length > 0) entry.shortNames = [...def.shortNames];
    if (def.categories.length > 0) entry.categories = [...def.categories];
    resources.push(entry);
    if (def.statusSubresource) {
      resources.push({ name: `${def.resource}/status`, singularName: "", namespaced: def.namespaced, kind: def.kind, verbs: ["get", "patch", "update"] });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: apiVersionOf(group, version), resources };
}
