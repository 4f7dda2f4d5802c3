// Which resource serves an apiVersion and kind that releasegate does not cache (a ResourceSet may depend
// on a Deployment, a CustomResourceDefinition, any CRD's kind: docs/behaviour.md, Admission rules), read
// from the API server's discovery documents (`GET /api/v1`, `GET /apis/GROUP/VERSION`, an
// APIResourceList). Used on the deny path only, so the lists are kept a short while, in a bounded map.
import { isRecord } from "../runtime/json.js";
import { statusCodeOf } from "../runtime/api-error.js";

/** One GET of a JSON document from the API server; rejects with an error carrying the HTTP code (statusCodeOf). */
export type ApiGet = (path: string, timeoutMs: number) => Promise<unknown>;

type KindResolution =
  | { type: "served"; apiVersion: string; kind: string; resource: string; namespaced: boolean }
  /** The server serves no such group/version, or the group/version has no such kind. */
  | { type: "unserved"; apiVersion: string; kind: string };

interface Listed {
  at: number;
  /** kind → (plural, namespaced), main resources only; undefined when the group/version is not served. */
  kinds: Map<string, { resource: string; namespaced: boolean }> | undefined;
}

/** Discovery answers kept per apiVersion; a CRD installed since is seen once they expire. */
export const DISCOVERY_TTL_MS = 10_000;
/** apiVersions remembered at once (the oldest is forgotten first). */
const MAX_DISCOVERY_ENTRIES = 128;

/** `/api/v1` for the core group, `/apis/GROUP/VERSION` otherwise. */
function apiVersionPath(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export class KindDiscovery {
  private readonly lists = new Map<string, Listed>();

  constructor(
    private readonly get: ApiGet,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves the kind at the apiVersion; rejects when discovery itself fails (not for an unserved one). */
  async resolve(apiVersion: string, kind: string, timeoutMs: number): Promise<KindResolution> {
    let listed = this.lists.get(apiVersion);
    const fresh = listed !== undefined && this.now() - listed.at < DISCOVERY_TTL_MS;
    // A kind absent from a fresh list is asked again: its CRD may have been created a moment ago.
    if (!fresh || listed?.kinds?.has(kind) !== true) listed = await this.fetch(apiVersion, timeoutMs);
    const found = listed.kinds?.get(kind);
    return found === undefined ? { type: "unserved", apiVersion, kind } : { type: "served", apiVersion, kind, ...found };
  }

  private async fetch(apiVersion: string, timeoutMs: number): Promise<Listed> {
    let kinds: Listed["kinds"];
    try {
      kinds = resourceKinds(await this.get(apiVersionPath(apiVersion), timeoutMs));
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw error;
      kinds = undefined;
    }
    const listed: Listed = { at: this.now(), kinds };
    this.lists.delete(apiVersion);
    this.lists.set(apiVersion, listed);
    while (this.lists.size > MAX_DISCOVERY_ENTRIES) this.lists.delete(this.lists.keys().next().value!);
    return listed;
  }
}

/** The main resources of an APIResourceList by kind (subresources such as `deployments/status` left out). */
function resourceKinds(list: unknown): Map<string, { resource: string; namespaced: boolean }> {
  const kinds = new Map<string, { resource: string; namespaced: boolean }>();
  const resources = isRecord(list) && Array.isArray(list["resources"]) ? (list["resources"] as unknown[]) : [];
  for (const entry of resources) {
    if (!isRecord(entry)) continue;
    const { name, kind, namespaced } = entry;
    if (typeof name !== "string" || typeof kind !== "string" || name.includes("/")) continue;
    if (!kinds.has(kind)) kinds.set(kind, { resource: name, namespaced: namespaced === true });
  }
  return kinds;
}
