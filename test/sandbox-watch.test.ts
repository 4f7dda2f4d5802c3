// Watches against the sandbox with client-node's Watch and informer: resourceVersion semantics, BOOKMARK
// events, 410 Gone for an expired resourceVersion, server-side timeoutSeconds, selectors, and the faults
// the cluster cache must survive (dropped watches, restarts). Semantics from
// https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
import { CoreV1Api, CustomObjectsApi, PatchStrategy, Watch, makeInformer, setHeaderOptions } from "@kubernetes/client-node";
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../src/sandbox/index.js";
import { startSandbox } from "../src/sandbox/index.js";

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };
const HR_PATH = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases";

interface Seen {
  type: string;
  name?: string;
  rv?: string;
  object: Record<string, unknown>;
}

function helmRelease(name: string, namespace = "default", labels?: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { interval: "10m", chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "bitnami" } } } },
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a watch and records its events; `done` resolves with the error (or null) when the stream ends. */
async function record(sandbox: Sandbox, path: string, params: Record<string, string | number | boolean | undefined>) {
  const events: Seen[] = [];
  let resolveDone: (err: unknown) => void = () => undefined;
  const done = new Promise<unknown>((r) => (resolveDone = r));
  const controller = await new Watch(sandbox.kubeConfig()).watch(
    path,
    params,
    (type, object: KubernetesObject & Record<string, unknown>) => {
      events.push({ type, name: object.metadata?.name, rv: object.metadata?.resourceVersion, object });
    },
    (err) => resolveDone(err),
  );
  return { events, done, stop: () => controller.abort() };
}

let sandbox: Sandbox;
let custom: CustomObjectsApi;

beforeAll(async () => {
  sandbox = await startSandbox({ bookmarkIntervalMs: 100 });
  custom = sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await sandbox.close();
});

describe("watch", () => {
  it("without resourceVersion: synthetic ADDED for the current state, then changes", async () => {
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("one") });
    const w = await record(sandbox, HR_PATH, {});
    await until(() => w.events.length === 1, "the initial ADDED");
    expect(w.events[0]).toMatchObject({ type: "ADDED", name: "one" });
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("two") });
    await custom.patchNamespacedCustomObject({ ...HR, namespace: "default", name: "one", body: { spec: { suspend: true } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await custom.deleteNamespacedCustomObject({ ...HR, namespace: "default", name: "two" });
    await until(() => w.events.length === 4, "three changes");
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(["ADDED one", "ADDED two", "MODIFIED one", "DELETED two"]);
    // The DELETED event carries the resourceVersion of the deletion, newer than any before it.
    const rvs = w.events.map((e) => Number(e.rv));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    w.stop();
  });

  it("from a resourceVersion: exactly the changes after it, in another served version", async () => {
    const list = (await custom.listClusterCustomObject(HR)) as { metadata: { resourceVersion: string } };
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("three") });
    await custom.deleteNamespacedCustomObject({ ...HR, namespace: "default", name: "three" });
    const w = await record(sandbox, "/apis/helm.toolkit.fluxcd.io/v2beta2/namespaces/default/helmreleases", { resourceVersion: list.metadata.resourceVersion });
    await until(() => w.events.length === 2, "the two changes after the list");
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(["ADDED three", "DELETED three"]);
    expect(w.events[0]?.object.apiVersion).toBe("helm.toolkit.fluxcd.io/v2beta2");
    w.stop();
  });

  it("sends BOOKMARK events with the current resourceVersion when allowWatchBookmarks=true", async () => {
    const list = (await custom.listClusterCustomObject(HR)) as { metadata: { resourceVersion: string } };
    const w = await record(sandbox, HR_PATH, { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true });
    await until(() => w.events.some((e) => e.type === "BOOKMARK"), "a bookmark");
    const bookmark = w.events.find((e) => e.type === "BOOKMARK");
    expect(bookmark?.object).toEqual({ kind: "HelmRelease", apiVersion: "helm.toolkit.fluxcd.io/v2", metadata: { resourceVersion: list.metadata.resourceVersion } });
    w.stop();
  });

  it("ends with an ERROR event holding a 410 Expired Status when the resourceVersion is too old", async () => {
    const list = (await custom.listClusterCustomObject(HR)) as { metadata: { resourceVersion: string } };
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("four") });
    sandbox.faults.expireHistory();
    const w = await record(sandbox, HR_PATH, { resourceVersion: list.metadata.resourceVersion });
    await w.done;
    expect(w.events).toHaveLength(1);
    expect(w.events[0]?.type).toBe("ERROR");
    expect(w.events[0]?.object).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Expired", code: 410 });
    expect(String(w.events[0]?.object.message)).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it("closes the stream after timeoutSeconds", async () => {
    const w = await record(sandbox, HR_PATH, { timeoutSeconds: 1, resourceVersion: "0" });
    expect(await w.done).toBeNull();
  });

  it("filters by label selector: an object that stops matching is DELETED for the watcher", async () => {
    const w = await record(sandbox, "/apis/helm.toolkit.fluxcd.io/v2/namespaces/default/helmreleases", { labelSelector: "tier=web" });
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("web", "default", { tier: "web" }) });
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("db", "default", { tier: "db" }) });
    await custom.patchNamespacedCustomObject({ ...HR, namespace: "default", name: "web", body: { metadata: { labels: { tier: "db" } } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await custom.patchNamespacedCustomObject({ ...HR, namespace: "default", name: "db", body: { metadata: { labels: { tier: "web" } } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await until(() => w.events.length === 3, "three events");
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(["ADDED web", "DELETED web", "ADDED db"]);
    w.stop();
  });

  it("serves the legacy /watch/ path for a single object", async () => {
    const w = await record(sandbox, "/apis/helm.toolkit.fluxcd.io/v2/watch/namespaces/default/helmreleases/db", {});
    await until(() => w.events.length === 1, "the object");
    await custom.deleteNamespacedCustomObject({ ...HR, namespace: "default", name: "web" });
    await custom.deleteNamespacedCustomObject({ ...HR, namespace: "default", name: "db" });
    await until(() => w.events.length === 2, "its deletion");
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(["ADDED db", "DELETED db"]);
    w.stop();
  });

  it("supports streaming lists (sendInitialEvents) ending the initial state with an annotated bookmark", async () => {
    const w = await record(sandbox, HR_PATH, { sendInitialEvents: true, resourceVersionMatch: "NotOlderThan", allowWatchBookmarks: true, resourceVersion: "" });
    await until(() => w.events.some((e) => e.type === "BOOKMARK"), "the initial-events-end bookmark");
    const end = w.events.findIndex((e) => e.type === "BOOKMARK");
    expect(w.events.slice(0, end).every((e) => e.type === "ADDED")).toBe(true);
    expect((w.events[end]?.object.metadata as { annotations?: Record<string, string> }).annotations).toEqual({ "k8s.io/initial-events-end": "true" });
    w.stop();
  });
});

describe("informer (client-node makeInformer) through faults", () => {
  it("keeps an exact cache across dropped watches, expired history and restarts", async () => {
    const informer = makeInformer(sandbox.kubeConfig(), HR_PATH, () => custom.listClusterCustomObject(HR) as never);
    const cache = new Map<string, string>();
    const errors: unknown[] = [];
    let stopped = false;
    const key = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
    informer.on("add", (o) => cache.set(key(o), String((o as { spec?: { interval?: string } }).spec?.interval)));
    informer.on("update", (o) => cache.set(key(o), String((o as { spec?: { interval?: string } }).spec?.interval)));
    informer.on("delete", (o) => cache.delete(key(o)));
    informer.on("error", (err) => {
      errors.push(err);
      // client-node's informer stops on errors; restarting is the caller's job (as the cluster cache does).
      setTimeout(() => {
        if (!stopped) void informer.start();
      }, 50);
    });
    await informer.start();
    const serverState = async (): Promise<string> => {
      const list = (await custom.listClusterCustomObject(HR)) as { items: Array<{ metadata: { namespace: string; name: string }; spec: { interval: string } }> };
      return JSON.stringify(list.items.map((i) => [`${i.metadata.namespace}/${i.metadata.name}`, i.spec.interval]).sort());
    };
    const cacheState = (): string => JSON.stringify([...cache].sort());
    const converge = async (what: string): Promise<void> => {
      const expected = await serverState();
      await until(() => cacheState() === expected, what);
    };

    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("inf-a") });
    await converge("the first object");

    sandbox.faults.dropWatches();
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("inf-b") });
    await converge("a change made while the watch was down");

    sandbox.faults.dropWatches("reset");
    await custom.patchNamespacedCustomObject({ ...HR, namespace: "default", name: "inf-a", body: { spec: { interval: "1m" } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await converge("a change after a reset connection");

    sandbox.faults.expireHistory();
    sandbox.faults.dropWatches();
    await custom.deleteNamespacedCustomObject({ ...HR, namespace: "default", name: "inf-b" });
    await converge("a delete after history expired (410, relist)");

    await sandbox.restart({ keepState: true });
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("inf-c") });
    await converge("a change after a restart that kept state");

    await sandbox.restart();
    await converge("the state after a restart that lost everything");
    expect(cache.size).toBe(0);
    stopped = true;
    await informer.stop();
  });

  it("restarts on the same port and keeps serving", async () => {
    const before = sandbox.url;
    await sandbox.restart({ keepState: true });
    expect(sandbox.url).toBe(before);
    const core = sandbox.kubeConfig().makeApiClient(CoreV1Api);
    const ns = await core.readNamespace({ name: "default" });
    expect(ns.metadata?.name).toBe("default");
  });
});
