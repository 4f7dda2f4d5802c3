import { describe, expect, it } from "vitest";
import { release } from "../graph/test-helpers.test-support.js";
import type { FluxObject, ObjectKey } from "../graph/types.js";
import { KindStore } from "./kind-store.js";
import type { GateBatch } from "./kind-store.js";
import type { CacheChange, CacheListener } from "./object-cache.js";

/** A cache as the watch fills it: objects pushed by hand, synced when told. */
class FakeCache {
  readonly kind = "HelmRelease" as const;
  readonly synced: Promise<void>;
  private syncedNow = false;
  private resolveSynced!: () => void;
  readonly objects = new Map<ObjectKey, FluxObject>();
  private readonly listeners = new Set<CacheListener>();
  constructor() {
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
  }
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
    store.onGateChanges((batch) => batches.push(batch));
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
    expect(backend.after).toMatchObject({ state: "blocked", reason: "Failed", rootCause: "default/redis" });
    expect(backend.object?.name).toBe("backend");

    const fixed = release("default/redis");
    cache.put(fixed);
    const last = batches[batches.length - 1]!;
    expect(last.cause).toMatchObject({ type: "upsert", key: "default/redis" });
    const opened = last.changes.find((c) => c.key === "default/backend")!;
    expect(opened.after).toEqual({ state: "open" });
    expect(opened.object).toBe(store.graph.get("default/backend"));
  });

  it("is the graph the webhook reads: the same instance, kept current", async () => {
    const cache = new FakeCache();
    const store = new KindStore(cache);
    cache.finishSync();
    await cache.synced;
    const graph = store.graph;
    cache.put(release("default/a", { dependsOn: ["b"] }));
    expect(store.graph).toBe(graph);
    expect(graph.has("default/a")).toBe(true);
    expect(graph.dependentsOf("default/b")).toEqual(["default/a"]);
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
});
