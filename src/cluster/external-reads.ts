// The objects of kinds outside Flux that dependsOn entries name, read once (`releasegate why` against a live
// cluster): the same ExternalObjects view serve's watches give the gate rules (external-watches.ts), made of
// one GET per named object instead of a watch per kind, so `why` judges a ResourceSet's or a HelmRelease's
// ConfigMap, Deployment or CRD as serve does. Bounded: at most MAX_READS objects, each read with a timeout.
import type { ExternalObject, ExternalObjects, ExternalState } from "../graph/external-objects.js";
import { isGraphKind } from "../graph/external-objects.js";
import type { Keep } from "../graph/field-paths.js";
import { externalForbiddenMessage, externalNamespaceForbiddenMessage, externalUnservedMessage, externalWatchFailedMessage } from "../graph/messages.js";
import { entryKind, entryNamespace, nodeKey } from "../graph/refs.js";
import type { FluxObject, NodeKey } from "../graph/types.js";
import type { KubeSource } from "../kube/connect.js";
import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { apiGet } from "./api-get.js";
import { decodeExternal } from "./external-codec.js";
import { KindDiscovery } from "./kind-discovery.js";
import { resourcePath } from "./resources.js";
import type { ResourceType } from "./resources.js";

/** Objects read at most (a dependency beyond them is "cannot judge"). */
const MAX_READS = 500;

/** Reads every external object `objects` name; `keepOfKind` says what their readyExprs read of each kind. */
export async function readExternalObjects(kc: KubeSource, objects: readonly FluxObject[], keepOfKind: (kind: string) => Keep | undefined, timeoutMs: number): Promise<ExternalObjects> {
  const wanted = new Map<NodeKey, { kind: string; apiVersion: string; namespace: string; name: string }>();
  for (const object of objects) {
    for (const entry of object.dependsOn) {
      const kind = entryKind(object, entry);
      if (isGraphKind(kind)) continue;
      const namespace = entryNamespace(object, entry);
      wanted.set(nodeKey(kind, namespace, entry.name), { kind, apiVersion: entry.apiVersion ?? "", namespace, name: entry.name });
    }
  }
  const get = apiGet(kc, timeoutMs);
  const discovery = new KindDiscovery(get);
  const states = new Map<NodeKey, ExternalState>();
  const types = new Map<string, Promise<ResourceType | string>>();
  const typeOf = (kind: string, apiVersion: string): Promise<ResourceType | string> => {
    const key = `${apiVersion}/${kind}`;
    let found = types.get(key);
    if (found === undefined) {
      found = discovery.resolve(apiVersion, kind, timeoutMs).then(
        (resolved) => {
          if (resolved.type === "unserved") return externalUnservedMessage(kind, apiVersion);
          const slash = apiVersion.indexOf("/");
          return { group: slash < 0 ? "" : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), resource: resolved.resource, kind, namespaced: resolved.namespaced };
        },
        (error: unknown) => externalWatchFailedMessage(kind, describeError(error)),
      );
      types.set(key, found);
    }
    return found;
  };
  const entries = [...wanted];
  for (const [node, dep] of entries.slice(MAX_READS)) states.set(node, { known: false, why: externalWatchFailedMessage(dep.kind, `not read: more than ${MAX_READS} objects`) });
  await Promise.all(
    entries.slice(0, MAX_READS).map(async ([node, dep]) => {
      const type = dep.apiVersion === "" ? externalUnservedMessage(dep.kind, "") : await typeOf(dep.kind, dep.apiVersion);
      if (typeof type === "string") return states.set(node, { known: false, why: type });
      // A namespaced kind named without a namespace is never found (the controllers look it up verbatim).
      if (type.namespaced && dep.namespace === "") return states.set(node, { known: true, object: undefined });
      try {
        const raw = await get(resourcePath(type, dep.namespace, dep.name), timeoutMs);
        const object: ExternalObject | undefined = decodeExternal(dep.kind, dep.apiVersion, raw, keepOfKind(dep.kind));
        states.set(node, { known: true, object });
      } catch (error) {
        const code = statusCodeOf(error);
        if (code === 404) states.set(node, { known: true, object: undefined });
        else if (code === 403) {
          // As serve's watches say it: a namespaced kind unreadable cluster-wide is read namespace by
          // namespace (external-namespaces.ts), so what is missing is the read in this namespace.
          const resource = type.group === "" ? type.resource : `${type.resource}.${type.group}`;
          const why = type.namespaced && dep.namespace !== "" ? externalNamespaceForbiddenMessage(dep.kind, resource, dep.namespace) : externalForbiddenMessage(dep.kind, resource);
          states.set(node, { known: false, why });
        }
        else states.set(node, { known: false, why: externalWatchFailedMessage(dep.kind, describeError(error)) });
      }
      return undefined;
    }),
  );
  return { stateOf: (node) => states.get(node) ?? { known: false, why: externalWatchFailedMessage(node.slice(0, node.indexOf("/")), "not read") } };
}
