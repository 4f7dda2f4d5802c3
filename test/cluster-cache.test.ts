// The HelmRelease cache against the sandbox API server, through the real client-node: list + watch
// across namespaces, change notifications only for what releasegate reads, no values retained, and
// no missed or duplicated notification across dropped watches, expired history (410) and restarts.
// A TCP relay between the cache and the sandbox holds the cache's connections while a test changes
// objects, so "changed while the watch was down" happens for certain, not by luck of timing.
import { createServer, connect } from "node:net";
import type { Server, Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { ObjectCache } from "../src/cluster/object-cache.js";
import type { CacheChange, WatchRestart } from "../src/cluster/object-cache.js";
import { discoverServedVersions } from "../src/cluster/resources.js";
import { startSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/index.js";

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** A TCP relay that can hold new connections (and cut open ones) to simulate a network outage. */
class Relay {
  private server!: Server;
  private held: Socket[] = [];
  private open = new Set<Socket>();
  private paused = false;
  port = 0;

  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      client.on("error", () => undefined);
      if (this.paused) this.held.push(client);
      else this.forward(client);
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }

  /** New connections wait until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const client of this.held.splice(0)) this.forward(client);
  }

  async close(): Promise<void> {
    for (const s of [...this.held, ...this.open]) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    const upstream = connect(this.target, "127.0.0.1");
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    this.open.add(client);
    client.on("close", () => this.open.delete(client));
    client.pipe(upstream).pipe(client);
  }
}

/** The same kubeconfig, pointed at the relay. */
function viaRelay(kc: KubeConfig, port: number): KubeConfig {
  const relayed = new KubeConfig();
  relayed.loadFromString(kc.exportConfig());
  const cluster = relayed.getCurrentCluster();
  if (!cluster) throw new Error("no cluster in kubeconfig");
  relayed.clusters = relayed.clusters.map((c) => (c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${port}` } : c));
  return relayed;
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function helmRelease(namespace: string, name: string, extra: { dependsOn?: unknown[]; values?: unknown } = {}): Record<string, unknown> {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace },
    spec: {
      interval: "5m",
      chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "charts" } } },
      ...(extra.dependsOn ? { dependsOn: extra.dependsOn } : {}),
      ...(extra.values ? { values: extra.values } : {}),
    },
  };
}

/** Test fixture: a sandbox, clients, a cache recording every change. */
interface World {
  sandbox: Sandbox;
  kc: KubeConfig;
  api: CustomObjectsApi;
  core: CoreV1Api;
}

async function world(): Promise<World> {
  const sandbox = await startSandbox();
  const kc = sandbox.kubeConfig();
  return { sandbox, kc, api: kc.makeApiClient(CustomObjectsApi), core: kc.makeApiClient(CoreV1Api) };
}

async function namespace(w: World, name: string): Promise<void> {
  await w.core.createNamespace({ body: { metadata: { name } } });
}

async function create(w: World, ns: string, name: string, extra?: Parameters<typeof helmRelease>[2]): Promise<void> {
  await w.api.createNamespacedCustomObject({ ...HR, namespace: ns, body: helmRelease(ns, name, extra) });
}

/** A complete status.history entry (every field the HelmRelease schema requires), as helm-controller writes it. */
const historyEntry = {
  name: "big",
  namespace: "team-a",
  version: 1,
  status: "deployed",
  chartName: "big",
  chartVersion: "1.2.3",
  configDigest: "sha256:0000000000000000000000000000000000000000000000000000000000000000",
  digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
  firstDeployed: "2026-01-01T00:00:00Z",
  lastDeployed: "2026-01-01T00:00:00Z",
};

async function setReady(w: World, ns: string, name: string, status: "True" | "False", reason: string): Promise<void> {
  await w.api.patchNamespacedCustomObjectStatus(
    { ...HR, namespace: ns, name, body: { status: { observedGeneration: 1, conditions: [{ type: "Ready", status, reason, message: reason, lastTransitionTime: new Date().toISOString() }] } } },
    mergePatch,
  );
}

async function remove(w: World, ns: string, name: string): Promise<void> {
  await w.api.deleteNamespacedCustomObject({ ...HR, namespace: ns, name });
}

/** Start a cache that records every change and restart. */
function recordingCache(kc: KubeConfig): { cache: ObjectCache; changes: CacheChange[]; restarts: WatchRestart[] } {
  const cache = new ObjectCache(kc, { kind: "HelmRelease", backoff: { initialMs: 50, maxMs: 500 } });
  const changes: CacheChange[] = [];
  const restarts: WatchRestart[] = [];
  cache.subscribe((c) => changes.push(c));
  cache.onWatchRestart((r) => restarts.push(r));
  return { cache, changes, restarts };
}

/**
 * Changes after `from`, once the sentinel object `ns/name` has arrived. Watch events come in order, so
 * anything a write before the sentinel caused has been seen by then: "nothing else" is a real check.
 */
async function changesUpTo(changes: CacheChange[], from: number, sentinelKey: string): Promise<string[]> {
  await until(`sentinel ${sentinelKey}`, () => changes.slice(from).some((c) => c.key === sentinelKey));
  return changes.slice(from).map((c) => `${c.type} ${c.key}`);
}

/** Delete every HelmRelease (test isolation, whatever the cache did). */
async function deleteAll(w: World): Promise<void> {
  const list = (await w.api.listClusterCustomObject(HR)) as { items: Array<{ metadata: { namespace: string; name: string } }> };
  for (const o of list.items) await remove(w, o.metadata.namespace, o.metadata.name);
}

/** The cache's keys and the server's, for an exact comparison. */
async function serverKeys(w: World): Promise<string[]> {
  const list = (await w.api.listClusterCustomObject(HR)) as { items: Array<{ metadata: { namespace: string; name: string } }> };
  return list.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
}

describe("ObjectCache against the sandbox", () => {
  let w: World;
  let cache: ObjectCache | undefined;

  beforeAll(async () => {
    w = await world();
    for (const ns of ["team-a", "team-b", "team-c"]) await namespace(w, ns);
  });
  afterEach(async () => {
    await cache?.stop();
    cache = undefined;
    await deleteAll(w);
  });
  afterAll(async () => {
    await w.sandbox.close();
  });

  it("discovers that the sandbox serves HelmRelease v2", async () => {
    const served = await discoverServedVersions(w.kc);
    expect(served.HelmRelease.version).toBe("v2");
    expect(served.HelmRelease.served).toEqual(expect.arrayContaining(["v2", "v2beta2", "v2beta1"]));
    expect(served.Kustomization.version).toBe("v1");
  });

  it("lists and watches HelmReleases in several namespaces, announcing upserts and deletes", async () => {
    await create(w, "team-a", "redis");
    await create(w, "team-b", "backend", { dependsOn: [{ name: "redis", namespace: "team-a" }] });
    const r = recordingCache(w.kc);
    cache = r.cache;
    expect(cache.isSynced()).toBe(false);
    cache.start();
    await cache.synced;
    expect(cache.isSynced()).toBe(true);
    expect(cache.size).toBe(2);
    expect(r.changes.map((c) => `${c.type} ${c.key}`).sort()).toEqual(["upsert team-a/redis", "upsert team-b/backend"]);
    expect(cache.get("team-b/backend")?.dependsOn).toEqual([{ name: "redis", namespace: "team-a" }]);

    await create(w, "team-c", "frontend", { dependsOn: [{ name: "backend", namespace: "team-b" }] });
    const added = await until("frontend", () => r.changes.find((c) => c.key === "team-c/frontend"));
    expect(added).toMatchObject({ type: "upsert", object: { name: "frontend", namespace: "team-c" } });
    expect(added?.previous).toBeUndefined();

    await remove(w, "team-a", "redis");
    const deleted = await until("redis deleted", () => r.changes.find((c) => c.type === "delete"));
    expect(deleted).toMatchObject({ key: "team-a/redis", previous: { name: "redis" } });
    expect(cache.get("team-a/redis")).toBeUndefined();
    expect(cache.list().map((o) => `${o.namespace}/${o.name}`).sort()).toEqual(await serverKeys(w));
  });

  it("announces status changes, not changes to fields it does not read, and keeps no values", async () => {
    const r = recordingCache(w.kc);
    cache = r.cache;
    cache.start();
    await cache.synced;
    await create(w, "team-a", "big", { values: { blob: "v".repeat(20 * 1024), list: Array.from({ length: 100 }, (_, i) => i) } });
    await until("big", () => cache?.get("team-a/big"));

    const cached = cache.get("team-a/big");
    expect(JSON.stringify(cached).length).toBeLessThan(1024);
    expect(JSON.stringify(cached)).not.toContain("vvvv");

    // Fields releasegate does not read: status.history and an unrelated status field, a huge
    // last-applied annotation. Then a sentinel: nothing may arrive for big before it.
    let from = r.changes.length;
    await w.api.patchNamespacedCustomObjectStatus(
      { ...HR, namespace: "team-a", name: "big", body: { status: { history: [historyEntry], lastAttemptedRevision: "1.2.3" } } },
      mergePatch,
    );
    await w.api.patchNamespacedCustomObject(
      { ...HR, namespace: "team-a", name: "big", body: { metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(30_000) } } } },
      mergePatch,
    );
    await create(w, "team-b", "sentinel-1");
    expect(await changesUpTo(r.changes, from, "team-b/sentinel-1")).toEqual(["upsert team-b/sentinel-1"]);

    // A status change releasegate reads (Ready) is announced once, with the previous state.
    from = r.changes.length;
    await setReady(w, "team-a", "big", "False", "InstallFailed");
    await create(w, "team-b", "sentinel-2");
    expect(await changesUpTo(r.changes, from, "team-b/sentinel-2")).toEqual(["upsert team-a/big", "upsert team-b/sentinel-2"]);
    const statusChange = r.changes[from];
    expect(statusChange?.previous?.status?.conditions).toBeUndefined();
    expect(statusChange?.object?.status?.conditions).toEqual([{ type: "Ready", status: "False", reason: "InstallFailed", message: "InstallFailed" }]);

    // A values change bumps metadata.generation, which releasegate does read (a dependency is ready only
    // when observedGeneration == generation): one upsert, differing only in generation, still no values.
    from = r.changes.length;
    await w.api.patchNamespacedCustomObject(
      { ...HR, namespace: "team-a", name: "big", body: { spec: { values: { blob: "w".repeat(20 * 1024) } } } },
      mergePatch,
    );
    await create(w, "team-b", "sentinel-3");
    expect(await changesUpTo(r.changes, from, "team-b/sentinel-3")).toEqual(["upsert team-a/big", "upsert team-b/sentinel-3"]);
    const valuesChange = r.changes[from];
    expect({ ...valuesChange?.object, generation: 0 }).toEqual({ ...valuesChange?.previous, generation: 0 });
    expect(valuesChange?.object?.generation).toBe((valuesChange?.previous?.generation ?? 0) + 1);
    expect(JSON.stringify(cache.get("team-a/big"))).not.toContain("www");
  });

  it("resumes after each routine server-side timeout without re-listing or repeating", async () => {
    const cache1 = new ObjectCache(w.kc, { kind: "HelmRelease", watchTimeoutSeconds: 1 });
    cache = cache1;
    const changes: CacheChange[] = [];
    const restarts: WatchRestart[] = [];
    cache1.subscribe((c) => changes.push(c));
    cache1.onWatchRestart((r) => restarts.push(r));
    cache1.start();
    await cache1.synced;
    await until("a timeout", () => restarts.length >= 1);
    await create(w, "team-a", "after-timeout");
    await until("a second timeout", () => restarts.length >= 2);
    await create(w, "team-b", "after-second-timeout");
    await until("second object", () => cache1.get("team-b/after-second-timeout"));
    expect(restarts.every((r) => r.reason === "timeout")).toBe(true);
    expect(changes.map((c) => `${c.type} ${c.key}`)).toEqual(["upsert team-a/after-timeout", "upsert team-b/after-second-timeout"]);
  });

  it("caches Kustomizations the same way", async () => {
    const KS = { group: "kustomize.toolkit.fluxcd.io", version: "v1", plural: "kustomizations" };
    const body = (name: string, dependsOn?: unknown[]) => ({
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name, namespace: "team-a" },
      spec: { interval: "10m", path: "./apps", prune: true, sourceRef: { kind: "GitRepository", name: "flux-system" }, ...(dependsOn ? { dependsOn } : {}) },
    });
    await w.api.createNamespacedCustomObject({ ...KS, namespace: "team-a", body: body("infra") });
    const ks = new ObjectCache(w.kc, { kind: "Kustomization" });
    cache = ks;
    ks.start();
    await ks.synced;
    expect(ks.list().map((o) => [o.kind, o.name])).toEqual([["Kustomization", "infra"]]);
    await w.api.createNamespacedCustomObject({ ...KS, namespace: "team-a", body: body("apps", [{ name: "infra" }]) });
    expect(await until("apps", () => ks.get("team-a/apps"))).toMatchObject({ kind: "Kustomization", dependsOn: [{ name: "infra" }] });
    for (const name of ["apps", "infra"]) await w.api.deleteNamespacedCustomObject({ ...KS, namespace: "team-a", name });
  });
});

describe("ObjectCache through outages", () => {
  let w: World;
  let relay: Relay;
  let cache: ObjectCache | undefined;

  beforeAll(async () => {
    w = await world();
    await namespace(w, "apps");
    await namespace(w, "infra");
    relay = new Relay(Number(new URL(w.sandbox.url).port));
    await relay.start();
  });
  afterEach(async () => {
    relay.resume();
    await cache?.stop();
    cache = undefined;
    await deleteAll(w);
  });
  afterAll(async () => {
    await relay.close();
    await w.sandbox.close();
  });

  /** Objects kept and changed and removed while the watch is down. */
  async function seedThree(): Promise<void> {
    await create(w, "apps", "keep");
    await create(w, "apps", "change");
    await create(w, "infra", "drop");
  }

  /** An object created now reaches the cache only through its watch: then the watch is up. */
  async function watchIsUp(c: ObjectCache): Promise<void> {
    await create(w, "apps", "ping");
    await until("ping through the watch", () => c.get("apps/ping"));
  }

  async function changeWhileDown(tag: string): Promise<void> {
    await create(w, "infra", `new-${tag}`);
    await setReady(w, "apps", "change", "True", `Ready_${tag}`);
    await remove(w, "infra", "drop");
  }

  it("survives dropped watches: resumes from its resourceVersion, nothing missed, nothing twice", async () => {
    await seedThree();
    const r = recordingCache(viaRelay(w.kc, relay.port));
    cache = r.cache;
    cache.start();
    await cache.synced;
    await watchIsUp(cache);
    const from = r.changes.length;

    relay.pause();
    w.sandbox.faults.dropWatches("end");
    await changeWhileDown("drop");
    relay.resume();

    await create(w, "apps", "sentinel");
    expect(await changesUpTo(r.changes, from, "apps/sentinel")).toEqual([
      "upsert infra/new-drop",
      "upsert apps/change",
      "delete infra/drop",
      "upsert apps/sentinel",
    ]);
    expect(r.restarts.map((x) => x.reason)).toEqual(["closed"]);
    expect(cache.watchRestarts).toBe(1);
    expect(cache.get("apps/change")?.status?.conditions?.[0]?.reason).toBe("Ready_drop");
    expect(cache.list().map((o) => `${o.namespace}/${o.name}`).sort()).toEqual(await serverKeys(w));
  });

  it("survives expired history: 410 Gone, re-list, and only the real differences announced", async () => {
    await seedThree();
    const r = recordingCache(viaRelay(w.kc, relay.port));
    cache = r.cache;
    cache.start();
    await cache.synced;
    await watchIsUp(cache);
    const from = r.changes.length;

    relay.pause();
    w.sandbox.faults.dropWatches("end");
    await changeWhileDown("expire");
    w.sandbox.faults.expireHistory();
    relay.resume();

    await create(w, "apps", "sentinel");
    const seen = await changesUpTo(r.changes, from, "apps/sentinel");
    // The re-list announces the differences at once, in list order (the sentinel may be among them,
    // when it was created before the list); "keep" is not announced again.
    expect(seen.sort()).toEqual(["delete infra/drop", "upsert apps/change", "upsert apps/sentinel", "upsert infra/new-expire"]);
    expect(r.restarts.map((x) => x.reason)).toEqual(["closed", "expired"]);
    expect(cache.list().map((o) => `${o.namespace}/${o.name}`).sort()).toEqual(await serverKeys(w));
  });

  it("survives a sandbox restart that keeps its state, without announcing anything twice", async () => {
    await seedThree();
    const r = recordingCache(w.kc);
    cache = r.cache;
    cache.start();
    await cache.synced;
    // The watch open: a restart while it is still being opened is retried inside the client (src/kube), unseen here.
    await watchIsUp(cache);
    const from = r.changes.length;

    await w.sandbox.restart({ keepState: true });
    await changeWhileDown("restart");
    await create(w, "apps", "sentinel");
    const seen = await changesUpTo(r.changes, from, "apps/sentinel");
    expect(seen.sort()).toEqual(["delete infra/drop", "upsert apps/change", "upsert apps/sentinel", "upsert infra/new-restart"]);
    expect(r.restarts.length).toBeGreaterThanOrEqual(1);
  });

  it("survives a sandbox restart that loses its state: every object is announced deleted", async () => {
    await seedThree();
    const r = recordingCache(w.kc);
    cache = r.cache;
    cache.start();
    await cache.synced;
    const from = r.changes.length;

    await w.sandbox.restart({ keepState: false });
    await until("all deleted", () => cache?.size === 0);
    expect(r.changes.slice(from).map((c) => `${c.type} ${c.key}`).sort()).toEqual(["delete apps/change", "delete apps/keep", "delete infra/drop"]);

    // The cache goes on watching the new, empty server.
    await namespace(w, "apps");
    await create(w, "apps", "after");
    await until("after", () => cache?.get("apps/after"));
    await namespace(w, "infra");
  });

  it("stop() before the first list rejects synced", async () => {
    relay.pause();
    const r = recordingCache(viaRelay(w.kc, relay.port));
    r.cache.start();
    await r.cache.stop();
    await expect(r.cache.synced).rejects.toThrow(/stopped before it synced/);
    expect(r.cache.isSynced()).toBe(false);
  });
});
