// The webhook's HTTP face, in-process with supertest: every row of the admission table of docs/behaviour.md for
// HelmRelease v2, v2beta2, v2beta1 (as sent) and Kustomization, the 400/503/413 answers, health
// endpoints and the admission metrics.
import request from "supertest";
import { describe, expect, it } from "vitest";
import { AdmissionGraphs } from "../src/admission/admission-graphs.js";
import type { ConfirmMissing } from "../src/cluster/missing-read.js";
import { KindStore } from "../src/cluster/kind-store.js";
import type { StoreSource as ObjectCacheLike } from "../src/cluster/kind-store.js";
import type { CacheChange } from "../src/cluster/object-cache.js";
import { createAdmissionApp } from "../src/admission/app.js";
import { PendingBatch } from "../src/admission/pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "../src/admission/policy.js";
import type { AdmissionPolicy } from "../src/admission/policy.js";
import { admissionReview, fluxManifest } from "../src/admission/review-builder.test-support.js";
import type { ManifestSpec, ReviewSpec } from "../src/admission/review-builder.test-support.js";
import { decodeFluxObject as toFluxObject } from "../src/flux/decode.js";
import type { FluxKind, FluxObject } from "../src/graph/types.js";
import { createMetrics } from "../src/metrics/metrics.js";

type Change = CacheChange;

/** An ObjectCache stand-in: the objects a synced cache would hold. */
class FakeCache implements ObjectCacheLike {
  syncedNow = true;
  private readonly objects = new Map<string, FluxObject>();
  private readonly listeners = new Set<(change: Change) => void>();
  constructor(readonly kind: FluxKind) {}
  isSynced(): boolean {
    return this.syncedNow;
  }
  list(): FluxObject[] {
    return [...this.objects.values()];
  }
  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  put(spec: ManifestSpec): void {
    const object = toFluxObject(this.kind, fluxManifest({ ...spec, kind: this.kind }));
    const key = `${object.namespace}/${object.name}`;
    this.objects.set(key, object);
    for (const l of this.listeners) l({ type: "upsert", key, object });
  }
}

interface Setup {
  app: ReturnType<typeof createAdmissionApp>;
  caches: Record<FluxKind, FakeCache>;
  pending: PendingBatch;
  metrics: ReturnType<typeof createMetrics>;
}

function setup(
  options: { policy?: Partial<AdmissionPolicy>; tlsLoaded?: boolean; namespaceTerminating?: (ns: string) => boolean; confirmMissing?: ConfirmMissing } = {},
): Setup {
  const caches = { HelmRelease: new FakeCache("HelmRelease"), Kustomization: new FakeCache("Kustomization"), ResourceSet: new FakeCache("ResourceSet") };
  const pending = new PendingBatch();
  const metrics = createMetrics({ defaultMetrics: false });
  const app = createAdmissionApp({
    graphs: new AdmissionGraphs([new KindStore(caches.HelmRelease), new KindStore(caches.Kustomization)]),
    pending,
    policy: { ...DEFAULT_ADMISSION_POLICY, ...options.policy },
    metrics,
    cacheLagMs: options.confirmMissing === undefined ? 0 : 1000,
    ...(options.confirmMissing ? { confirmMissing: options.confirmMissing } : {}),
    tlsLoaded: () => options.tlsLoaded ?? true,
    ...(options.namespaceTerminating ? { namespaceTerminating: options.namespaceTerminating } : {}),
  });
  return { app, caches, pending, metrics };
}

interface Answer {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

async function review(s: Setup, spec: ReviewSpec): Promise<Answer> {
  const body = admissionReview(spec);
  const res = await request(s.app).post("/validate").send(body).expect(200).expect("content-type", /json/);
  expect(res.body.apiVersion).toBe("admission.k8s.io/v1");
  expect(res.body.kind).toBe("AdmissionReview");
  const answer = res.body.response as Answer;
  expect(answer.uid).toBe((body.request as { uid: string }).uid);
  for (const w of answer.warnings ?? []) expect(w.length).toBeLessThanOrEqual(120);
  expect((answer.warnings ?? []).length).toBeLessThanOrEqual(5);
  return answer;
}

const VARIANTS: { kind: FluxKind; version: string }[] = [
  { kind: "HelmRelease", version: "v2" },
  { kind: "HelmRelease", version: "v2beta2" },
  { kind: "HelmRelease", version: "v2beta1" },
  { kind: "Kustomization", version: "v1" },
  { kind: "Kustomization", version: "v1beta2" },
];

describe.each(VARIANTS)("admission of $kind $version", ({ kind, version }) => {
  const m = (spec: ManifestSpec): ManifestSpec => ({ kind, version, ...spec });

  it("allows a CREATE whose dependencies exist", async () => {
    const s = setup();
    s.caches[kind].put({ name: "redis" });
    expect(await review(s, { operation: "CREATE", object: m({ name: "backend", dependsOn: [{ name: "redis" }] }) })).toMatchObject({ allowed: true });
  });

  it("denies a self-dependency", async () => {
    const s = setup();
    const answer = await review(s, { operation: "CREATE", object: m({ name: "backend", dependsOn: [{ name: "backend" }] }) });
    expect(answer.allowed).toBe(false);
    expect(answer.status).toMatchObject({ code: 403, reason: "Forbidden" });
    expect(answer.status?.message).toMatch(/^default\/backend depends on itself/);
  });

  it("denies a CREATE that closes a cycle, naming the whole path", async () => {
    const s = setup();
    s.caches[kind].put({ name: "backend", dependsOn: [{ name: "redis" }] });
    const answer = await review(s, { operation: "CREATE", object: m({ name: "redis", dependsOn: [{ name: "backend" }] }) });
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(/^dependency cycle default\/redis → default\/backend → default\/redis/);
  });

  it("denies a three-node cycle across namespaces", async () => {
    const s = setup();
    s.caches[kind].put({ name: "a", namespace: "one", dependsOn: [{ name: "b", namespace: "two" }] });
    s.caches[kind].put({ name: "b", namespace: "two", dependsOn: [{ name: "c", namespace: "three" }] });
    const answer = await review(s, { operation: "CREATE", object: m({ name: "c", namespace: "three", dependsOn: [{ name: "a", namespace: "one" }] }) });
    expect(answer.status?.message).toMatch(/^dependency cycle three\/c → one\/a → two\/b → three\/c/);
  });

  it("denies a `namespace/name` entry with the exact fix", async () => {
    const s = setup();
    const answer = await review(s, { operation: "CREATE", object: m({ name: "grafana", dependsOn: [{ name: "monitoring/prometheus" }] }) });
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toContain("use {name: prometheus, namespace: monitoring}");
  });

  it("denies a missing dependency with a did-you-mean", async () => {
    const s = setup();
    s.caches[kind].put({ name: "redis" });
    const answer = await review(s, { operation: "CREATE", object: m({ name: "backend", dependsOn: [{ name: "redsi" }] }) });
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(/default\/redsi does not exist \(did you mean default\/redis\?\)/);
  });

  it("allows a dry-run with a missing dependency, warns, and records it as pending", async () => {
    const s = setup();
    const answer = await review(s, { operation: "CREATE", dryRun: true, object: m({ name: "backend", dependsOn: [{ name: "redis" }] }) });
    expect(answer.allowed).toBe(true);
    expect(answer.warnings?.join("\n")).toMatch(/default\/redis does not exist/);
    expect(s.pending.get(kind, "default/backend")).toBeDefined();
  });

  it("denies a dry-run that closes a cycle (same answer as the real request)", async () => {
    const s = setup();
    s.caches[kind].put({ name: "backend", dependsOn: [{ name: "redis" }] });
    const answer = await review(s, { operation: "CREATE", dryRun: true, object: m({ name: "redis", dependsOn: [{ name: "backend" }] }) });
    expect(answer.allowed).toBe(false);
    expect(s.pending.get(kind, "default/redis")).toBeUndefined();
  });

  it("allows an UPDATE that keeps dependsOn as a set, even on an object already in a cycle", async () => {
    const s = setup();
    s.caches[kind].put({ name: "backend", dependsOn: [{ name: "redis" }] });
    s.caches[kind].put({ name: "redis", dependsOn: [{ name: "backend" }] });
    const answer = await review(s, {
      operation: "UPDATE",
      oldObject: m({ name: "backend", dependsOn: [{ name: "redis" }] }),
      // Finalizer added; the same dependency written with its namespace spelled out.
      object: m({ name: "backend", finalizers: ["finalizers.fluxcd.io"], dependsOn: [{ name: "redis", namespace: "default" }] }),
    });
    expect(answer.allowed).toBe(true);
    expect(answer.warnings?.[0]).toMatch(/dependency cycle default\/backend → default\/redis → default\/backend/);
  });

  it("denies an UPDATE whose new dependsOn entry closes a cycle", async () => {
    const s = setup();
    s.caches[kind].put({ name: "backend", dependsOn: [{ name: "redis" }] });
    s.caches[kind].put({ name: "redis" });
    const answer = await review(s, { operation: "UPDATE", oldObject: m({ name: "redis" }), object: m({ name: "redis", dependsOn: [{ name: "backend" }] }) });
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(/^dependency cycle default\/redis → default\/backend → default\/redis/);
  });

  it("allows an UPDATE adding a good entry to an object whose old entries are on a cycle, with a warning", async () => {
    const s = setup();
    s.caches[kind].put({ name: "backend", dependsOn: [{ name: "redis" }] });
    s.caches[kind].put({ name: "redis", dependsOn: [{ name: "backend" }] });
    s.caches[kind].put({ name: "config" });
    const answer = await review(s, {
      operation: "UPDATE",
      oldObject: m({ name: "backend", dependsOn: [{ name: "redis" }] }),
      object: m({ name: "backend", dependsOn: [{ name: "redis" }, { name: "config" }] }),
    });
    expect(answer.allowed).toBe(true);
    expect(answer.warnings?.join("\n")).toMatch(/dependency cycle/);
  });

  it("allows any UPDATE of an object being deleted", async () => {
    const s = setup();
    s.caches[kind].put({ name: "backend", dependsOn: [{ name: "redis" }] });
    const answer = await review(s, {
      operation: "UPDATE",
      oldObject: m({ name: "backend", deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["finalizers.fluxcd.io"], dependsOn: [{ name: "redis" }] }),
      object: m({ name: "backend", deletionTimestamp: "2026-01-01T00:00:00Z", dependsOn: [{ name: "gone" }] }),
    });
    expect(answer).toMatchObject({ allowed: true });
  });

  it("allows a DELETE and names the dependents that will be blocked", async () => {
    const s = setup();
    s.caches[kind].put({ name: "redis" });
    s.caches[kind].put({ name: "backend", dependsOn: [{ name: "redis" }] });
    const answer = await review(s, { operation: "DELETE", oldObject: m({ name: "redis" }) });
    expect(answer.allowed).toBe(true);
    expect(answer.warnings).toEqual(["default/backend depends on default/redis and will be blocked"]);
  });

  it("allows /status writes without looking", async () => {
    const s = setup();
    const answer = await review(s, {
      operation: "UPDATE",
      subResource: "status",
      oldObject: m({ name: "x", dependsOn: [{ name: "x" }] }),
      object: m({ name: "x", dependsOn: [{ name: "y" }] }),
    });
    expect(answer).toMatchObject({ allowed: true });
  });
});

describe("admission policies", () => {
  it("missing dependencies: warn allows with the did-you-mean warning, ignore allows silently", async () => {
    const warn = setup({ policy: { missingDependencies: "warn" } });
    warn.caches.HelmRelease.put({ name: "redis" });
    const warned = await review(warn, { operation: "CREATE", object: { name: "backend", dependsOn: [{ name: "redsi" }] } });
    expect(warned.allowed).toBe(true);
    expect(warned.warnings?.[0]).toMatch(/did you mean default\/redis/);
    const ignore = setup({ policy: { missingDependencies: "ignore" } });
    expect(await review(ignore, { operation: "CREATE", object: { name: "backend", dependsOn: [{ name: "redsi" }] } })).toEqual({
      uid: expect.any(String),
      allowed: true,
    });
  });

  it("cross-namespace: allowed by default, denied when the policy says deny", async () => {
    const spec: ReviewSpec = { operation: "CREATE", object: { name: "grafana", dependsOn: [{ name: "prometheus", namespace: "monitoring" }] } };
    const allowS = setup();
    allowS.caches.HelmRelease.put({ name: "prometheus", namespace: "monitoring" });
    expect((await review(allowS, spec)).allowed).toBe(true);
    const denyS = setup({ policy: { crossNamespace: "deny" } });
    denyS.caches.HelmRelease.put({ name: "prometheus", namespace: "monitoring" });
    const answer = await review(denyS, spec);
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(/monitoring\/prometheus is in another namespace/);
  });

  it("denies a readyExpr that does not compile", async () => {
    const s = setup();
    s.caches.HelmRelease.put({ name: "redis" });
    const answer = await review(s, { operation: "CREATE", object: { name: "backend", dependsOn: [{ name: "redis", readyExpr: "dep.status.(" }] } });
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(/dependsOn\[0\]\.readyExpr does not compile/);
  });

  it("delete protection deny: denies deleting a needed object, except by the namespace controller or in a terminating namespace", async () => {
    const s = setup({ policy: { deleteProtection: "deny" }, namespaceTerminating: (ns) => ns === "leaving" });
    for (const ns of ["default", "leaving"]) {
      s.caches.HelmRelease.put({ name: "redis", namespace: ns });
      s.caches.HelmRelease.put({ name: "backend", namespace: ns, dependsOn: [{ name: "redis" }] });
    }
    const denied = await review(s, { operation: "DELETE", oldObject: { name: "redis" } });
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toMatch(/^default\/redis is still needed \(default\/backend depends on default\/redis\)/);
    const byNamespaceController = await review(s, {
      operation: "DELETE",
      oldObject: { name: "redis" },
      username: "system:serviceaccount:kube-system:namespace-controller",
    });
    expect(byNamespaceController.allowed).toBe(true);
    expect((await review(s, { operation: "DELETE", oldObject: { name: "redis", namespace: "leaving" } })).allowed).toBe(true);
  });

  it("delete protection off: no warning", async () => {
    const s = setup({ policy: { deleteProtection: "off" } });
    s.caches.HelmRelease.put({ name: "redis" });
    s.caches.HelmRelease.put({ name: "backend", dependsOn: [{ name: "redis" }] });
    expect(await review(s, { operation: "DELETE", oldObject: { name: "redis" } })).toEqual({ uid: expect.any(String), allowed: true });
  });

  it("exempt namespaces are never checked", async () => {
    const s = setup({ policy: { exemptNamespaces: ["sandbox"] } });
    const answer = await review(s, { operation: "CREATE", object: { name: "x", namespace: "sandbox", dependsOn: [{ name: "x" }] } });
    expect(answer).toMatchObject({ allowed: true });
  });
});

describe("the pending batch through the app", () => {
  it("lets Flux's batch through: dry-run both, then apply both", async () => {
    const s = setup();
    const backend: ManifestSpec = { name: "backend", dependsOn: [{ name: "redis" }] };
    const redis: ManifestSpec = { name: "redis" };
    expect((await review(s, { operation: "CREATE", dryRun: true, object: backend })).allowed).toBe(true);
    expect((await review(s, { operation: "CREATE", dryRun: true, object: redis })).allowed).toBe(true);
    const applied = await review(s, { operation: "CREATE", object: backend });
    expect(applied.allowed).toBe(true);
    expect(applied.warnings?.[0]).toMatch(/HelmRelease default\/redis does not exist yet but is pending/);
  });

  it("denies a batch that adds a cycle at its dry-run", async () => {
    const s = setup();
    expect((await review(s, { operation: "CREATE", dryRun: true, object: { name: "backend", dependsOn: [{ name: "redis" }] } })).allowed).toBe(true);
    const answer = await review(s, { operation: "CREATE", dryRun: true, object: { name: "redis", dependsOn: [{ name: "backend" }] } });
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(/^dependency cycle default\/redis → default\/backend → default\/redis/);
  });
});

describe("answers that are not a review decision", () => {
  it("400 with one line for a body that is not JSON, not an AdmissionReview or about the wrong kind", async () => {
    const s = setup();
    const notJson = await request(s.app).post("/validate").set("content-type", "application/json").send("{not json").expect(400);
    expect(notJson.text).toBe("request body is not valid JSON; send an AdmissionReview\n");
    const notReview = await request(s.app).post("/validate").send({ hello: "world" }).expect(400);
    expect(notReview.text).toMatch(/^not a valid AdmissionReview: apiVersion must be admission.k8s.io\/v1/);
    const configMap = admissionReview({ operation: "CREATE", object: { name: "x" } });
    (configMap.request as Record<string, unknown>).resource = { group: "", version: "v1", resource: "configmaps" };
    const wrongKind = await request(s.app).post("/validate").send(configMap).expect(400);
    expect(wrongKind.text.trim().split("\n")).toHaveLength(1);
    expect(wrongKind.text).toMatch(/request.resource configmaps. is not helmreleases/);
    await request(s.app).post("/validate").expect(400);
  });

  it("503 while the kind's cache has not synced, and /readyz says why", async () => {
    const s = setup();
    s.caches.Kustomization.syncedNow = false;
    const res = await request(s.app).post("/validate").send(admissionReview({ operation: "CREATE", object: { kind: "Kustomization", name: "x" } })).expect(503);
    expect(res.text).toMatch(/the Kustomization cache has not synced yet/);
    await request(s.app).post("/validate").send(admissionReview({ operation: "CREATE", object: { name: "x" } })).expect(200);
    const ready = await request(s.app).get("/readyz").expect(503);
    expect(ready.text).toBe("not ready: caches not synced: Kustomization\n");
    await request(s.app).get("/healthz").expect(200, "ok\n");
  });

  it("/readyz needs TLS loaded too", async () => {
    await request(setup({ tlsLoaded: false }).app).get("/readyz").expect(503, "not ready: no valid TLS certificate loaded\n");
    await request(setup().app).get("/readyz").expect(200, "ok\n");
  });

  it("413 for a body over the limit", async () => {
    const s = setup();
    const body = admissionReview({ operation: "CREATE", object: { name: "big", labels: { blob: "x".repeat(7 * 1024 * 1024) } } });
    const res = await request(s.app).post("/validate").send(body).expect(413);
    expect(res.text).toBe("request body is larger than 6 MiB\n");
  });

  it("allows a version it does not know, unchecked, with a warning", async () => {
    const s = setup();
    const body = admissionReview({ operation: "CREATE", object: { name: "x", dependsOn: [{ name: "x" }] } });
    const req = body.request as Record<string, Record<string, string>>;
    req.resource!.version = "v3";
    req.kind!.version = "v3";
    const res = await request(s.app).post("/validate").send(body).expect(200);
    expect(res.body.response).toMatchObject({ allowed: true, warnings: ["releasegate does not know helmreleases v3: dependsOn not checked"] });
  });

  it("405 for other methods on /validate, 404 elsewhere", async () => {
    const s = setup();
    await request(s.app).get("/validate").expect(405);
    await request(s.app).get("/pending").expect(404);
  });
});

describe("admission metrics", () => {
  it("counts decisions by kind, operation, decision and bounded reason, and times them in seconds", async () => {
    const s = setup();
    s.caches.HelmRelease.put({ name: "redis" });
    await review(s, { operation: "CREATE", object: { name: "backend", dependsOn: [{ name: "redis" }] } });
    await review(s, { operation: "CREATE", object: { name: "x", dependsOn: [{ name: "x" }] } });
    await request(s.app).post("/validate").send({}).expect(400);
    const text = await s.metrics.registry.metrics();
    expect(text).toContain('releasegate_admission_requests_total{kind="HelmRelease",operation="CREATE",decision="allowed",reason="ok"} 1');
    expect(text).toContain('releasegate_admission_requests_total{kind="HelmRelease",operation="CREATE",decision="denied",reason="self-dependency"} 1');
    expect(text).toContain('releasegate_admission_requests_total{kind="unknown",operation="unknown",decision="error",reason="bad-request"} 1');
    expect(text).toContain('releasegate_admission_duration_seconds_count{source="memory"} 3');
    expect(text).toContain('releasegate_admission_duration_seconds_count{source="reads"} 0');
  });

  it("times a denial that waited for the API server's read apart from those decided from memory", async () => {
    const s = setup({ confirmMissing: (deps) => Promise.resolve(new Map(deps.map((d) => [d.node, { state: "missing", clusterScoped: false } as const]))) });
    s.caches.HelmRelease.put({ name: "redis" });
    await review(s, { operation: "CREATE", object: { name: "backend", dependsOn: [{ name: "redis" }] } });
    const denied = await review(s, { operation: "CREATE", object: { name: "web", dependsOn: [{ name: "nope" }] } });
    expect(denied.allowed).toBe(false);
    const text = await s.metrics.registry.metrics();
    expect(text).toContain('releasegate_admission_duration_seconds_count{source="memory"} 1');
    expect(text).toContain('releasegate_admission_duration_seconds_count{source="reads"} 1');
  });
});
