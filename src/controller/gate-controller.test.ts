import { afterEach, describe, expect, it } from "vitest";
import type { EventSpec, RecordEventResult } from "../cluster/events.js";
import type { CacheChange, CacheListener } from "../cluster/object-cache.js";
import type { ReconcileRequestResult } from "../cluster/reconcile-request.js";
import { KindStore } from "../cluster/kind-store.js";
import { release } from "../graph/test-helpers.test-support.js";
import type { FluxKind, FluxObject, ObjectKey } from "../graph/types.js";
import { createMetrics } from "../metrics/metrics.js";
import { GateController } from "./gate-controller.js";
import type { GateCache } from "./gate-controller.js";

/** An in-memory stand-in for ObjectCache: tests push objects as the watch would. */
class FakeCache implements GateCache {
  readonly kind: FluxKind = "HelmRelease";
  readonly synced: Promise<void>;
  private syncedNow: boolean;
  private resolveSynced: () => void = () => undefined;
  private readonly objects = new Map<ObjectKey, FluxObject>();
  private readonly listeners = new Set<CacheListener>();
  constructor(syncedNow = true) {
    this.syncedNow = syncedNow;
    this.synced = syncedNow ? Promise.resolve() : new Promise((resolve) => (this.resolveSynced = resolve));
  }
  /** The first list is complete (as ObjectCache resolves `synced` after announcing it). */
  finishSync(): void {
    this.syncedNow = true;
    this.resolveSynced();
  }
  isSynced(): boolean {
    return this.syncedNow;
  }
  get(key: ObjectKey): FluxObject | undefined {
    return this.objects.get(key);
  }
  list(): FluxObject[] {
    return [...this.objects.values()];
  }
  subscribe(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  onWatchRestart(): () => void {
    return () => undefined;
  }
  put(object: FluxObject): void {
    const key = `${object.namespace}/${object.name}`;
    const previous = this.objects.get(key);
    this.objects.set(key, object);
    this.emit(previous ? { type: "upsert", key, object, previous } : { type: "upsert", key, object });
  }
  delete(key: ObjectKey): void {
    const previous = this.objects.get(key);
    if (!previous) return;
    this.objects.delete(key);
    this.emit({ type: "delete", key, previous });
  }
  private emit(change: CacheChange): void {
    for (const l of this.listeners) l(change);
  }
}

function waiting(key: string, dependsOn: string[], annotations?: Record<string, string>): FluxObject {
  const obj = release(key, { dependsOn, status: "none" });
  obj.status = {
    observedGeneration: 1,
    conditions: [{ type: "Ready", status: "False", reason: "DependencyNotReady", message: `dependency '${dependsOn[0]}' is not ready` }],
  };
  if (annotations) obj.annotations = annotations;
  return obj;
}

interface Setup {
  cache: FakeCache;
  controller: GateController;
  requests: Array<{ key: string; at: string }>;
  events: EventSpec[];
  leader: { value: boolean };
  metrics: ReturnType<typeof createMetrics>;
}

const controllers: GateController[] = [];
afterEach(() => {
  for (const c of controllers.splice(0)) c.stop();
});

function setup(options: { leader?: boolean; answer?: () => ReconcileRequestResult; syncedNow?: boolean; now?: () => number } = {}): Setup {
  const cache = new FakeCache(options.syncedNow ?? true);
  const requests: Setup["requests"] = [];
  const events: EventSpec[] = [];
  const leader = { value: options.leader ?? true };
  const metrics = createMetrics({ defaultMetrics: false });
  const controller = new GateController({
    stores: [new KindStore(cache)],
    requestReconcile: (_kind, key, now) => {
      requests.push({ key, at: now.toISOString() });
      const answer = options.answer?.() ?? { ok: true, requestedAt: now.toISOString() };
      // The API server applies the patch; the watch brings it back.
      if (answer.ok) {
        const obj = cache.get(key);
        if (obj) cache.put({ ...obj, annotations: { ...obj.annotations, "reconcile.fluxcd.io/requestedAt": answer.requestedAt } });
      }
      return Promise.resolve(answer);
    },
    recordEvent: (spec): Promise<RecordEventResult> => {
      events.push(spec);
      return Promise.resolve({ ok: true, namespace: spec.regarding.namespace, name: "e", count: 1, created: true });
    },
    isLeader: () => leader.value,
    metrics,
    retry: { initialMs: 5, maxMs: 20, attempts: 3 },
    ...(options.now ? { now: options.now } : {}),
  });
  controllers.push(controller);
  if (leader.value) controller.startedLeading();
  return { cache, controller, requests, events, leader, metrics };
}

async function metricValues(metrics: ReturnType<typeof createMetrics>, name: string) {
  return (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? [];
}

describe("GateController", () => {
  it("takes the first list in one load: each blocked object gets one Event and the metrics once synced", async () => {
    const s = setup({ syncedNow: false });
    s.cache.put(release("default/backend", { dependsOn: ["redis"], status: "none" }));
    s.cache.put(release("default/redis", { dependsOn: ["backend"], status: "none" }));
    s.cache.put(release("default/web", { dependsOn: ["ghost"], status: "none" }));
    s.cache.put(release("default/api", { status: "ready" }));
    expect((await metricValues(s.metrics, "releasegate_cache_synced"))[0]?.value).toBe(0);
    s.cache.finishSync();
    await s.cache.synced;
    const reasons = s.events.map((e) => `${e.regarding.name}:${e.reason}`).sort();
    expect(reasons).toEqual(["backend:DependencyCycle", "redis:DependencyCycle", "web:DependencyMissing"]);
    expect((await metricValues(s.metrics, "releasegate_cache_synced"))[0]?.value).toBe(1);
    expect((await metricValues(s.metrics, "releasegate_dependency_cycles"))[0]?.value).toBe(1);
    // After the load, changes flow one by one again.
    s.cache.put(release("default/ghost", { status: "ready" }));
    expect(s.controller.state("HelmRelease", "default/web")).toEqual({ state: "open" });
  });

  it("runs the failure scenario: blocked by the failed redis, then one request when redis is fixed", async () => {
    const s = setup();
    s.cache.put(release("default/redis", { status: "failed", message: "install retries exhausted" }));
    s.cache.put(waiting("default/backend", ["redis"]));
    expect(s.controller.state("HelmRelease", "default/backend")).toMatchObject({ reason: "Failed", rootCause: "HelmRelease/default/redis" });
    const blocked = s.events.find((e) => e.regarding.name === "backend");
    expect(blocked).toMatchObject({ reason: "DependencyBlocked", type: "Warning", note: "blocked by default/redis: install retries exhausted" });
    expect(await metricValues(s.metrics, "releasegate_release_blocked")).toEqual([
      { value: 1, labels: { kind: "HelmRelease", namespace: "default", name: "backend", reason: "Failed", root_cause: "default/redis" } },
    ]);

    s.cache.put(release("default/redis", { status: "ready" }));
    await s.controller.whenIdle();
    expect(s.requests.map((r) => r.key)).toEqual(["default/backend"]);
    expect(s.events.filter((e) => e.reason === "GateOpened").map((e) => e.regarding.name)).toEqual(["backend"]);
    expect(await metricValues(s.metrics, "releasegate_release_blocked")).toEqual([]);
    const latency = await metricValues(s.metrics, "releasegate_gate_open_latency_seconds");
    expect(latency.find((v) => (v as { metricName?: string }).metricName === "releasegate_gate_open_latency_seconds_count")?.value).toBe(1);
    const results = Object.fromEntries((await metricValues(s.metrics, "releasegate_reconcile_requests_total")).map((v) => [v.labels.result, v.value]));
    expect(results.requested).toBe(1);

    // Flux reconciles and the object changes again: no second request for the same opening.
    s.cache.put(release("default/backend", { dependsOn: ["redis"], status: "progressing" }));
    s.cache.put(waiting("default/backend", ["redis"], { "reconcile.fluxcd.io/requestedAt": s.requests[0]!.at }));
    await s.controller.whenIdle();
    expect(s.requests).toHaveLength(1);
  });

  it("does not record the same blocked state twice", () => {
    const s = setup();
    s.cache.put(release("default/redis", { status: "failed" }));
    s.cache.put(waiting("default/backend", ["redis"]));
    s.cache.put(waiting("default/backend", ["redis"], { unrelated: "change" }));
    expect(s.events.filter((e) => e.regarding.name === "backend")).toHaveLength(1);
  });

  it("sends the request when Flux reports DependencyNotReady only after the gate opened", async () => {
    const s = setup();
    s.cache.put(release("default/redis", { status: "progressing" }));
    s.cache.put(release("default/backend", { dependsOn: ["redis"], status: "progressing" }));
    s.cache.put(release("default/redis", { status: "ready" }));
    await s.controller.whenIdle();
    expect(s.requests).toEqual([]);
    s.cache.put(waiting("default/backend", ["redis"]));
    await s.controller.whenIdle();
    expect(s.requests.map((r) => r.key)).toEqual(["default/backend"]);
  });

  it("never asks a suspended object", async () => {
    const s = setup();
    s.cache.put(release("default/redis", { status: "progressing" }));
    s.cache.put({ ...waiting("default/backend", ["redis"]), suspend: true });
    s.cache.put(release("default/redis", { status: "ready" }));
    await s.controller.whenIdle();
    expect(s.requests).toEqual([]);
    const results = Object.fromEntries((await metricValues(s.metrics, "releasegate_reconcile_requests_total")).map((v) => [v.labels.result, v.value]));
    expect(results.skipped_suspended).toBe(1);
  });

  it("writes nothing as a standby, and on becoming leader sends what nobody sent", async () => {
    const s = setup({ leader: false });
    s.cache.put(release("default/redis", { status: "failed" }));
    s.cache.put(waiting("default/backend", ["redis"]));
    s.cache.put(release("default/cache", { status: "failed" }));
    s.cache.put(waiting("default/api", ["cache"]));
    s.cache.put(release("default/redis", { status: "ready" }));
    s.cache.put(release("default/cache", { status: "ready" }));
    // The old leader answered api's opening before it went away.
    s.cache.put(waiting("default/api", ["cache"], { "reconcile.fluxcd.io/requestedAt": "2024-01-01T00:00:00Z" }));
    await s.controller.whenIdle();
    expect(s.requests).toEqual([]);
    expect(s.events).toEqual([]);

    s.leader.value = true;
    s.controller.startedLeading();
    await s.controller.whenIdle();
    expect(s.requests.map((r) => r.key)).toEqual(["default/backend"]);
    // The latest Event of each object seen within the last lease duration.
    expect(s.events.map((e) => `${e.regarding.name} ${e.reason}`).sort()).toEqual(["api GateOpened", "backend GateOpened"]);
  });

  it("on taking the lease after a start, asks every open gate that still waits, once, with an Event saying why", async () => {
    const s = setup({ leader: false, syncedNow: false });
    s.cache.put(release("default/redis", { status: "ready" }));
    s.cache.put(waiting("default/backend", ["redis"]));
    // Not asked: a blocked gate, a suspended object, a request Flux has not handled yet, an object not waiting.
    s.cache.put(release("default/broken", { status: "failed" }));
    s.cache.put(waiting("default/worker", ["broken"]));
    s.cache.put({ ...waiting("default/paused", ["redis"]), suspend: true });
    s.cache.put(waiting("default/asked", ["redis"], { "reconcile.fluxcd.io/requestedAt": "2024-01-01T00:00:00Z" }));
    s.cache.put(release("default/web", { dependsOn: ["redis"], status: "ready" }));
    // Asked before and handled since: it waits again, so it is asked again.
    const handled = waiting("default/handled", ["redis"], { "reconcile.fluxcd.io/requestedAt": "2024-01-01T00:00:00Z" });
    handled.status = { ...handled.status, lastHandledReconcileAt: "2024-01-01T00:00:00Z" };
    s.cache.put(handled);
    s.cache.finishSync();
    await s.cache.synced;
    await s.controller.whenIdle();
    expect(s.requests).toEqual([]);

    s.leader.value = true;
    s.controller.startedLeading();
    await s.controller.whenIdle();
    expect(s.requests.map((r) => r.key).sort()).toEqual(["default/backend", "default/handled"]);
    const opened = s.events.filter((e) => e.reason === "GateOpened");
    expect(opened.map((e) => e.regarding.name).sort()).toEqual(["backend", "handled"]);
    expect(opened[0]?.note).toMatch(/^dependencies were already Ready when releasegate started/);
    const results = Object.fromEntries((await metricValues(s.metrics, "releasegate_reconcile_requests_total")).map((v) => [v.labels.result, v.value]));
    expect(results.requested).toBe(2);
    // The gate did not open now: no latency is made up.
    const latency = await metricValues(s.metrics, "releasegate_gate_open_latency_seconds");
    expect(latency.find((v) => (v as { metricName?: string }).metricName === "releasegate_gate_open_latency_seconds_count")?.value).toBe(0);

    // Flux has not handled the request yet: another status write does not ask again.
    s.cache.put(waiting("default/backend", ["redis"], { "reconcile.fluxcd.io/requestedAt": s.requests[0]!.at, unrelated: "change" }));
    await s.controller.whenIdle();
    expect(s.requests).toHaveLength(2);
  });

  it("asks once the cache syncs when the lease was taken first", async () => {
    const s = setup({ syncedNow: false });
    s.cache.put(release("default/redis", { status: "ready" }));
    s.cache.put(waiting("default/backend", ["redis"]));
    await s.controller.whenIdle();
    expect(s.requests).toEqual([]);
    s.cache.finishSync();
    await s.cache.synced;
    await s.controller.whenIdle();
    expect(s.requests.map((r) => r.key)).toEqual(["default/backend"]);
  });

  it("stops writing when the lease is lost", async () => {
    const s = setup();
    s.cache.put(release("default/redis", { status: "failed" }));
    s.cache.put(waiting("default/backend", ["redis"]));
    s.leader.value = false;
    s.controller.stoppedLeading();
    s.cache.put(release("default/redis", { status: "ready" }));
    await s.controller.whenIdle();
    expect(s.requests).toEqual([]);
  });

  it("retries a failed request and counts an error after the last attempt", async () => {
    const s = setup({ answer: () => ({ ok: false, reason: "Error", status: 500, message: "etcd unavailable" }) });
    s.cache.put(release("default/redis", { status: "failed" }));
    s.cache.put(waiting("default/backend", ["redis"]));
    s.cache.put(release("default/redis", { status: "ready" }));
    await s.controller.whenIdle();
    expect(s.requests).toHaveLength(3);
    const results = Object.fromEntries((await metricValues(s.metrics, "releasegate_reconcile_requests_total")).map((v) => [v.labels.result, v.value]));
    expect(results.error).toBe(1);
  });

  it("reports a pre-existing cycle by Event and metric, and forgets it when broken", async () => {
    const s = setup();
    s.cache.put(release("default/backend", { dependsOn: ["redis"], status: "none" }));
    s.cache.put(release("default/redis", { dependsOn: ["backend"], status: "none" }));
    expect(s.events.filter((e) => e.reason === "DependencyCycle").map((e) => e.regarding.name).sort()).toEqual(["backend", "redis"]);
    // Each member's Event names the cycle from its root cause, the smallest member.
    const notes = Object.fromEntries(s.events.filter((e) => e.reason === "DependencyCycle").map((e) => [e.regarding.name, e.note]));
    expect(notes.backend).toContain("default/backend → default/redis → default/backend");
    expect(notes.redis).toContain("default/backend → default/redis → default/backend");
    expect((await metricValues(s.metrics, "releasegate_dependency_cycles"))[0]?.value).toBe(1);
    s.cache.put(release("default/redis", { status: "none" }));
    expect((await metricValues(s.metrics, "releasegate_dependency_cycles"))[0]?.value).toBe(0);
  });

  it("removes the series of a deleted object", async () => {
    const s = setup();
    s.cache.put(waiting("default/backend", ["redsi"]));
    expect(s.events[0]).toMatchObject({ reason: "DependencyMissing", type: "Warning" });
    expect((await metricValues(s.metrics, "releasegate_release_blocked"))[0]?.labels).toMatchObject({ reason: "Missing", root_cause: "default/redsi" });
    s.cache.delete("default/backend");
    expect(await metricValues(s.metrics, "releasegate_release_blocked")).toEqual([]);
    expect(await metricValues(s.metrics, "releasegate_release_blocked_seconds")).toEqual([]);
  });

  it("computes release_blocked_seconds at the moment of each scrape; a stopped controller's series go", async () => {
    const clock = { ms: 1_000_000 };
    const s = setup({ now: () => clock.ms });
    s.cache.put(waiting("default/backend", ["redsi"]));
    clock.ms += 42_000;
    expect(await metricValues(s.metrics, "releasegate_release_blocked_seconds")).toEqual([{ value: 42, labels: { kind: "HelmRelease", namespace: "default", name: "backend" } }]);
    clock.ms += 8_500;
    expect((await metricValues(s.metrics, "releasegate_release_blocked_seconds"))[0]?.value).toBe(50.5);
    s.controller.stop();
    expect(await metricValues(s.metrics, "releasegate_release_blocked_seconds")).toEqual([]);
  });
});
