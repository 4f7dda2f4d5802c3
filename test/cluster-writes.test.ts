// The cluster layer's writes against the sandbox API server: the Flux reconcile request (a merge patch
// of one annotation, nothing else touched) and Events (created once, then bumped as a series).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import { EventRecorder } from "../src/cluster/events.js";
import { RECONCILE_REQUEST_ANNOTATION, requestReconcile } from "../src/cluster/reconcile-request.js";
import { startSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/index.js";

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };

type Json = Record<string, unknown> & { metadata: Record<string, unknown> & { annotations?: Record<string, string> } };

let sandbox: Sandbox;
let kc: KubeConfig;
let api: CustomObjectsApi;

beforeAll(async () => {
  sandbox = await startSandbox();
  kc = sandbox.kubeConfig();
  api = kc.makeApiClient(CustomObjectsApi);
  await api.createNamespacedCustomObject({
    ...HR,
    namespace: "default",
    body: {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: "backend", namespace: "default", labels: { app: "backend" }, annotations: { team: "payments" } },
      spec: {
        interval: "5m",
        chart: { spec: { chart: "backend", sourceRef: { kind: "HelmRepository", name: "charts" } } },
        dependsOn: [{ name: "redis" }],
        values: { replicas: 3 },
      },
    },
  });
  await api.patchNamespacedCustomObjectStatus(
    {
      ...HR,
      namespace: "default",
      name: "backend",
      body: { status: { observedGeneration: 1, conditions: [{ type: "Ready", status: "False", reason: "DependencyNotReady", message: "dependency 'default/redis' is not ready", lastTransitionTime: new Date().toISOString() }] } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
});

afterAll(async () => {
  await sandbox.close();
});

async function getBackend(): Promise<Json> {
  return (await api.getNamespacedCustomObject({ ...HR, namespace: "default", name: "backend" })) as Json;
}

/** The object without the fields a write is expected to change. */
function withoutWriteFields(o: Json): unknown {
  const { resourceVersion: _rv, managedFields: _mf, annotations, ...metadata } = o.metadata;
  const { [RECONCILE_REQUEST_ANNOTATION]: _req, ...otherAnnotations } = annotations ?? {};
  return { ...o, metadata: { ...metadata, annotations: otherAnnotations } };
}

describe("requestReconcile", () => {
  it("sets reconcile.fluxcd.io/requestedAt and leaves everything else as it was", async () => {
    const before = await getBackend();
    const now = new Date("2025-03-04T05:06:07.089Z");
    const result = await requestReconcile(kc, "HelmRelease", "default/backend", now);
    expect(result).toEqual({ ok: true, requestedAt: "2025-03-04T05:06:07.089Z" });

    const after = await getBackend();
    expect(after.metadata.annotations?.[RECONCILE_REQUEST_ANNOTATION]).toBe("2025-03-04T05:06:07.089Z");
    expect(after.metadata.annotations?.team).toBe("payments");
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(withoutWriteFields(after)).toEqual(withoutWriteFields(before));

    const again = await requestReconcile(kc, "HelmRelease", "default/backend", new Date("2025-03-04T05:07:00Z"));
    expect(again.ok).toBe(true);
    expect((await getBackend()).metadata.annotations?.[RECONCILE_REQUEST_ANNOTATION]).toBe("2025-03-04T05:07:00.000Z");
  });

  it("reports a missing object as NotFound, without throwing", async () => {
    const result = await requestReconcile(kc, "HelmRelease", "default/nope", new Date());
    expect(result).toMatchObject({ ok: false, reason: "NotFound", status: 404 });
    if (!result.ok) expect(result.message).toContain("HelmRelease default/nope");
  });

  it("reports a malformed key as Invalid", async () => {
    expect(await requestReconcile(kc, "HelmRelease", "no-namespace", new Date())).toMatchObject({ ok: false, reason: "Invalid" });
  });
});

describe("EventRecorder", () => {
  interface WireEvent {
    metadata: { name: string; namespace: string };
    reason: string;
    note: string;
    type: string;
    action: string;
    reportingController: string;
    reportingInstance: string;
    regarding: { kind: string; name: string; namespace: string; uid?: string };
    series?: { count: number; lastObservedTime: string };
  }

  async function events(): Promise<WireEvent[]> {
    const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: "default" });
    // The typed client turns wire fields into its own classes; compare plain JSON.
    return (JSON.parse(JSON.stringify(list.items)) as WireEvent[]).filter((e) => e.regarding?.name === "backend");
  }

  it("creates an Event, then bumps its series for the same occurrence, and starts another for a new note", async () => {
    const backend = await getBackend();
    const uid = backend.metadata.uid as string;
    let clock = new Date("2025-01-01T00:00:00Z").getTime();
    const recorder = new EventRecorder(kc, { reportingInstance: "releasegate-0", now: () => new Date(clock) });
    const regarding = { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", namespace: "default", name: "backend", uid };
    const blocked = { regarding, type: "Warning" as const, reason: "DependencyBlocked", action: "GateCheck", note: "blocked by default/redis: install retries exhausted" };

    const first = await recorder.record(blocked);
    expect(first).toMatchObject({ ok: true, count: 1, created: true, namespace: "default" });
    let stored = await events();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      reason: "DependencyBlocked",
      type: "Warning",
      action: "GateCheck",
      note: blocked.note,
      reportingController: "releasegate",
      reportingInstance: "releasegate-0",
      regarding: { kind: "HelmRelease", name: "backend", namespace: "default", uid },
    });
    expect(stored[0]?.series).toBeUndefined();

    clock += 30_000;
    const second = await recorder.record(blocked);
    clock += 30_000;
    const third = await recorder.record(blocked);
    expect(second).toMatchObject({ ok: true, count: 2, created: false });
    expect(third).toMatchObject({ ok: true, count: 3, created: false });
    stored = await events();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.metadata.name).toBe(first.ok ? first.name : "");
    expect(stored[0]?.series?.count).toBe(3);
    expect(stored[0]?.series?.lastObservedTime).toBe("2025-01-01T00:01:00.000000Z");

    // A different note is a different Event (events.k8s.io/v1 never changes a note).
    clock += 1000;
    const other = await recorder.record({ ...blocked, note: "blocked by default/redis: not ready" });
    expect(other).toMatchObject({ ok: true, count: 1, created: true });
    expect(await events()).toHaveLength(2);

    // Long after the last occurrence (client-go: six minutes) the series is over: a new Event.
    clock += 10 * 60_000;
    const later = await recorder.record(blocked);
    expect(later).toMatchObject({ ok: true, count: 1, created: true });
    expect(await events()).toHaveLength(3);
  });

  it("records concurrent occurrences as one series, in order", async () => {
    const recorder = new EventRecorder(kc, { reportingInstance: "releasegate-1" });
    const spec = {
      regarding: { kind: "HelmRelease", namespace: "default", name: "backend" },
      type: "Normal" as const,
      reason: "GateOpened",
      action: "GateCheck",
      note: "all dependencies are ready",
    };
    const results = await Promise.all([recorder.record(spec), recorder.record(spec), recorder.record(spec)]);
    // The first is written at once; the two recorded while it was on the wire are one bump of the series.
    expect(results.map((r) => (r.ok ? r.count : 0))).toEqual([1, 3, 3]);
    const opened = (await events()).filter((e) => e.reason === "GateOpened");
    expect(opened).toHaveLength(1);
    expect(opened[0]?.series?.count).toBe(3);
  });

  it("reports a refused write instead of throwing", async () => {
    const recorder = new EventRecorder(kc, { reportingInstance: "releasegate-2" });
    const result = await recorder.record({
      regarding: { kind: "HelmRelease", namespace: "no-such-namespace", name: "x" },
      type: "Normal",
      reason: "GateOpened",
      action: "GateCheck",
      note: "n",
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain("GateOpened on HelmRelease no-such-namespace/x");
  });
});
