import { describe, expect, it } from "vitest";
import { MAX_NAMES_READ, missingReader } from "./missing-read.js";

class ApiError extends Error {
  constructor(readonly code: number) {
    super(`HTTP ${code}`);
  }
}

const discovery: Record<string, unknown> = {
  "/apis/apps/v1": { resources: [{ name: "deployments", kind: "Deployment", namespaced: true }] },
  "/apis/apiextensions.k8s.io/v1": { resources: [{ name: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false }] },
  "/api/v1": { resources: [{ name: "secrets", kind: "Secret", namespaced: true }] },
};

function server(objects: Record<string, unknown>, options: { hang?: string; fail?: string } = {}) {
  const asked: string[] = [];
  const get = (path: string): Promise<unknown> => {
    asked.push(path);
    if (path === options.hang) return new Promise(() => undefined);
    if (path === options.fail) return Promise.reject(new ApiError(500));
    if (path.includes("/secrets/")) return Promise.reject(new ApiError(403));
    const found = objects[path] ?? discovery[path];
    return found === undefined ? Promise.reject(new ApiError(404)) : Promise.resolve(found);
  };
  return { get, asked };
}

const redis = { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "redis", namespace: "apps" }, spec: {} };

describe("missingReader", () => {
  it("reads a Flux kind at the caches' version and returns the object for the graph", async () => {
    const api = server({ "/apis/helm.toolkit.fluxcd.io/v2beta2/namespaces/apps/helmreleases/redis": redis });
    const outcomes = await missingReader(api.get, { HelmRelease: "v2beta2" })([{ node: "HelmRelease/apps/redis" }], 500);
    expect(outcomes.get("HelmRelease/apps/redis")).toMatchObject({ state: "exists", object: { kind: "HelmRelease", namespace: "apps", name: "redis" } });
  });

  it("reads another kind where discovery says, a cluster-scoped one without a namespace", async () => {
    const api = server({ "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.io": { kind: "CustomResourceDefinition" } });
    const outcomes = await missingReader(api.get, {})(
      [
        { node: "Deployment/apps/web", apiVersion: "apps/v1" },
        { node: "CustomResourceDefinition/apps/widgets.example.io", apiVersion: "apiextensions.k8s.io/v1" },
        { node: "CustomResourceDefinition/apps/gadgets.example.io", apiVersion: "apiextensions.k8s.io/v1" },
        { node: "Widget/apps/w", apiVersion: "example.io/v1" },
        { node: "Secret/apps/token", apiVersion: "v1" },
      ],
      500,
    );
    expect(Object.fromEntries(outcomes)).toEqual({
      "Deployment/apps/web": { state: "missing", clusterScoped: false },
      "CustomResourceDefinition/apps/widgets.example.io": { state: "exists" },
      "CustomResourceDefinition/apps/gadgets.example.io": { state: "missing", clusterScoped: true },
      "Widget/apps/w": { state: "unserved", apiVersion: "example.io/v1", kind: "Widget" },
      "Secret/apps/token": { state: "forbidden", resource: "secrets" },
    });
    expect(api.asked).toContain("/apis/apps/v1/namespaces/apps/deployments/web");
  });

  it("leaves what it could not read unknown: an error, the bound, more names than it reads", async () => {
    const api = server({}, { hang: "/apis/apps/v1/namespaces/apps/deployments/slow", fail: "/apis/apps/v1/namespaces/apps/deployments/broken" });
    const many = Array.from({ length: MAX_NAMES_READ + 2 }, (_, i) => ({ node: `Deployment/apps/d${i}`, apiVersion: "apps/v1" }));
    const outcomes = await missingReader(api.get, {}, { timeoutMs: 200 })(
      [{ node: "Deployment/apps/slow", apiVersion: "apps/v1" }, { node: "Deployment/apps/broken", apiVersion: "apps/v1" }, ...many],
      1000,
    );
    expect(outcomes.get("Deployment/apps/slow")).toEqual({ state: "unknown", error: "no answer from the API server within 200 ms" });
    expect(outcomes.get("Deployment/apps/broken")).toMatchObject({ state: "unknown" });
    expect(outcomes.get(`Deployment/apps/d${MAX_NAMES_READ}`)).toEqual({ state: "unknown", error: `not read: more than ${MAX_NAMES_READ} names` });
    expect(outcomes.size).toBe(MAX_NAMES_READ + 4);
  });
});
