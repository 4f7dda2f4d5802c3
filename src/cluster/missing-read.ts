// "Missing means missing now" (docs/behaviour.md, Admission rules): before the webhook denies a dependency its cache does
// not hold, it reads just those names from the API server, one GET each, all at once, within a bound
// (default 1 s). A GET is served from etcd (a consistent read; Kubernetes API concepts, Resource
// versions: an unset resourceVersion means "most recent"), so an object stored a moment ago and not yet
// seen by this replica's watch is found, and a denial is never a guess. This runs on the deny path only;
// allowed reviews never leave memory.
//
// A ResourceSet may depend on a kind releasegate does not cache (a Deployment, a CRD's kind): its
// dependency is checked the same way, after discovery says which resource serves the entry's apiVersion
// and kind (kind-discovery.ts); a kind the server does not serve is said so, and a cluster-scoped kind is
// read without a namespace.
import { decodeFluxObject } from "../flux/decode.js";
import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { FLUX_KIND_INFO, fluxKindOf, isGuardedKind } from "../flux/kinds.js";
import { nodeOf, splitNodeKey } from "../graph/refs.js";
import type { FluxKind, FluxObject, NodeKey } from "../graph/types.js";
import { KindDiscovery } from "./kind-discovery.js";
import type { ApiGet } from "./kind-discovery.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import { apiGet } from "./api-get.js";
import { fluxResourceType, resourcePath } from "./resources.js";
import type { ResourceType } from "./resources.js";

/** Names read per review: a denial names at most 10 problems, and a handful of GETs costs little. */
export const MAX_NAMES_READ = 20;
const DEFAULT_MISSING_READ_TIMEOUT_MS = 1000;

/** A dependency the cache does not hold: its node, and the entry's apiVersion when it names one (a ResourceSet's). */
export interface MissingDependency {
  node: NodeKey;
  apiVersion?: string;
}

/** What one consistent read found out about a dependency. */
export type ReadOutcome =
  /** It exists; `object` when it is of a kind releasegate caches (it joins the graph for the decision). */
  | { state: "exists"; object?: FluxObject }
  /** The API server says 404; `clusterScoped` when its kind has no namespace (it is named without one). */
  | { state: "missing"; clusterScoped: boolean }
  /** The API server serves no such apiVersion and kind. */
  | { state: "unserved"; apiVersion: string; kind: string }
  /** The API server refused releasegate the read (403: its RBAC does not cover the kind). */
  | { state: "forbidden"; resource: string }
  /** Not read: an error, the bound, or over the per-review cap. The cache's answer stands. */
  | { state: "unknown"; error: string };

export type ConfirmMissing = (dependencies: readonly MissingDependency[], timeoutMs: number) => Promise<Map<NodeKey, ReadOutcome>>;

/** The Flux kind the entry names, when it is one releasegate caches at a group it reads. */
function cachedKindOf(kind: string, apiVersion: string | undefined): FluxKind | undefined {
  if (apiVersion === undefined) return isFluxKind(kind) ? kind : undefined;
  const flux = fluxKindOf(apiVersion, kind);
  return flux !== undefined && isGuardedKind(flux) ? flux : undefined;
}

function isFluxKind(kind: string): kind is FluxKind {
  return Object.hasOwn(FLUX_KIND_INFO, kind);
}

/** A GET that resolves undefined for 404 (the answer the deny path expects most), rejecting other errors. */
type ApiFind = (path: string, timeoutMs: number) => Promise<unknown>;

/** An ApiFind over an ApiGet that rejects 404 like any error status. */
function findThrough(get: ApiGet): ApiFind {
  return (path, timeoutMs) =>
    get(path, timeoutMs).catch((error: unknown) => {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    });
}

interface MissingReaderOptions {
  timeoutMs?: number;
  logger?: Logger;
  /** Reads the objects (default: `get`, with its 404 taken as "missing"). */
  find?: ApiFind;
}

/**
 * A ConfirmMissing reading through `get`: every dependency gets an outcome. Flux kinds are read at the
 * version the caches use (`versions`); other kinds where discovery says they are served.
 */
export function missingReader(get: ApiGet, versions: Partial<Record<FluxKind, string>>, options: MissingReaderOptions = {}): ConfirmMissing {
  const bound = options.timeoutMs ?? DEFAULT_MISSING_READ_TIMEOUT_MS;
  const log = options.logger ?? silentLogger;
  const discovery = new KindDiscovery(get);
  const find = options.find ?? findThrough(get);

  const readOne = async (dep: MissingDependency, timeoutMs: number): Promise<ReadOutcome> => {
    const { kind, namespace, name } = splitNodeKey(dep.node);
    const flux = cachedKindOf(kind, dep.apiVersion);
    let type: ResourceType;
    if (flux !== undefined) {
      type = fluxResourceType(flux, versions[flux]);
    } else {
      if (dep.apiVersion === undefined) return { state: "unknown", error: `no apiVersion for ${kind}` };
      const resolved = await discovery.resolve(dep.apiVersion, kind, timeoutMs);
      if (resolved.type === "unserved") return { state: "unserved", apiVersion: dep.apiVersion, kind };
      const slash = dep.apiVersion.indexOf("/");
      type = {
        group: slash < 0 ? "" : dep.apiVersion.slice(0, slash),
        version: dep.apiVersion.slice(slash + 1),
        resource: resolved.resource,
        kind,
        namespaced: resolved.namespaced,
      };
    }
    // A ResourceSet entry of a namespaced kind without a namespace: the Flux Operator never finds it.
    if (type.namespaced && namespace === "") return { state: "missing", clusterScoped: false };
    let raw: unknown;
    try {
      raw = await find(resourcePath(type, namespace, name), timeoutMs);
    } catch (error) {
      if (statusCodeOf(error) === 403 && flux === undefined) return { state: "forbidden", resource: type.group === "" ? type.resource : `${type.resource}.${type.group}` };
      throw error;
    }
    if (raw === undefined) return { state: "missing", clusterScoped: !type.namespaced };
    if (flux === undefined) return { state: "exists" };
    const object = decodeFluxObject(flux, raw);
    return nodeOf(object) === dep.node ? { state: "exists", object } : { state: "unknown", error: "the API server answered with another object" };
  };

  return async (dependencies, timeoutMs) => {
    const limit = Math.min(timeoutMs, bound);
    const outcomes = new Map<NodeKey, ReadOutcome>();
    const wanted = [...new Map(dependencies.map((d) => [d.node, d])).values()];
    for (const dep of wanted.slice(MAX_NAMES_READ)) outcomes.set(dep.node, { state: "unknown", error: `not read: more than ${MAX_NAMES_READ} names` });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), limit)));
    const read = async (dep: MissingDependency): Promise<void> => {
      let outcome: ReadOutcome;
      try {
        const result = await Promise.race([readOne(dep, limit), deadline]);
        outcome = result === "timeout" ? { state: "unknown", error: `no answer from the API server within ${limit} ms` } : result;
      } catch (error) {
        outcome = { state: "unknown", error: describeError(error) };
      }
      if (outcome.state === "unknown") log.warn({ dependency: dep.node, error: outcome.error }, "could not confirm a missing dependency; denying as the cache says");
      outcomes.set(dep.node, outcome);
    };
    try {
      await Promise.all(wanted.slice(0, MAX_NAMES_READ).map(read));
    } finally {
      clearTimeout(timer);
    }
    return outcomes;
  };
}

/** A ConfirmMissing reading from `kc`'s API server (see missingReader). */
export function apiMissingReader(
  kc: KubeSource,
  versions: Partial<Record<FluxKind, string>>,
  options: { timeoutMs?: number; logger?: Logger } = {},
): ConfirmMissing {
  const bound = options.timeoutMs ?? DEFAULT_MISSING_READ_TIMEOUT_MS;
  const client = kubeClientOf(kc);
  const find: ApiFind = (path, timeoutMs) => client.find(path, { timeoutMs: Math.min(timeoutMs, bound) });
  return missingReader(apiGet(kc, bound), versions, { ...options, timeoutMs: bound, find });
}

/** The Flux objects the reads found (they join the graph the decision is taken on). */
export function foundObjects(outcomes: ReadonlyMap<NodeKey, ReadOutcome>): FluxObject[] {
  const found: FluxObject[] = [];
  for (const outcome of outcomes.values()) if (outcome.state === "exists" && outcome.object !== undefined) found.push(outcome.object);
  return found;
}
