import { describe, expect, it } from "vitest";
import { DISCOVERY_TTL_MS, KindDiscovery } from "./kind-discovery.js";

class NotFound extends Error {
  readonly code = 404;
}

function fakeServer(lists: Record<string, Array<{ name: string; kind: string; namespaced: boolean }>>) {
  const asked: string[] = [];
  const get = (path: string): Promise<unknown> => {
    asked.push(path);
    const list = lists[path];
    return list === undefined ? Promise.reject(new NotFound(path)) : Promise.resolve({ kind: "APIResourceList", resources: list });
  };
  return { get, asked, lists };
}

describe("KindDiscovery", () => {
  const apps = [
    { name: "deployments", kind: "Deployment", namespaced: true },
    { name: "deployments/status", kind: "Deployment", namespaced: true },
  ];

  it("resolves a kind to its resource and scope, the core group at /api/v1, subresources left out", async () => {
    const server = fakeServer({ "/apis/apps/v1": apps, "/api/v1": [{ name: "namespaces", kind: "Namespace", namespaced: false }] });
    const discovery = new KindDiscovery(server.get);
    expect(await discovery.resolve("apps/v1", "Deployment", 100)).toEqual({ type: "served", apiVersion: "apps/v1", kind: "Deployment", resource: "deployments", namespaced: true });
    expect(await discovery.resolve("v1", "Namespace", 100)).toMatchObject({ type: "served", resource: "namespaces", namespaced: false });
  });

  it("calls an unserved group/version or kind unserved, and rejects when discovery fails otherwise", async () => {
    const server = fakeServer({ "/apis/apps/v1": apps });
    const discovery = new KindDiscovery(server.get);
    expect(await discovery.resolve("example.io/v1", "Widget", 100)).toEqual({ type: "unserved", apiVersion: "example.io/v1", kind: "Widget" });
    expect(await discovery.resolve("apps/v1", "Deploymnet", 100)).toMatchObject({ type: "unserved" });
    const failing = new KindDiscovery(() => Promise.reject(Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" })));
    await expect(failing.resolve("apps/v1", "Deployment", 100)).rejects.toThrow("connection refused");
  });

  it("keeps a list for a while, but asks again for a kind it lacks (its CRD may be new) and once the list expires", async () => {
    let now = 0;
    const server = fakeServer({ "/apis/example.io/v1": [] });
    const discovery = new KindDiscovery(server.get, () => now);
    expect((await discovery.resolve("example.io/v1", "Widget", 100)).type).toBe("unserved");
    server.lists["/apis/example.io/v1"] = [{ name: "widgets", kind: "Widget", namespaced: true }];
    expect((await discovery.resolve("example.io/v1", "Widget", 100)).type).toBe("served");
    const before = server.asked.length;
    await discovery.resolve("example.io/v1", "Widget", 100);
    expect(server.asked.length).toBe(before);
    now += DISCOVERY_TTL_MS;
    await discovery.resolve("example.io/v1", "Widget", 100);
    expect(server.asked.length).toBe(before + 1);
  });
});
