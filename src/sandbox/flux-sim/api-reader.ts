// Reads one object through the API for the simulated Flux's checks, as Flux's controllers read a
// dependency or a source when they reconcile: undefined when it does not exist (404, or a kind the API
// does not serve), the object otherwise. Other failures are thrown.
import { CustomObjectsApi, KubernetesObjectApi } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ResourceType } from "./resource-watch.js";
import { isJson } from "./unstructured.js";
import type { Json } from "./unstructured.js";

function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

export class ApiReader {
  private readonly custom: CustomObjectsApi;
  private readonly objects: KubernetesObjectApi;

  constructor(kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
  }

  async get(type: ResourceType, namespace: string, name: string): Promise<Json | undefined> {
    try {
      const found: unknown = await this.custom.getNamespacedCustomObject({ group: type.group, version: type.version, plural: type.plural, namespace, name });
      return isJson(found) ? found : undefined;
    } catch (err) {
      if (codeOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** An object of any kind, by apiVersion and kind (discovery finds its resource). */
  async getAny(apiVersion: string, kind: string, namespace: string, name: string): Promise<Json | undefined> {
    try {
      // The operator reads with the namespace as written: none never finds a namespaced object (client-node
      // would put its default namespace in; discovery says the kind's scope).
      if (namespace === "") {
        const discovered = (this.objects as unknown as { resource(apiVersion: string, kind: string): Promise<{ namespaced?: boolean } | undefined> }).resource(apiVersion, kind);
        const resource = await discovered;
        if (resource === undefined || resource.namespaced === true) return undefined;
      }
      const found: unknown = await this.objects.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
      return isJson(found) ? found : undefined;
    } catch (err) {
      if (codeOf(err) === 404) return undefined;
      if (err instanceof Error && err.message.startsWith("Unrecognized API version and kind")) return undefined;
      throw err;
    }
  }
}
