import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { FeedCache as GateCache } from "./gate-tracker-feed.js";
import type { CacheChange } from "../cluster/object-cache.js";
import { GateTracker } from "../graph/gates.js";
import { release } from "../graph/test-helpers.test-support.js";
import type { FluxObject } from "../graph/types.js";
import { controllerFeed, snapshotOfObjects } from "./gate-tracker-feed.js";
import type { GraphUpdate } from "./graph-snapshot.js";

describe("snapshotOfObjects", () => {
  it("gives each object its gate in the Events' words, the root cause and path as node ids, and ghosts", () => {
    const snapshot = snapshotOfObjects(
      [
        release("default/redis", { status: "failed", message: "install retries exhausted" }),
        release("default/backend", { dependsOn: ["redis"], status: "progressing" }),
        release("default/web", { dependsOn: ["backend", "redsi"] }),
        release("default/a", { dependsOn: ["b"] }),
        release("default/b", { dependsOn: ["a"] }),
      ],
      "files",
    );
    const byId = new Map(snapshot.nodes.map((n) => [n.id, n]));
    expect(byId.get("HelmRelease/default/backend")).toMatchObject({
      state: "blocked",
      reason: "Failed",
      rootCause: "HelmRelease/default/redis",
      path: ["HelmRelease/default/redis"],
      rootCauseMessage: "install retries exhausted",
      message: "blocked by default/redis: install retries exhausted",
      dependencies: ["HelmRelease/default/redis"],
    });
    expect(byId.get("HelmRelease/default/redis")).toMatchObject({ state: "open", health: "failed", message: "gate open: every dependency is Ready" });
    expect(byId.get("HelmRelease/default/redsi")).toMatchObject({ ghost: true, state: "missing", message: "HelmRelease default/redsi does not exist" });
    expect(byId.get("HelmRelease/default/web")).toMatchObject({ state: "blocked", reason: "Missing" });
    expect(byId.get("HelmRelease/default/a")).toMatchObject({ reason: "Cycle", cycle: true });
    expect(snapshot.nodes).toHaveLength(6);
  });
});

/** A cache as the controller sees one, fed by hand. */
class FakeCache implements GateCache {
  readonly kind = "HelmRelease" as const;
  readonly synced = Promise.resolve();
  private readonly objects = new Map<string, FluxObject>();
  private readonly emitter = new EventEmitter();
  isSynced = () => true;
  get = (key: string) => this.objects.get(key);
  list = () => [...this.objects.values()];
  subscribe(listener: (change: CacheChange) => void) {
    this.emitter.on("change", listener);
    return () => void this.emitter.off("change", listener);
  }
  onWatchRestart() {
    return () => undefined;
  }
  remove(key: string): void {
    const previous = this.objects.get(key)!;
    this.objects.delete(key);
    this.emitter.emit("change", { type: "delete", key, previous });
  }
  upsert(object: FluxObject): void {
    const key = `${object.namespace}/${object.name}`;
    const previous = this.objects.get(key);
    this.objects.set(key, object);
    this.emitter.emit("change", { type: "upsert", key, object, ...(previous ? { previous } : {}) });
  }
}

describe("controllerFeed", () => {
  it("sends the nodes downstream of a change whose gate changed, once the controller has handled it", async () => {
    const cache = new FakeCache();
    const tracker = new GateTracker();
    cache.subscribe((change) => (change.type === "upsert" ? tracker.upsert(change.object) : tracker.remove(`HelmRelease/${change.key}`)));
    cache.upsert(release("default/redis", { status: "failed", message: "boom" }));
    cache.upsert(release("default/backend", { dependsOn: ["redis"], status: "progressing" }));
    cache.upsert(release("default/web", { dependsOn: ["backend"], status: "progressing" }));
    cache.upsert(release("default/other", { status: "ready" }));
    const feed = controllerFeed([cache], { state: (kind, key) => tracker.state(`${kind}/${key}`) });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    // The first flush, after the cache synced, sends everything (nobody listens yet).
    await turn();
    await turn();
    expect(feed.snapshot().nodes.map((n) => n.id).sort()).toEqual(["HelmRelease/default/backend", "HelmRelease/default/other", "HelmRelease/default/redis", "HelmRelease/default/web"]);

    const updates: GraphUpdate[] = [];
    feed.subscribe((update) => updates.push(update));
    cache.upsert(release("default/redis", { status: "ready" }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates).toHaveLength(1);
    expect(updates[0]!.nodes.map((n) => [n.id, n.state])).toEqual([
      ["HelmRelease/default/redis", "open"],
      ["HelmRelease/default/backend", "open"],
      // Still blocked, now by backend (NotReady): its gate changed too. "other" is not downstream.
      ["HelmRelease/default/web", "blocked"],
    ]);
    cache.upsert(release("default/backend", { dependsOn: ["redis", "cache"], status: "progressing" }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates[1]!.removed).toEqual([]);
    expect(updates[1]!.nodes.map((n) => [n.id, n.state, n.reason, n.ghost ?? false])).toEqual([
      ["HelmRelease/default/backend", "blocked", "Missing", false],
      ["HelmRelease/default/cache", "missing", undefined, true],
      ["HelmRelease/default/web", "blocked", "Missing", false],
    ]);
    // Deleted: gone from the page, a ghost for whoever still names it.
    cache.remove("default/backend");
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates[2]!.removed).toEqual(["HelmRelease/default/backend"]);
    expect(updates[2]!.nodes.map((n) => [n.id, n.ghost ?? false])).toEqual([["HelmRelease/default/web", false], ["HelmRelease/default/backend", true]]);
  });

  it("keeps nothing and sends nothing while nobody listens", async () => {
    const cache = new FakeCache();
    const tracker = new GateTracker();
    cache.subscribe((change) => (change.type === "upsert" ? tracker.upsert(change.object) : tracker.remove(`HelmRelease/${change.key}`)));
    const feed = controllerFeed([cache], { state: (kind, key) => tracker.state(`${kind}/${key}`) });
    const updates: GraphUpdate[] = [];
    const unsubscribe = feed.subscribe((update) => updates.push(update));
    unsubscribe();
    cache.upsert(release("default/redis", { status: "ready" }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates).toEqual([]);
    expect(feed.snapshot().nodes.map((n) => n.id)).toEqual(["HelmRelease/default/redis"]);
  });
});
