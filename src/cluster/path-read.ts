// Consistent reads of the Flux objects on a new edge's path (docs/architecture.md, "Unconfirmed edges"):
// the webhook's edge-adding path asks for a set of nodes and gets, from the API server and never from a
// cache, the objects that exist among them. A read with no resourceVersion is served from etcd (Kubernetes
// API concepts, Resource versions: "most recent"), so an object stored a moment ago, and not yet seen by
// this replica's watch, is in the answer.
//
// Nodes are grouped by kind and namespace. Several of one namespace are read with one LIST of that
// namespace (one request, one snapshot), a lone one with a GET; a LIST that would need more than one page
// falls back to GETs of just those names. All requests go at once, under one deadline.
import { decodeFluxObject } from "../flux/decode.js";
import { isGuardedKind } from "../flux/kinds.js";
import { splitNodeKey } from "../graph/refs.js";
import type { FluxKind, FluxObject, NodeKey } from "../graph/types.js";
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import { describeError } from "../runtime/api-error.js";
import { fluxResourceType, resourcePath } from "./resources.js";

/** What the reads found: the objects that exist (absent nodes do not exist), or why they could not be read. */
export type PathReadResult = { ok: true; found: FluxObject[] } | { ok: false; error: string };

export type ReadNodes = (nodes: readonly NodeKey[], timeoutMs: number) => Promise<PathReadResult>;

/** A namespace with at least this many nodes to read is listed instead (one request). */
const LIST_FROM = 3;
/** Items one LIST may return; past it the namespace is read name by name. */
const LIST_LIMIT = 250;

/** The calls a ReadNodes makes (a KubeClient fits; tests pass fakes). */
interface PathReadClient {
  find(path: string, options: { timeoutMs: number }): Promise<unknown>;
  listPage(path: string, query: { limit: number }, options: { timeoutMs: number }): Promise<{ items: unknown[]; continue: string | undefined }>;
}

export function pathReader(client: PathReadClient, versions: Partial<Record<FluxKind, string>>): ReadNodes {
  return async (nodes, timeoutMs) => {
    const groups = new Map<string, { kind: FluxKind; namespace: string; names: Set<string> }>();
    for (const node of nodes) {
      const { kind, namespace, name } = splitNodeKey(node);
      if (!isGuardedKind(kind as FluxKind)) continue;
      const key = `${kind}/${namespace}`;
      const group = groups.get(key) ?? { kind: kind as FluxKind, namespace, names: new Set<string>() };
      group.names.add(name);
      groups.set(key, group);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from the API server within ${timeoutMs} ms`)), timeoutMs)));
    const getOne = async (kind: FluxKind, namespace: string, name: string): Promise<FluxObject | undefined> => {
      const raw = await client.find(resourcePath(fluxResourceType(kind, versions[kind]), namespace, name), { timeoutMs });
      return raw === undefined ? undefined : decodeFluxObject(kind, raw);
    };
    const readGroup = async (group: { kind: FluxKind; namespace: string; names: Set<string> }): Promise<FluxObject[]> => {
      const { kind, namespace, names } = group;
      if (names.size >= LIST_FROM) {
        const page = await client.listPage(resourcePath(fluxResourceType(kind, versions[kind]), namespace), { limit: LIST_LIMIT }, { timeoutMs });
        if (page.continue === undefined) {
          // The whole namespace: what it lacks does not exist.
          return page.items.map((raw) => decodeFluxObject(kind, raw)).filter((o) => names.has(o.name));
        }
      }
      const found = await Promise.all([...names].map((name) => getOne(kind, namespace, name)));
      return found.filter((o): o is FluxObject => o !== undefined);
    };
    try {
      const found = await Promise.race([Promise.all([...groups.values()].map(readGroup)), deadline]);
      return { ok: true, found: found.flat() };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The ReadNodes serve uses: through the KubeClient of `kc`, at the versions the caches use. */
export function apiPathReader(kc: KubeSource, versions: Partial<Record<FluxKind, string>>): ReadNodes {
  return pathReader(kubeClientOf(kc), versions);
}
