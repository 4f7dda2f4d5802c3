import { describe, expect, it } from "vitest";
import { DependencyGraph } from "../graph/dependency-graph.js";
import type { FluxObject } from "../graph/types.js";
import { decide, shouldRecordPending } from "./decide.js";
import { objectKeyOf } from "../graph/refs.js";
import { PendingBatch } from "./pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "./policy.js";
import type { AdmissionPolicy } from "./policy.js";
import type { AdmissionRequest } from "./review.js";

const hr = (name: string, dependsOn: FluxObject["dependsOn"] = [], namespace = "default"): FluxObject => ({ kind: "HelmRelease", namespace, name, dependsOn });

function world(objects: FluxObject[], pending: FluxObject[] = []) {
  const graph = new DependencyGraph();
  for (const o of objects) graph.upsert(o);
  const batch = new PendingBatch();
  for (const p of pending) batch.record(p);
  return (request: AdmissionRequest, policy: Partial<AdmissionPolicy> = {}) =>
    decide(request, {
      graph: batch.view(graph),
      dependents: graph,
      isPending: (node) => !graph.has(node) && batch.get("HelmRelease", objectKeyOf(node)) !== undefined,
      policy: { ...DEFAULT_ADMISSION_POLICY, ...policy },
    });
}

const create = (object: FluxObject, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  uid: "u",
  kind: "HelmRelease",
  version: "v2",
  operation: "CREATE",
  namespace: object.namespace,
  name: object.name,
  dryRun: false,
  object,
  ...extra,
});

const update = (oldObject: FluxObject, object: FluxObject, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  ...create(object),
  operation: "UPDATE",
  oldObject,
  ...extra,
});

describe("decide", () => {
  it("marks a denial that only missing dependencies cause, so peers can be asked", () => {
    const d = world([])(create(hr("backend", [{ name: "redis" }, { name: "cache" }])));
    expect(d).toMatchObject({ allowed: false, reason: "missing", unresolved: [{ node: "HelmRelease/default/redis" }, { node: "HelmRelease/default/cache" }] });
    const mixed = world([])(create(hr("backend", [{ name: "redis" }, { name: "backend" }])));
    expect(mixed).toMatchObject({ allowed: false, reason: "self-dependency" });
    expect(mixed.allowed === false && mixed.unresolved).toBeFalsy();
    expect(mixed.allowed === false && mixed.message.split("\n")).toHaveLength(2);
  });

  it("allows a dependency that is only pending, saying so", () => {
    const d = world([], [hr("redis")])(create(hr("backend", [{ name: "redis" }])));
    expect(d).toEqual({ allowed: true, reason: "pending", warnings: ["HelmRelease default/redis does not exist yet but is pending in the same batch: allowed"] });
  });

  it("answers a dry-run as the real request, except missing: allowed, warned, to be recorded", () => {
    const request = create(hr("backend", [{ name: "redis" }]), { dryRun: true });
    const d = world([])(request);
    expect(d).toMatchObject({ allowed: true, reason: "missing" });
    expect(shouldRecordPending(request, d)).toBe(true);
    const updateDryRun = update(hr("backend"), hr("backend", [{ name: "redis" }]), { dryRun: true });
    const u = world([hr("backend")])(updateDryRun);
    expect(u.allowed).toBe(true);
    expect(shouldRecordPending(updateDryRun, u)).toBe(false);
  });

  it("never blocks an UPDATE on an invalid entry the stored object already had", () => {
    const old = hr("grafana", [{ name: "monitoring/prometheus" }]);
    const d = world([hr("loki"), old])(update(old, hr("grafana", [{ name: "monitoring/prometheus" }, { name: "loki" }])));
    expect(d.allowed).toBe(true);
    expect(d.warnings[0]).toMatch(/use \{name: prometheus, namespace: monitoring\}/);
    const added = world([old])(update(hr("grafana"), hr("grafana", [{ name: "monitoring/prometheus" }])));
    expect(added).toMatchObject({ allowed: false, reason: "invalid" });
  });

  it("warns about an old missing dependency on an unchanged UPDATE, without the did-you-mean search", () => {
    const old = hr("backend", [{ name: "redsi" }]);
    const d = world([hr("redis"), old])(update(old, { ...old, labels: { team: "a" } }));
    expect(d).toEqual({ allowed: true, reason: "unchanged", warnings: ["HelmRelease default/redsi does not exist: create it first or fix the dependsOn entry"] });
  });

  it("never blocks an UPDATE on a dependency that went missing since", () => {
    const old = hr("backend", [{ name: "gone" }]);
    const d = world([hr("redis"), old])(update(old, hr("backend", [{ name: "gone" }, { name: "redis" }])));
    expect(d).toMatchObject({ allowed: true, reason: "missing" });
  });

  it("denies an UPDATE whose changed readyExpr does not compile, but not one it kept", () => {
    const good = hr("backend", [{ name: "redis" }]);
    const bad = hr("backend", [{ name: "redis", readyExpr: "((" }]);
    expect(world([hr("redis"), good])(update(good, bad))).toMatchObject({ allowed: false, reason: "ready-expr" });
    const badPlus = hr("backend", [{ name: "redis", readyExpr: "((" }, { name: "cache" }]);
    expect(world([hr("redis"), hr("cache"), bad])(update(bad, badPlus))).toMatchObject({ allowed: true, reason: "ready-expr" });
  });

  it("delete protection: dependents already being deleted do not count", () => {
    const dependent = { ...hr("backend", [{ name: "redis" }]), deleting: true };
    const d = world([hr("redis"), dependent])(
      { ...create(hr("redis")), operation: "DELETE", object: undefined, oldObject: hr("redis") } as AdmissionRequest,
      { deleteProtection: "deny" },
    );
    expect(d).toEqual({ allowed: true, reason: "delete", warnings: [] });
  });

  it("denies the edge that closes a 10,000-object chain into a cycle, naming its ends and how many more; an unchanged UPDATE of a member of a 5,000-object cycle warns the same way", () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => hr(`bulk-${i}`, i === 0 ? [] : [{ name: `bulk-${i - 1}` }]));
    const closing = update(chain[0]!, hr("bulk-0", [{ name: "bulk-9999" }]));
    const d = world(chain)(closing);
    const ends = (numbers: number[]) => numbers.map((i) => `default/bulk-${i}`).join(" → ");
    expect(d).toEqual({
      allowed: false,
      reason: "cycle",
      message: `dependency cycle ${ends([0, 9999, 9998, 9997, 9996, 9995])} → … 9988 more … → ${ends([6, 5, 4, 3, 2, 1, 0])}: remove one of these dependsOn entries`,
      warnings: [],
    });
    // The same cycle through a pending view (the key-by-key search) reads the same.
    expect(world(chain, [hr("elsewhere")])(closing)).toEqual(d);

    const members = 5000;
    const ring = Array.from({ length: members }, (_, i) => hr(`cyc-${i}`, [{ name: `cyc-${(i + 1) % members}` }]));
    const relabelled = update(ring[7]!, { ...ring[7]!, labels: { team: "a" } });
    const cycleWords = (numbers: number[]) => numbers.map((i) => `default/cyc-${i}`).join(" → ");
    expect(world(ring)(relabelled)).toEqual({
      allowed: true,
      reason: "unchanged",
      warnings: [`dependency cycle ${cycleWords([7, 8, 9, 10, 11, 12])} → … 4988 more … → ${cycleWords([1, 2, 3, 4, 5, 6, 7])}`],
    });
  });

  it("allows requests it does not judge", () => {
    const decideIn = world([]);
    const selfDep = hr("x", [{ name: "x" }]);
    expect(decideIn(create(selfDep, { subResource: "status" })).reason).toBe("subresource");
    expect(decideIn(create(selfDep, { operation: "CONNECT" })).reason).toBe("unchecked");
    expect(decideIn(create(selfDep), { exemptNamespaces: ["default"] }).reason).toBe("exempt");
  });
});
