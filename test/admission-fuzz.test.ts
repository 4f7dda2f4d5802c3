// Fuzzing the webhook's input (fast-check): 10,000 random and mutated AdmissionReviews. Every answer must
// be a valid AdmissionReview response with the request's uid, or a 400 with one line; never a crash.
//
// Split for speed: 9,600 runs call the handler's pure pipeline in-process (reviewAdmission: parse, decide,
// render — everything but the HTTP framing); 400 runs go through the express app over HTTP (supertest),
// half of them as raw bytes (truncated or corrupted JSON) to exercise the body parser.
import fc from "fast-check";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { AdmissionGraphs } from "../src/admission/admission-graphs.js";
import { KindStore } from "../src/cluster/kind-store.js";
import type { StoreSource as ObjectCacheLike } from "../src/cluster/kind-store.js";
import { createAdmissionApp } from "../src/admission/app.js";
import { PendingBatch } from "../src/admission/pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "../src/admission/policy.js";
import { MAX_WARNING_LENGTH, MAX_WARNINGS } from "../src/admission/render.js";
import { admissionReview } from "../src/admission/review-builder.test-support.js";
import type { ReviewSpec } from "../src/admission/review-builder.test-support.js";
import { reviewAdmission } from "../src/admission/review-handler.js";
import type { AdmissionContext } from "../src/admission/review-handler.js";
import type { FluxKind, FluxObject } from "../src/graph/types.js";

const NAMES = ["backend", "redis", "frontend", "db", "monitoring/prometheus", "", "UPPER", "a".repeat(300), "x"];
const NAMESPACES = ["default", "monitoring", "team-a", "Bad_NS"];

function cache(kind: FluxKind, objects: FluxObject[]): ObjectCacheLike {
  return { kind, isSynced: () => true, list: () => objects, subscribe: () => () => undefined };
}

function context(): AdmissionContext {
  const hr = (name: string, deps: string[], namespace = "default"): FluxObject => ({
    kind: "HelmRelease",
    namespace,
    name,
    dependsOn: deps.map((d) => ({ name: d })),
  });
  // A cycle (backend ↔ redis), a chain and a missing dependency already in the cache.
  const objects = [hr("backend", ["redis"]), hr("redis", ["backend"]), hr("frontend", ["backend"]), hr("db", ["gone"]), hr("prometheus", [], "monitoring")];
  const ks = objects.map((o) => ({ ...o, kind: "Kustomization" as const }));
  return {
    graphs: new AdmissionGraphs([new KindStore(cache("HelmRelease", objects)), new KindStore(cache("Kustomization", ks))]),
    pending: new PendingBatch({ maxPerKind: 100 }),
    cacheLagMs: 0,
    policy: { ...DEFAULT_ADMISSION_POLICY, deleteProtection: "deny", crossNamespace: "deny" },
  };
}

const manifestArb = fc.record({
  kind: fc.constantFrom<FluxKind>("HelmRelease", "Kustomization"),
  name: fc.constantFrom(...NAMES.filter((n) => n !== "")),
  namespace: fc.constantFrom(...NAMESPACES),
  dependsOn: fc.array(
    fc.record(
      { name: fc.constantFrom(...NAMES), namespace: fc.constantFrom(...NAMESPACES), readyExpr: fc.constantFrom("dep.status.ready == true", "((", "true") },
      { requiredKeys: ["name"] },
    ),
    { maxLength: 4 },
  ),
  deletionTimestamp: fc.option(fc.constant("2026-01-01T00:00:00Z"), { nil: undefined }),
});

const reviewArb = fc
  .record({
    operation: fc.constantFrom<ReviewSpec["operation"]>("CREATE", "UPDATE", "DELETE", "CONNECT"),
    object: manifestArb,
    old: manifestArb,
    dryRun: fc.boolean(),
    status: fc.boolean(),
    username: fc.constantFrom("kubernetes-admin", "system:serviceaccount:kube-system:namespace-controller"),
    versionPick: fc.nat(2),
  })
  .map(({ operation, object, old, dryRun, status, username, versionPick }) => {
    const versions = object.kind === "HelmRelease" ? ["v2", "v2beta2", "v2beta1"] : ["v1", "v1beta2"];
    const version = versions[versionPick % versions.length]!;
    const oldSame = { ...old, kind: object.kind, name: object.name, namespace: object.namespace, version };
    return admissionReview({
      operation,
      dryRun,
      username,
      ...(status ? { subResource: "status" } : {}),
      ...(operation === "DELETE" ? {} : { object: { ...object, version } }),
      ...(operation === "CREATE" ? {} : { oldObject: oldSame }),
    });
  });

type Json = unknown;

/** Every path to a value in a JSON tree. */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

type Mutation = { pick: number; op: "delete" | "replace" | "retype"; value: Json };

function mutate(body: Json, mutations: Mutation[]): Json {
  let copy = structuredClone(body);
  for (const m of mutations) {
    const all = paths(copy);
    const path = all[m.pick % all.length]!;
    if (path.length === 0) {
      copy = m.value;
      continue;
    }
    let parent = copy as Record<string | number, Json>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
    const last = path[path.length - 1]!;
    if (m.op === "delete") {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (m.op === "replace") parent[last] = m.value;
    else parent[last] = typeof parent[last] === "string" ? 0 : String(parent[last]);
  }
  return copy;
}

const mutationArb = fc.record({ pick: fc.nat(), op: fc.constantFrom<Mutation["op"]>("delete", "replace", "retype"), value: fc.jsonValue({ maxDepth: 2 }) });

const bodyArb = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: reviewArb },
  { weight: 5, arbitrary: fc.tuple(reviewArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([b, ms]) => mutate(b, ms)) },
);

function uidOf(body: Json): unknown {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? ((body as { request?: { uid?: unknown } }).request ?? {}).uid
    : undefined;
}

function expectValidResponse(response: unknown, uid: unknown): void {
  const r = response as { apiVersion: unknown; kind: unknown; response: { uid: unknown; allowed: unknown; status?: { code: unknown; message: unknown }; warnings?: unknown[] } };
  expect(r.apiVersion).toBe("admission.k8s.io/v1");
  expect(r.kind).toBe("AdmissionReview");
  expect(r.response.uid).toBe(uid);
  expect(typeof r.response.allowed).toBe("boolean");
  if (r.response.allowed === false) {
    expect(r.response.status?.code).toBe(403);
    expect(typeof r.response.status?.message).toBe("string");
    expect((r.response.status?.message as string).length).toBeGreaterThan(0);
  }
  const warnings = r.response.warnings ?? [];
  expect(warnings.length).toBeLessThanOrEqual(MAX_WARNINGS);
  for (const w of warnings) expect(typeof w === "string" && w.length <= MAX_WARNING_LENGTH).toBe(true);
}

describe("admission fuzz", () => {
  it("answers 9,600 random and mutated reviews in-process with a valid review or a one-line 400", async () => {
    const ctx = context();
    let answered = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(bodyArb, async (body) => {
        const result = await reviewAdmission(body, ctx);
        if (result.type === "answer") {
          answered++;
          expectValidResponse(JSON.parse(JSON.stringify(result.response)), uidOf(body));
        } else {
          rejected++;
          expect(result.type).toBe("bad-request");
          if (result.type === "bad-request") expect(result.error).toMatch(/^not a valid AdmissionReview: [^\n]+$/);
        }
      }),
      { numRuns: 9_600 },
    );
    // Both outcomes were exercised, not just one.
    expect(answered).toBeGreaterThan(1_000);
    expect(rejected).toBeGreaterThan(1_000);
  });

  it("answers 400 more over HTTP, half of them corrupted bytes, never with a 5xx", async () => {
    const app = createAdmissionApp(context());
    const rawArb = fc.oneof(
      bodyArb.map((b) => ({ raw: false as const, body: b })),
      fc
        .tuple(reviewArb, fc.nat(), fc.string({ maxLength: 3 }))
        .map(([b, cut, junk]) => {
          const text = JSON.stringify(b);
          const at = cut % text.length;
          return { raw: true as const, body: text.slice(0, at) + junk + text.slice(at + junk.length) };
        }),
    );
    await fc.assert(
      fc.asyncProperty(rawArb, async ({ raw, body }) => {
        const payload = raw ? body : JSON.stringify(body);
        const res = await request(app).post("/validate").set("content-type", "application/json").send(payload);
        if (res.status === 200) {
          let parsedUid: unknown;
          try {
            parsedUid = uidOf(JSON.parse(payload));
          } catch {
            throw new Error(`200 for a body that is not JSON: ${payload.slice(0, 80)}`);
          }
          expectValidResponse(res.body, parsedUid);
        } else {
          expect(res.status).toBe(400);
          expect(res.text).toMatch(/^[^\n]+\n$/);
        }
      }),
      { numRuns: 400 },
    );
  });
});
