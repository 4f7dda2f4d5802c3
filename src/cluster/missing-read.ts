// "Missing means missing now" (docs/behaviour.md, Admission rules): before the webhook denies a dependency its cache does
// not hold, it reads just those names from the API server, one GET each, all at once, within a bound
// (default 1 s). A GET is served from etcd (a consistent read; Kubernetes API concepts, Resource
// versions: an unset resourceVersion means "most recent"), so an object stored a moment ago and not yet
// seen by this replica's watch is found, and a denial is never a guess. This runs on the deny path only;
// allowed reviews never leave memory.
import { CustomObjectsApi } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import { objectKey } from "../graph/refs.js";
import type { FluxKind, FluxObject, ObjectKey } from "../graph/types.js";
import { decodeFluxObject } from "../flux/decode.js";
import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";
import { fluxResourceType } from "./resources.js";
import { sharedApiClient } from "./shared-agent.js";

/** Names read per review: a denial names at most 10 problems, and a handful of GETs costs little. */
export const MAX_NAMES_READ = 20;
export const DEFAULT_MISSING_READ_TIMEOUT_MS = 1000;

export type ConfirmMissing = (kind: FluxKind, keys: readonly ObjectKey[], timeoutMs: number) => Promise<FluxObject[]>;

/**
 * A ConfirmMissing reading from `kc`'s API server: resolves with the objects among `keys` that do exist
 * (the rest are missing now, or could not be read in time, and stay denied as the cache says).
 */
export function apiMissingReader(
  kc: KubeConfig,
  versions: Partial<Record<FluxKind, string>>,
  options: { timeoutMs?: number; logger?: Logger } = {},
): ConfirmMissing {
  const bound = options.timeoutMs ?? DEFAULT_MISSING_READ_TIMEOUT_MS;
  const api = sharedApiClient(kc, CustomObjectsApi, { timeoutMs: bound });
  const log = options.logger ?? silentLogger;
  return async (kind, keys, timeoutMs) => {
    const type = fluxResourceType(kind, versions[kind]);
    const wanted = [...new Set(keys)].slice(0, MAX_NAMES_READ);
    const deadline = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), Math.min(timeoutMs, bound)).unref());
    const read = async (key: ObjectKey): Promise<FluxObject | undefined> => {
      const slash = key.indexOf("/");
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      try {
        const raw: unknown = await api.getNamespacedCustomObject({ group: type.group, version: type.version, plural: type.resource, namespace, name });
        const object = decodeFluxObject(kind, raw);
        return objectKey(object.namespace, object.name) === key ? object : undefined;
      } catch (error) {
        if (statusCodeOf(error) !== 404) log.warn({ kind, dependency: key, error: describeError(error) }, "could not confirm a missing dependency; denying as the cache says");
        return undefined;
      }
    };
    const found = await Promise.all(wanted.map((key) => Promise.race([read(key), deadline])));
    return found.filter((object): object is FluxObject => object !== undefined);
  };
}
