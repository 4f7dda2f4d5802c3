import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FluxGraph } from "../cluster/flux-graph.js";
import { KindStore } from "../cluster/kind-store.js";
import type { CacheChange, CacheListener } from "../cluster/object-cache.js";
import { arbitraryGraph } from "../graph/arbitraries.test-support.js";
import { release } from "../graph/test-helpers.test-support.js";
import type { FluxKind, FluxObject, ObjectKey } from "../graph/types.js";
import { decodeSnapshot } from "./compact-snapshot.js";
import type { CompactSnapshot } from "./compact-snapshot.js";
import { summaryOfNode } from "./graph-nodes.js";
import type { GraphUpdate } from "./graph-snapshot.js";
import { storeFeed } from "./store-feed.js";

/** A kind's cache as its watch fills it, synced from the start; no get(), so nothing can read it but the store. */
class FakeCache {
  readonly synced = Promise.resolve();
  private readonly objects = new Map<ObjectKey, FluxObject>();
  private readonly listeners = new Set<CacheListener>();
  constructor(readonly kind: FluxKind) {}
  isSynced = (): boolean => true;
  list = (): FluxObject[] => [...this.objects.values()];
  subscribe(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  put(object: FluxObject): void {
    const key = `${object.namespace}/${object.name}`;
    const previous = this.objects.get(key);
    this.objects.set(key, object);
    this.emit({ type: "upsert", key, object, ...(previous !== undefined ? { previous } : {}) });
  }
  remove(key: ObjectKey): void {
    const previous = this.objects.get(key)!;
    this.objects.delete(key);
    this.emit({ type: "delete", key, previous });
  }
  private emit(change: CacheChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}

function cluster(): { helm: FakeCache; sets: FakeCache; stores: KindStore[] } {
  const helm = new FakeCache("HelmRelease");
  const sets = new FakeCache("ResourceSet");
  helm.put(release("default/redis", { status: "failed", message: "install retries exhausted" }));
  helm.put(release("default/backend", { dependsOn: ["redis"], status: "progressing" }));
  helm.put(release("default/other"));
  sets.put(release("apps/platform", { kind: "ResourceSet", dependsOn: [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "backend", namespace: "default", ready: true }] }));
  const shared = new FluxGraph();
  return { helm, sets, stores: [new KindStore(helm, shared), new KindStore(sets, shared)] };
}

const states = (update: GraphUpdate | undefined) => update?.nodes.map((n) => [n.id, n.state, n.reason ?? "", n.ghost ?? false]);

describe("storeFeed", () => {
  it("snapshots every kind the one graph holds, with ghosts for missing dependencies", () => {
    const { helm, stores } = cluster();
    helm.put(release("default/web", { dependsOn: ["redsi"] }));
    const snapshot = storeFeed(stores).snapshot();
    const byId = new Map(snapshot.nodes.map((n) => [n.id, n]));
    expect([...byId.keys()].sort()).toEqual([
      "HelmRelease/default/backend",
      "HelmRelease/default/other",
      "HelmRelease/default/redis",
      "HelmRelease/default/redsi",
      "HelmRelease/default/web",
      "ResourceSet/apps/platform",
    ]);
    expect(byId.get("HelmRelease/default/backend")).toMatchObject({ state: "blocked", reason: "Failed", rootCause: "HelmRelease/default/redis" });
    // A ResourceSet's gate names its root cause in another kind.
    expect(byId.get("ResourceSet/apps/platform")).toMatchObject({ state: "blocked", rootCause: "HelmRelease/default/redis", dependencies: ["HelmRelease/default/backend"] });
    expect(byId.get("HelmRelease/default/redsi")).toMatchObject({ ghost: true, state: "missing" });
    expect(snapshot.source).toBe("cluster");
  });

  it("sends each batch's changed gates, across kinds, as the stores announce them", () => {
    const { helm, stores } = cluster();
    const feed = storeFeed(stores);
    const updates: GraphUpdate[] = [];
    feed.subscribe((update) => updates.push(update));
    const before = feed.revision!();
    helm.put(release("default/redis", { status: "ready" }));
    // One update per kind whose gates moved: the HelmReleases first, then the ResourceSet.
    expect(updates.map(states)).toEqual([
      [
        ["HelmRelease/default/redis", "open", "", false],
        ["HelmRelease/default/backend", "open", "", false],
      ],
      [["ResourceSet/apps/platform", "blocked", "NotReady", false]],
    ]);
    expect(feed.revision!()).toBeGreaterThan(before);
    // An object that changes without moving any gate is still sent (its conditions changed).
    helm.put(release("default/other", { status: "progressing" }));
    expect(updates.at(-1)).toMatchObject({ nodes: [{ id: "HelmRelease/default/other", health: "progressing" }], removed: [] });
  });

  it("sends a new missing dependency as a ghost, and a deleted object that others still name as one", () => {
    const { helm, stores } = cluster();
    const updates: GraphUpdate[] = [];
    storeFeed(stores).subscribe((update) => updates.push(update));
    helm.put(release("default/backend", { dependsOn: ["redis", "cache"], status: "progressing" }));
    expect(states(updates[0])).toEqual([
      ["HelmRelease/default/backend", "blocked", "Missing", false],
      ["HelmRelease/default/cache", "missing", "", true],
    ]);
    updates.length = 0;
    helm.remove("default/backend");
    const helmUpdate = updates[0]!;
    expect(helmUpdate.removed).toEqual(["HelmRelease/default/backend"]);
    expect(states(helmUpdate)).toContainEqual(["HelmRelease/default/backend", "missing", "", true]);
    expect(states(updates[1])).toEqual([
      ["ResourceSet/apps/platform", "blocked", "Missing", false],
      ["HelmRelease/default/backend", "missing", "", true],
    ]);
    // Nobody names "other": deleted, it is just gone.
    updates.length = 0;
    helm.remove("default/other");
    expect(updates).toEqual([{ nodes: [], removed: ["HelmRelease/default/other"] }]);
  });

  it("builds nothing while nobody listens, yet its revision follows the graph", () => {
    const { helm, stores } = cluster();
    const feed = storeFeed(stores);
    const updates: GraphUpdate[] = [];
    const unsubscribe = feed.subscribe((update) => updates.push(update));
    unsubscribe();
    const before = feed.revision!();
    helm.put(release("default/redis", { status: "ready" }));
    expect(updates).toEqual([]);
    expect(feed.revision!()).not.toBe(before);
    expect(feed.snapshot().nodes.find((n) => n.id === "HelmRelease/default/backend")?.state).toBe("open");
  });

  it("sends the page the summaries of the snapshot it builds, compact, the same text while the graph holds", () => {
    const { helm, stores } = cluster();
    const feed = storeFeed(stores);
    const sorted = <T extends { id: string }>(nodes: T[]) => [...nodes].sort((a, b) => a.id.localeCompare(b.id));
    const same = () => {
      const compact = JSON.parse(feed.pageJson!()) as CompactSnapshot;
      const built = feed.snapshot();
      expect(sorted(decodeSnapshot(compact))).toEqual(sorted(built.nodes.map(summaryOfNode)));
      expect([compact.source, compact.revision]).toEqual(["cluster", feed.revision!()]);
      // No words: the side panel asks for them (node()).
      expect(feed.pageJson!()).not.toContain("DependencyNotReady");
    };
    same();
    helm.put(release("default/redis", { status: "ready" }));
    same();
    helm.put(release("default/backend", { dependsOn: ["redis", "cache"], status: "progressing" }));
    same();
    helm.remove("default/other");
    same();
    // Unchanged graph: the very same text.
    expect(feed.pageJson!()).toBe(feed.pageJson!());
  });

  it("sends the same summaries as the words it builds, on random graphs across kinds", () => {
    fc.assert(
      fc.property(arbitraryGraph(), (objects) => {
        const caches = new Map<FluxKind, FakeCache>();
        const shared = new FluxGraph();
        const stores: KindStore[] = [];
        for (const object of objects) {
          let cache = caches.get(object.kind);
          if (cache === undefined) {
            caches.set(object.kind, (cache = new FakeCache(object.kind)));
            stores.push(new KindStore(cache, shared));
          }
          cache.put(object);
        }
        const feed = storeFeed(stores);
        const sorted = <T extends { id: string }>(nodes: T[]) => [...nodes].sort((a, b) => a.id.localeCompare(b.id));
        expect(sorted(decodeSnapshot(JSON.parse(feed.pageJson!()) as CompactSnapshot))).toEqual(sorted(feed.snapshot().nodes.map(summaryOfNode)));
        for (const node of feed.snapshot().nodes) expect(feed.node!(node.id)).toEqual(node);
      }),
      { numRuns: 100 },
    );
  });

  it("gives one node's words on demand, its path walked and bounded, a ghost's too, nothing for an unknown id", () => {
    const helm = new FakeCache("HelmRelease");
    for (let i = 0; i < 3000; i++) helm.put(release(`chain/app-${i}`, { dependsOn: i === 0 ? [] : [`app-${i - 1}`], status: i === 0 ? "failed" : "progressing" }));
    helm.put(release("chain/web", { dependsOn: ["gone"] }));
    const feed = storeFeed([new KindStore(helm, new FluxGraph())]);
    const last = feed.node!("HelmRelease/chain/app-2999")!;
    // The first six hops and the last six, 2,987 left out between them: "… 2987 more …".
    const hop = (i: number) => `HelmRelease/chain/app-${i}`;
    expect(last.path).toEqual([2998, 2997, 2996, 2995, 2994, 2993, 5, 4, 3, 2, 1, 0].map(hop));
    expect([last.pathOmitted, last.pathOmittedAt]).toEqual([2987, 6]);
    expect(last.message).toBe(
      "blocked by chain/app-0 via chain/app-2998 → chain/app-2997 → chain/app-2996 → chain/app-2995 → chain/app-2994 → chain/app-2993 → … 2987 more … → chain/app-5 → chain/app-4 → chain/app-3 → chain/app-2 → chain/app-1: install retries exhausted",
    );
    expect(last.conditions.map((c) => c.reason)).toContain("Progressing");
    expect(feed.node!("HelmRelease/chain/gone")).toMatchObject({ ghost: true, state: "missing" });
    expect(feed.node!("HelmRelease/chain/nothing")).toBeUndefined();
    // The page's snapshot stays small whatever the depth: no path, no message per node.
    expect(feed.pageJson!().length).toBeLessThan(3001 * 60);
  });
});
