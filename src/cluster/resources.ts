// The one table of every Kubernetes group/version/resource/kind releasegate touches (the Flux kinds
// from src/flux/kinds.ts, the rest below), and the discovery of which Flux API versions the connected
// API server serves. The webhook rules, the caches, the patches and the RBAC rules derive from here
// (docs/architecture.md, "Resources").

import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import { FLUX_KIND_INFO, GUARDED_KINDS } from "../flux/kinds.js";
import type { FluxKind, FluxKindInfo, GuardedKind } from "../flux/kinds.js";

/** One Kubernetes resource at one version. `group` is "" for the core API. */
export interface ResourceType {
  group: string;
  version: string;
  /** The plural, lower-case name used in URLs and RBAC rules. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

/** What the cluster layer reads of an APIGroup discovery document (`GET /apis`). */
export interface ApiGroupInfo {
  name: string;
  versions: Array<{ version: string }>;
}

/** The groups of an APIGroupList, each with its served versions (entries without a name dropped). */
export async function readApiGroups(kc: KubeSource): Promise<ApiGroupInfo[]> {
  const list = await kubeClientOf(kc).get<unknown>("/apis", { timeoutMs: 10_000 });
  const groups = typeof list === "object" && list !== null && Array.isArray((list as { groups?: unknown }).groups) ? ((list as { groups: unknown[] }).groups) : [];
  return groups.flatMap((g): ApiGroupInfo[] => {
    if (typeof g !== "object" || g === null) return [];
    const { name, versions } = g as { name?: unknown; versions?: unknown };
    if (typeof name !== "string") return [];
    const served = Array.isArray(versions) ? versions.flatMap((v) => (typeof v === "object" && v !== null && typeof (v as { version?: unknown }).version === "string" ? [{ version: (v as { version: string }).version }] : [])) : [];
    return [{ name, versions: served }];
  });
}

/** A Flux kind with every version releasegate reads, newest (preferred) first: src/flux/kinds.ts. */
export type FluxResourceType = FluxKindInfo;

/** The Flux kinds' table (src/flux/kinds.ts is the one place it is written). */
export const FLUX_RESOURCES: Readonly<Record<FluxKind, FluxResourceType>> = FLUX_KIND_INFO;

/** The kinds the caches, the webhook and the controller guard. */
export const FLUX_KINDS: readonly GuardedKind[] = GUARDED_KINDS;

/** The Kubernetes resources releasegate reads or writes besides the Flux kinds. */
export const KUBERNETES_RESOURCES = {
  /** Leader election (lease-election.ts). */
  lease: { group: "coordination.k8s.io", version: "v1", resource: "leases", kind: "Lease", namespaced: true },
  /** Events on Flux objects (events.ts). */
  event: { group: "events.k8s.io", version: "v1", resource: "events", kind: "Event", namespaced: true },
  /** The self-managed webhook certificate, shared by every replica. */
  secret: { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
  /** caBundle injection in self-managed certificate mode. */
  validatingWebhookConfiguration: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    resource: "validatingwebhookconfigurations",
    kind: "ValidatingWebhookConfiguration",
    namespaced: false,
  },
  /** Finding webhook peers to share the pending batch (docs/behaviour.md, The pending batch). */
  endpointSlice: {
    group: "discovery.k8s.io",
    version: "v1",
    resource: "endpointslices",
    kind: "EndpointSlice",
    namespaced: true,
  },
} as const satisfies Record<string, ResourceType>;

/** The Flux kind at one version as a ResourceType. */
export function fluxResourceType(kind: FluxKind, version?: string): ResourceType {
  const flux = FLUX_RESOURCES[kind];
  return {
    group: flux.group,
    version: version ?? flux.versions[0] ?? "",
    resource: flux.resource,
    kind: flux.kind,
    namespaced: true,
  };
}

/** Every (group, version, resource) of the Flux kinds: what the webhook's rules must match. */
export function allFluxResourceTypes(): ResourceType[] {
  return FLUX_KINDS.flatMap((kind) => FLUX_RESOURCES[kind].versions.map((v) => fluxResourceType(kind, v)));
}

/** `group/version`, or just `version` for the core group. */
export function apiVersionOf(type: Pick<ResourceType, "group" | "version">): string {
  return type.group === "" ? type.version : `${type.group}/${type.version}`;
}

/**
 * The REST path of a resource: the collection across all namespaces when `namespace` is omitted,
 * one namespace's collection, or one object when `name` is given.
 */
export function resourcePath(type: ResourceType, namespace?: string, name?: string): string {
  const base = type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const one = name !== undefined ? `/${encodeURIComponent(name)}` : "";
  return `${base}${ns}/${type.resource}${one}`;
}

/** What the API server serves of one Flux kind. */
export interface ServedFluxResource {
  kind: FluxKind;
  group: string;
  resource: string;
  /** The version to list, watch and patch: the most preferred one releasegate reads that is served;
   *  undefined when the server serves none (Flux, or this controller, is not installed). */
  version: string | undefined;
  /** Every version of the group the server serves, as it reports them. */
  served: string[];
}

/** Pure: pick the version to use from an APIGroup discovery document (or its absence). */
export function pickServedVersion(kind: FluxKind, group: { versions?: Array<{ version?: string }> } | undefined): ServedFluxResource {
  const flux = FLUX_RESOURCES[kind];
  const served = (group?.versions ?? []).map((v) => v.version).filter((v): v is string => typeof v === "string");
  return {
    kind,
    group: flux.group,
    resource: flux.resource,
    version: flux.versions.find((v) => served.includes(v)),
    served,
  };
}

/**
 * Ask the API server (`GET /apis`, the APIGroupList) which versions of the Flux groups it serves,
 * and pick for each kind the newest one releasegate reads (v2 on current Flux, v2beta2 on older
 * clusters). The server's own preferredVersion is not used: a cluster mid-upgrade may still prefer
 * a beta while already serving v2, and every version reads the same fields.
 * Throws (with the server's message) only when discovery itself fails.
 */
export async function discoverServedVersions(kc: KubeSource): Promise<Record<GuardedKind, ServedFluxResource>> {
  const byName = new Map((await readApiGroups(kc)).map((g) => [g.name, g]));
  const served = (kind: GuardedKind): ServedFluxResource => pickServedVersion(kind, byName.get(FLUX_RESOURCES[kind].group));
  return { HelmRelease: served("HelmRelease"), Kustomization: served("Kustomization") };
}
