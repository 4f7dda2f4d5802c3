// The sandbox against the real @kubernetes/client-node: CRUD, optimistic concurrency, selectors and
// chunking, the /status subresource, generation, dry-run, finalizers, namespace termination and version
// conversion, each compared with what the Kubernetes API documentation says the API server does.
import { ApiException, CoordinationV1Api, CoreV1Api, CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../src/sandbox/index.js";
import { startSandbox } from "../src/sandbox/index.js";

type Obj = Record<string, unknown> & { metadata: Record<string, unknown>; spec?: Record<string, unknown>; status?: Record<string, unknown> };

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };

function helmRelease(name: string, namespace = "default", extra: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace, ...(extra.metadata as object) },
    spec: { interval: "10m", chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "bitnami" } } }, ...(extra.spec as object) },
  };
}

/** The Kubernetes Status of a failed call. */
function statusOf(err: unknown): { code: number; reason: string; message: string; details?: Record<string, unknown> } {
  if (!(err instanceof ApiException)) throw err;
  const body = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
  return body as { code: number; reason: string; message: string };
}

async function failure(promise: Promise<unknown>): Promise<ReturnType<typeof statusOf>> {
  try {
    await promise;
  } catch (err) {
    return statusOf(err);
  }
  throw new Error("expected the call to fail");
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let sandbox: Sandbox;
let custom: CustomObjectsApi;
let core: CoreV1Api;

beforeAll(async () => {
  sandbox = await startSandbox();
  custom = sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
  core = sandbox.kubeConfig().makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await sandbox.close();
});

describe("custom resources through CustomObjectsApi", () => {
  it("creates with uid, creationTimestamp, resourceVersion and generation 1, and gets it back", async () => {
    const created = (await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("backend") })) as Obj;
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.metadata.generation).toBe(1);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    const got = (await custom.getNamespacedCustomObject({ ...HR, namespace: "default", name: "backend" })) as Obj;
    expect(got.metadata.uid).toBe(created.metadata.uid);
    expect(got.spec).toEqual(created.spec);
  });

  it("answers a missing object with 404 NotFound in kube-apiserver's words", async () => {
    const status = await failure(custom.getNamespacedCustomObject({ ...HR, namespace: "default", name: "nope" }));
    expect(status).toMatchObject({ code: 404, reason: "NotFound", message: 'helmreleases.helm.toolkit.fluxcd.io "nope" not found' });
  });

  it("refuses a second create with 409 AlreadyExists", async () => {
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("dup") });
    const status = await failure(custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("dup") }));
    expect(status).toMatchObject({ code: 409, reason: "AlreadyExists", message: 'helmreleases.helm.toolkit.fluxcd.io "dup" already exists' });
  });

  it("generates a name from generateName", async () => {
    const body = helmRelease("web");
    body.metadata = { generateName: "web-", namespace: "default" };
    const created = (await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body })) as Obj;
    expect(created.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it("rejects an invalid name with 422 Invalid and a cause naming the field", async () => {
    const status = await failure(custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("Bad_Name") }));
    expect(status.code).toBe(422);
    expect(status.reason).toBe("Invalid");
    expect(status.message).toContain('HelmRelease.helm.toolkit.fluxcd.io "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"');
    expect(status.details?.causes).toEqual([expect.objectContaining({ field: "metadata.name", reason: "FieldValueInvalid" })]);
  });

  it("refuses to create in a namespace that does not exist (404 for the namespace)", async () => {
    const status = await failure(custom.createNamespacedCustomObject({ ...HR, namespace: "ghost", body: helmRelease("x", "ghost") }));
    expect(status).toMatchObject({ code: 404, reason: "NotFound", message: 'namespaces "ghost" not found' });
  });

  it("updates with optimistic concurrency: a stale resourceVersion is 409 Conflict", async () => {
    const created = (await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("occ") })) as Obj;
    const first = structuredClone(created);
    (first.spec as Record<string, unknown>).interval = "5m";
    const updated = (await custom.replaceNamespacedCustomObject({ ...HR, namespace: "default", name: "occ", body: first })) as Obj;
    expect(updated.metadata.generation).toBe(2);
    expect(updated.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    const stale = structuredClone(created);
    (stale.spec as Record<string, unknown>).interval = "1m";
    const status = await failure(custom.replaceNamespacedCustomObject({ ...HR, namespace: "default", name: "occ", body: stale }));
    expect(status).toMatchObject({
      code: 409,
      reason: "Conflict",
      message: 'Operation cannot be fulfilled on helmreleases.helm.toolkit.fluxcd.io "occ": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it("requires metadata.resourceVersion on a custom resource update", async () => {
    const body = helmRelease("occ");
    const status = await failure(custom.replaceNamespacedCustomObject({ ...HR, namespace: "default", name: "occ", body }));
    expect(status.code).toBe(422);
    expect(status.message).toContain("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
  });

  it("bumps generation on spec changes only, not on metadata or status changes", async () => {
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("gen") });
    const labelled = (await custom.patchNamespacedCustomObject(
      { ...HR, namespace: "default", name: "gen", body: { metadata: { labels: { team: "a" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as Obj;
    expect(labelled.metadata.generation).toBe(1);
    const status = (await custom.patchNamespacedCustomObjectStatus(
      { ...HR, namespace: "default", name: "gen", body: { status: { observedGeneration: 1, conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "ok", lastTransitionTime: new Date().toISOString() }] } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as Obj;
    expect(status.metadata.generation).toBe(1);
    expect(status.status?.observedGeneration).toBe(1);
    const spec = (await custom.patchNamespacedCustomObject(
      { ...HR, namespace: "default", name: "gen", body: [{ op: "add", path: "/spec/suspend", value: true }] },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    )) as Obj;
    expect(spec.metadata.generation).toBe(2);
    expect(spec.status?.observedGeneration).toBe(1);
  });

  it("keeps status out of main-resource writes and spec out of /status writes", async () => {
    const body = helmRelease("split");
    body.status = { observedGeneration: 7 };
    const created = (await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body })) as Obj;
    // The status sent is dropped; what shows is the schema's default for status, applied on read.
    expect(created.status).toEqual({ observedGeneration: -1 });
    const viaMain = (await custom.patchNamespacedCustomObject(
      { ...HR, namespace: "default", name: "split", body: { status: { observedGeneration: 3 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as Obj;
    expect(viaMain.status).toEqual({ observedGeneration: -1 });
    const viaStatus = (await custom.patchNamespacedCustomObjectStatus(
      { ...HR, namespace: "default", name: "split", body: { spec: { interval: "1s" }, status: { observedGeneration: 3 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as Obj;
    expect(viaStatus.status).toEqual({ observedGeneration: 3 });
    expect(viaStatus.spec?.interval).toBe("10m");
  });

  it("refuses strategic merge patch for a custom resource (415), as kube-apiserver does", async () => {
    const status = await failure(
      custom.patchNamespacedCustomObject(
        { ...HR, namespace: "default", name: "backend", body: { spec: { suspend: true } } },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(status.code).toBe(415);
    expect(status.message).toContain("application/merge-patch+json");
  });

  it("serves one stored object in every version: a v2 object read as v2beta2", async () => {
    const v2beta2 = (await custom.getNamespacedCustomObject({ ...HR, version: "v2beta2", namespace: "default", name: "backend" })) as Obj;
    expect(v2beta2.apiVersion).toBe("helm.toolkit.fluxcd.io/v2beta2");
    // The v2beta2 schema's defaults show on read, as kube-apiserver applies them when reading from storage.
    expect(v2beta2.spec?.chart).toEqual({ spec: { chart: "backend", sourceRef: { kind: "HelmRepository", name: "bitnami" }, reconcileStrategy: "ChartVersion", version: "*" } });
    const list = (await custom.listClusterCustomObject({ ...HR, version: "v2beta1" })) as { apiVersion: string; items: Obj[] };
    expect(list.apiVersion).toBe("helm.toolkit.fluxcd.io/v2beta1");
    expect(list.items.every((i) => i.apiVersion === "helm.toolkit.fluxcd.io/v2beta1")).toBe(true);
  });

  it("persists nothing on dryRun=All, yet validates and answers like the real request", async () => {
    const before = (await custom.listNamespacedCustomObject({ ...HR, namespace: "default" })) as { metadata: { resourceVersion: string } };
    const dry = (await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("dry"), dryRun: "All" })) as Obj;
    expect(dry.metadata.name).toBe("dry");
    expect(dry.metadata.uid).toBeDefined();
    await failure(custom.getNamespacedCustomObject({ ...HR, namespace: "default", name: "dry" }));
    const again = await failure(custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("backend"), dryRun: "All" }));
    expect(again.reason).toBe("AlreadyExists");
    await custom.patchNamespacedCustomObject(
      { ...HR, namespace: "default", name: "backend", body: { spec: { suspend: true } }, dryRun: "All" },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await custom.deleteNamespacedCustomObject({ ...HR, namespace: "default", name: "backend", dryRun: "All" });
    const got = (await custom.getNamespacedCustomObject({ ...HR, namespace: "default", name: "backend" })) as Obj;
    expect(got.spec?.suspend).toBeUndefined();
    const after = (await custom.listNamespacedCustomObject({ ...HR, namespace: "default" })) as { metadata: { resourceVersion: string } };
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});

describe("lists", () => {
  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: "lists" } } });
    for (const [name, tier] of [["a", "web"], ["b", "web"], ["c", "db"], ["d", "cache"], ["e", undefined]] as const) {
      const body = helmRelease(name, "lists");
      if (tier) body.metadata.labels = { tier };
      await custom.createNamespacedCustomObject({ ...HR, namespace: "lists", body });
    }
  });

  const names = (list: unknown): string[] => (list as { items: Obj[] }).items.map((i) => String(i.metadata.name));

  it("filters by label selector (=, !=, in, notin, exists, !key)", async () => {
    const list = (labelSelector: string) => custom.listNamespacedCustomObject({ ...HR, namespace: "lists", labelSelector });
    expect(names(await list("tier=web"))).toEqual(["a", "b"]);
    expect(names(await list("tier==db"))).toEqual(["c"]);
    expect(names(await list("tier!=web"))).toEqual(["c", "d", "e"]);
    expect(names(await list("tier in (db,cache)"))).toEqual(["c", "d"]);
    expect(names(await list("tier notin (web)"))).toEqual(["c", "d", "e"]);
    expect(names(await list("tier"))).toEqual(["a", "b", "c", "d"]);
    expect(names(await list("!tier"))).toEqual(["e"]);
  });

  it("filters by field selector on metadata.name and metadata.namespace, and refuses other fields", async () => {
    expect(names(await custom.listClusterCustomObject({ ...HR, fieldSelector: "metadata.namespace=lists,metadata.name!=a" }))).toEqual(["b", "c", "d", "e"]);
    expect(names(await custom.listNamespacedCustomObject({ ...HR, namespace: "lists", fieldSelector: "metadata.name=c" }))).toEqual(["c"]);
    const status = await failure(custom.listNamespacedCustomObject({ ...HR, namespace: "lists", fieldSelector: "spec.interval=10m" }));
    expect(status).toMatchObject({ code: 400, reason: "BadRequest" });
    expect(status.message).toContain("spec.interval");
  });

  it("rejects a malformed label selector with 400", async () => {
    const status = await failure(custom.listNamespacedCustomObject({ ...HR, namespace: "lists", labelSelector: "tier in web" }));
    expect(status).toMatchObject({ code: 400, reason: "BadRequest" });
  });

  it("pages with limit/continue over a consistent snapshot", async () => {
    const first = (await custom.listNamespacedCustomObject({ ...HR, namespace: "lists", limit: 2 })) as { items: Obj[]; metadata: { continue?: string; remainingItemCount?: number; resourceVersion: string } };
    expect(names(first)).toEqual(["a", "b"]);
    expect(first.metadata.remainingItemCount).toBe(3);
    // A change after the first page is not seen by the following pages (they are served at the first page's RV).
    await custom.createNamespacedCustomObject({ ...HR, namespace: "lists", body: helmRelease("bb", "lists") });
    await custom.deleteNamespacedCustomObject({ ...HR, namespace: "lists", name: "d" });
    const second = (await custom.listNamespacedCustomObject({ ...HR, namespace: "lists", limit: 2, _continue: first.metadata.continue })) as typeof first;
    expect(names(second)).toEqual(["c", "d"]);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const third = (await custom.listNamespacedCustomObject({ ...HR, namespace: "lists", limit: 2, _continue: second.metadata.continue })) as typeof first;
    expect(names(third)).toEqual(["e"]);
    expect(third.metadata.continue).toBeUndefined();
    const now = await custom.listNamespacedCustomObject({ ...HR, namespace: "lists" });
    expect(names(now)).toEqual(["a", "b", "bb", "c", "e"]);
  });

  it("answers 410 Expired for a continue token whose snapshot was compacted, with a token to go on", async () => {
    const first = (await custom.listNamespacedCustomObject({ ...HR, namespace: "lists", limit: 1 })) as { metadata: { continue: string } };
    await custom.patchNamespacedCustomObject(
      { ...HR, namespace: "lists", name: "e", body: { metadata: { labels: { touched: "yes" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    sandbox.faults.expireHistory();
    const status = await failure(custom.listNamespacedCustomObject({ ...HR, namespace: "lists", limit: 1, _continue: first.metadata.continue }));
    expect(status).toMatchObject({ code: 410, reason: "Expired" });
    expect(status.message).toContain("The provided continue parameter is too old");
    const metadata = (status as unknown as { metadata: { continue?: string } }).metadata;
    expect(metadata.continue).toBeTruthy();
    const rest = await custom.listNamespacedCustomObject({ ...HR, namespace: "lists", _continue: metadata.continue });
    expect(names(rest)).toEqual(["b", "bb", "c", "e"]);
  });

  it("serves resourceVersionMatch=Exact from history and 410 once it is gone", async () => {
    const at = (await custom.listNamespacedCustomObject({ ...HR, namespace: "lists" })) as { metadata: { resourceVersion: string } };
    await custom.deleteNamespacedCustomObject({ ...HR, namespace: "lists", name: "a" });
    const exact = await custom.listNamespacedCustomObject({ ...HR, namespace: "lists", resourceVersion: at.metadata.resourceVersion, resourceVersionMatch: "Exact" });
    expect(names(exact)).toContain("a");
    sandbox.faults.expireHistory();
    const status = await failure(custom.listNamespacedCustomObject({ ...HR, namespace: "lists", resourceVersion: at.metadata.resourceVersion, resourceVersionMatch: "Exact" }));
    expect(status).toMatchObject({ code: 410, reason: "Expired" });
    expect(status.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });
});

describe("finalizers and deletion", () => {
  it("keeps an object with finalizers until they are removed, with deletionTimestamp set and generation bumped", async () => {
    const body = helmRelease("held");
    body.metadata.finalizers = ["finalizers.fluxcd.io"];
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body });
    const marked = (await custom.deleteNamespacedCustomObject({ ...HR, namespace: "default", name: "held" })) as Obj;
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(marked.metadata.generation).toBe(2);
    const still = (await custom.getNamespacedCustomObject({ ...HR, namespace: "default", name: "held" })) as Obj;
    expect(still.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
    const added = await failure(
      custom.patchNamespacedCustomObject(
        { ...HR, namespace: "default", name: "held", body: { metadata: { finalizers: ["finalizers.fluxcd.io", "other.example.com/x"] } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
    expect(added.code).toBe(422);
    expect(added.message).toContain("no new finalizers can be added if the object is being deleted");
    await custom.patchNamespacedCustomObject(
      { ...HR, namespace: "default", name: "held", body: [{ op: "remove", path: "/metadata/finalizers" }] },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    const gone = await failure(custom.getNamespacedCustomObject({ ...HR, namespace: "default", name: "held" }));
    expect(gone.code).toBe(404);
  });

  it("checks delete preconditions", async () => {
    await custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease("pre") });
    const status = await failure(custom.deleteNamespacedCustomObject({ ...HR, namespace: "default", name: "pre", body: { preconditions: { uid: "not-the-uid" } } }));
    expect(status.code).toBe(409);
    expect(status.message).toContain("Precondition failed: UID in precondition: not-the-uid");
  });

  it("terminates a namespace: Terminating, its objects deleted (finalizers honoured), then gone", async () => {
    await core.createNamespace({ body: { metadata: { name: "doomed" } } });
    const ns = await core.readNamespace({ name: "doomed" });
    expect(ns.metadata?.labels?.["kubernetes.io/metadata.name"]).toBe("doomed");
    expect(ns.spec?.finalizers).toEqual(["kubernetes"]);
    expect(ns.status?.phase).toBe("Active");
    const held = helmRelease("held", "doomed");
    held.metadata.finalizers = ["finalizers.fluxcd.io"];
    await custom.createNamespacedCustomObject({ ...HR, namespace: "doomed", body: held });
    await custom.createNamespacedCustomObject({ ...HR, namespace: "doomed", body: helmRelease("free", "doomed") });
    await core.createNamespacedConfigMap({ namespace: "doomed", body: { metadata: { name: "cm" }, data: { a: "b" } } });

    const deleting = await core.deleteNamespace({ name: "doomed" });
    expect((deleting as { status?: { phase?: string } }).status?.phase).toBe("Terminating");
    const refused = await failure(core.createNamespacedConfigMap({ namespace: "doomed", body: { metadata: { name: "late" } } }));
    expect(refused).toMatchObject({ code: 403, reason: "Forbidden" });
    expect(refused.message).toBe('configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');

    await eventually(async () => {
      const list = (await custom.listNamespacedCustomObject({ ...HR, namespace: "doomed" })) as { items: Obj[] };
      return list.items.length === 1 && list.items[0]?.metadata.deletionTimestamp ? true : undefined;
    }, "the unheld objects to go and the held one to be marked");
    const cms = await core.listNamespacedConfigMap({ namespace: "doomed" });
    expect(cms.items).toEqual([]);
    const waiting = await core.readNamespace({ name: "doomed" });
    expect(waiting.status?.phase).toBe("Terminating");
    expect(waiting.status?.conditions?.find((c) => c.type === "NamespaceFinalizersRemaining")?.message).toContain("finalizers.fluxcd.io in 1 resource instances");

    await custom.patchNamespacedCustomObject(
      { ...HR, namespace: "doomed", name: "held", body: { metadata: { finalizers: null } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await eventually(async () => {
      try {
        await core.readNamespace({ name: "doomed" });
        return undefined;
      } catch (err) {
        return statusOf(err).code === 404 ? true : undefined;
      }
    }, "the namespace to go");
  });

  it("finalizes a stuck namespace through /finalize", async () => {
    await core.createNamespace({ body: { metadata: { name: "stuck" } } });
    const held = helmRelease("held", "stuck");
    held.metadata.finalizers = ["finalizers.fluxcd.io"];
    await custom.createNamespacedCustomObject({ ...HR, namespace: "stuck", body: held });
    await core.deleteNamespace({ name: "stuck" });
    const ns = await core.readNamespace({ name: "stuck" });
    expect(ns.status?.phase).toBe("Terminating");
    await core.replaceNamespaceFinalize({ name: "stuck", body: { ...ns, spec: { finalizers: [] } } });
    const gone = await failure(core.readNamespace({ name: "stuck" }));
    expect(gone.code).toBe(404);
  });

  it("refuses to delete the default namespace", async () => {
    const status = await failure(core.deleteNamespace({ name: "default" }));
    expect(status).toMatchObject({ code: 403, message: 'namespaces "default" is forbidden: this namespace may not be deleted' });
  });
});

describe("built-in kinds", () => {
  it("stores Secrets with stringData merged into base64 data", async () => {
    const secret = await core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "creds" }, stringData: { password: "hunter2" } } });
    expect(secret.data).toEqual({ password: Buffer.from("hunter2").toString("base64") });
    expect(secret.type).toBe("Opaque");
    expect((secret as { stringData?: unknown }).stringData).toBeUndefined();
  });

  it("strategic-merge-patches a ConfigMap and JSON-patches a Namespace", async () => {
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "settings", labels: { a: "1" } }, data: { x: "1", y: "2" } } });
    const patched = await core.patchNamespacedConfigMap(
      { namespace: "default", name: "settings", body: { metadata: { labels: { b: "2" } }, data: { y: null, z: "3" } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(patched.data).toEqual({ x: "1", z: "3" });
    expect(patched.metadata?.labels).toEqual({ a: "1", b: "2" });
  });

  it("does Leases with update conflicts, as leader election needs", async () => {
    const coordination = sandbox.kubeConfig().makeApiClient(CoordinationV1Api);
    const lease = await coordination.createNamespacedLease({
      namespace: "kube-system",
      body: { metadata: { name: "releasegate-leader" }, spec: { holderIdentity: "pod-a", leaseDurationSeconds: 15, renewTime: new Date() } },
    });
    expect(lease.spec?.holderIdentity).toBe("pod-a");
    const renewed = await coordination.replaceNamespacedLease({ namespace: "kube-system", name: "releasegate-leader", body: { ...lease, spec: { ...lease.spec, holderIdentity: "pod-a", renewTime: new Date() } } });
    const status = await failure(coordination.replaceNamespacedLease({ namespace: "kube-system", name: "releasegate-leader", body: { ...lease, spec: { ...lease.spec, holderIdentity: "pod-b" } } }));
    expect(status.reason).toBe("Conflict");
    const read = await coordination.readNamespacedLease({ namespace: "kube-system", name: "releasegate-leader" });
    expect(read.spec?.holderIdentity).toBe("pod-a");
    expect(read.metadata?.resourceVersion).toBe(renewed.metadata?.resourceVersion);
  });

  it("serves core Events also as events.k8s.io/v1, converting field names", async () => {
    await core.createNamespacedEvent({
      namespace: "default",
      body: {
        metadata: { name: "backend.1" },
        involvedObject: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "backend", namespace: "default" },
        reason: "GateOpened",
        message: "all dependencies are ready",
        type: "Normal",
        source: { component: "releasegate" },
        count: 1,
      },
    });
    const events = sandbox.kubeConfig().makeApiClient(EventsV1Api);
    const ev = await events.readNamespacedEvent({ namespace: "default", name: "backend.1" });
    expect(ev.note).toBe("all dependencies are ready");
    expect(ev.regarding?.name).toBe("backend");
    expect(ev.deprecatedCount).toBe(1);
    const selected = await core.listNamespacedEvent({ namespace: "default", fieldSelector: "involvedObject.name=backend,reason=GateOpened" });
    expect(selected.items.map((e) => e.metadata?.name)).toEqual(["backend.1"]);
  });
});
