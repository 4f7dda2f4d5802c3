import { describe, expect, it } from "vitest";
import { release } from "../graph/test-helpers.test-support.js";
import type { FluxKind, FluxObject, ObjectKey } from "../graph/types.js";
import { FluxGraph } from "./flux-graph.js";
import { KindStore } from "./kind-store.js";
import type { GateBatch } from "./kind-store.js";
import type { CacheChange, CacheListener } from "./object-cache.js";

/** A cache as the watch fills it: objects pushed by hand, synced when told. */
class FakeCache {
  constructor(readonly kind: FluxKind = "HelmRelease") {
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
  }
  readonly synced: Promise<void>;
  private syncedNow = false;
  private resolveSynced!: () => void;
  readonly objects = new Map<ObjectKey, FluxObject>();
  private readonly listeners = new Set<CacheListener>();
  isSynced(): boolean {
    return this.syncedNow;
  }
  list(): FluxObject[] {
    return [...this.objects.values()];
  }
  get(key: ObjectKey): FluxObject | undefined {
    return this.objects.get(key);
  }
  subscribe(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  finishSync(): void {
    this.syncedNow = true;
    this.resolveSynced();
  }
  put(object: FluxObject): void {
    const key = `${object.namespace}/${object.name}`;
    this.objects.set(key, object);
    this.emit({ type: "upsert", key, object });
  }
  private emit(change: CacheChange): void {
    for (const l of this.listeners) l(change);
  }
}

describe("KindStore", () => {
  it("loads the first list at once, then feeds one change at a time, objects attached", async () => {
    const cache = new FakeCache();
    const store = new KindStore(cache);
    const batches: GateBatch[] = [];
    store.onGateChanges({ onGateBatch: (batch) => batches.push(batch) });
    // Listed before its dependency: no transient Missing is ever announced.
    cache.put(release("default/backend", { dependsOn: ["redis"], status: "none" }));
    cache.put(release("default/redis", { status: "failed" }));
    expect(store.isSynced()).toBe(false);
    expect(batches).toEqual([]);
    cache.finishSync();
    await cache.synced;
    expect(store.isSynced()).toBe(true);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.cause).toEqual({ type: "load" });
    const backend = batches[0]!.changes.find((c) => c.key === "default/backend")!;
    expect(backend.after).toMatchObject({ state: "blocked", reason: "Failed", rootCause: "HelmRelease/default/redis" });
    expect(backend.object?.name).toBe("backend");

    const fixed = release("default/redis");
    cache.put(fixed);
    const last = batches[batches.length - 1]!;
    expect(last.cause).toMatchObject({ type: "upsert", key: "default/redis" });
    const opened = last.changes.find((c) => c.key === "default/backend")!;
    expect(opened.after).toEqual({ state: "open" });
    expect(opened.object).toBe(store.graph.get("HelmRelease/default/backend"));
    expect(opened.node).toBe("HelmRelease/default/backend");
  });

  it("is the graph the webhook reads: the same instance, kept current", async () => {
    const cache = new FakeCache();
    const store = new KindStore(cache);
    cache.finishSync();
    await cache.synced;
    const graph = store.graph;
    cache.put(release("default/a", { dependsOn: ["b"] }));
    expect(store.graph).toBe(graph);
    expect(graph.has("HelmRelease/default/a")).toBe(true);
    expect(graph.dependentsOf("HelmRelease/default/b")).toEqual(["HelmRelease/default/a"]);
  });

  it("wakes a waiter when the keys arrive, and gives up after its timeout", async () => {
    const cache = new FakeCache();
    const store = new KindStore(cache);
    cache.finishSync();
    await cache.synced;
    const waiting = store.waitForKeys(["default/redis"], 5_000);
    cache.put(release("default/redis"));
    await expect(waiting).resolves.toBe(true);
    await expect(store.waitForKeys(["default/nothing"], 10)).resolves.toBe(false);
  });

  it("feeds one graph shared by the kinds: a change of one kind reaches the dependents of another", async () => {
    const shared = new FluxGraph();
    const helm = new FakeCache("HelmRelease");
    const sets = new FakeCache("ResourceSet");
    const helmStore = new KindStore(helm, shared);
    const setStore = new KindStore(sets, shared);
    const setBatches: GateBatch[] = [];
    setStore.onGateChanges({ onGateBatch: (batch) => setBatches.push(batch) });
    helm.put(release("apps/redis", { status: "failed" }));
    sets.put(release("apps/platform", { kind: "ResourceSet", dependsOn: [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "apps", ready: true }] }));
    // A Kustomization store of the same graph would see apps/redis as another object.
    helm.finishSync();
    sets.finishSync();
    await Promise.all([helm.synced, sets.synced]);
    expect(setStore.graph).toBe(helmStore.graph);
    expect(setStore.state("apps/platform")).toMatchObject({ state: "blocked", reason: "Failed", rootCause: "HelmRelease/apps/redis" });
    expect(helmStore.state("apps/platform")).toBeUndefined();
    expect(helmStore.graph.dependentsOf("HelmRelease/apps/redis")).toEqual(["ResourceSet/apps/platform"]);
    setBatches.length = 0;
    helm.put(release("apps/redis"));
    expect(setBatches).toHaveLength(1);
    expect(setBatches[0]!.cause).toEqual({ type: "other-kind", kind: "HelmRelease" });
    expect(setBatches[0]!.changes.map((c) => [c.key, c.after?.state])).toEqual([["apps/platform", "open"]]);
    expect(() => new KindStore(new FakeCache("HelmRelease"), shared)).toThrow(/already attached/);
  });
});
