import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbitraryObject, arbitraryUniverse, buildGraph } from "./arbitraries.test-support.js";
import { findCycles } from "./cycles.js";
import { DependencyGraph } from "./dependency-graph.js";
import { PATH_TAIL } from "./gate-path.js";
import { computeGateStates, GateTracker, healthOf, isReady, sameGate } from "./gates.js";
import { blockedMessage, cycleMessage, missingMessage, readyExprMessage } from "./messages.js";
import { notReadyMessage, readyExprCompileError } from "./readiness.js";
import { kindOfNode, objectKeyOf, resolveDependencies } from "./refs.js";
import { expandedGates, oracleCycles } from "./oracle-cycles.test-support.js";
import type { OracleGate } from "./oracle-cycles.test-support.js";
import { release } from "./test-helpers.test-support.js";
import type { BlockedReason, FluxObject, GateState, ObjectKey } from "./types.js";

function gatesOf(...objects: FluxObject[]): Map<ObjectKey, GateState> {
  return computeGateStates(buildGraph(objects));
}

describe("isReady and healthOf (Flux's built-in check)", () => {
  const backend = release("default/backend", { dependsOn: ["redis"] });
  const entry = resolveDependencies(backend)[0]!;

  it("is ready only with Ready=True for the current generation", () => {
    expect(isReady(release("default/redis"), backend, entry)).toBe(true);
    expect(isReady(release("default/redis", { status: "stale" }), backend, entry)).toBe(false);
    expect(isReady(release("default/redis", { status: "none" }), backend, entry)).toBe(false);
    expect(isReady(release("default/redis", { status: "progressing" }), backend, entry)).toBe(false);
  });

  it("classifies health: failed, stalled, suspended, progressing", () => {
    expect(healthOf(release("default/redis"))).toBe("ready");
    expect(healthOf(release("default/redis", { status: "failed" }))).toBe("failed");
    expect(healthOf(release("default/redis", { status: "stalled" }))).toBe("failed");
    expect(healthOf(release("default/redis", { status: "progressing", suspend: true }))).toBe("suspended");
    expect(healthOf(release("default/redis", { suspend: true }))).toBe("ready");
    expect(healthOf(release("default/redis", { status: "progressing" }))).toBe("progressing");
    expect(healthOf(release("default/redis", { status: "none" }))).toBe("progressing");
  });

  it("lets a readyExpr replace the built-in check", () => {
    const progressing = release("default/redis", { status: "progressing", labels: { tier: "cache" } });
    const withExpr = (readyExpr: string) =>
      resolveDependencies(release("default/backend", { dependsOn: [{ name: "redis", readyExpr }] }))[0]!;
    expect(isReady(progressing, backend, withExpr("dep.metadata.labels.tier == 'cache'"))).toBe(true);
    expect(isReady(release("default/redis"), backend, withExpr("false"))).toBe(false);
    expect(isReady(release("default/redis"), backend, withExpr("dep.metadata.name =="))).toBe(false);
  });
});

describe("computeGateStates: seed scenarios", () => {
  it("opens backend when redis is Ready (chain)", () => {
    const gates = gatesOf(release("default/backend", { dependsOn: ["redis"] }), release("default/redis"));
    expect(gates.get("HelmRelease/default/backend")).toEqual({ state: "open" });
    expect(gates.get("HelmRelease/default/redis")).toEqual({ state: "open" });
  });

  it("names the failed dependency as root cause (failure)", () => {
    const gates = gatesOf(
      release("default/backend", { dependsOn: ["redis"], status: "progressing" }),
      release("default/redis", { status: "failed", message: "install retries exhausted" }),
    );
    const backend = gates.get("HelmRelease/default/backend")!;
    expect(backend).toEqual({
      state: "blocked",
      reason: "Failed",
      rootCause: "HelmRelease/default/redis",
      rootCauseMessage: "install retries exhausted",
      via: "HelmRelease/default/redis", depth: 1, tail: ["HelmRelease/default/redis"],
    });
    expect(blockedMessage(backend)).toBe("blocked by default/redis: install retries exhausted");
  });

  it("carries the root cause up a chain of 3 where the bottom failed", () => {
    const gates = gatesOf(
      release("default/frontend", { dependsOn: ["backend"], status: "progressing" }),
      release("default/backend", { dependsOn: ["redis"], status: "progressing" }),
      release("default/redis", { status: "failed", message: "install retries exhausted" }),
    );
    const frontend = gates.get("HelmRelease/default/frontend")!;
    expect(frontend).toMatchObject({ reason: "Failed", rootCause: "HelmRelease/default/redis", via: "HelmRelease/default/backend", depth: 2, tail: ["HelmRelease/default/backend", "HelmRelease/default/redis"] });
    expect(blockedMessage(frontend)).toBe("blocked by default/redis via default/backend: install retries exhausted");
  });

  it("blocks on a suspended dependency with reason Suspended", () => {
    const gates = gatesOf(
      release("default/backend", { dependsOn: ["redis"] }),
      release("default/redis", { status: "progressing", suspend: true }),
    );
    expect(gates.get("HelmRelease/default/backend")).toMatchObject({ reason: "Suspended", rootCause: "HelmRelease/default/redis", rootCauseMessage: "suspended" });
  });

  it("marks both sides of backend ↔ redis as Cycle with the cycle path", () => {
    const gates = gatesOf(
      release("default/backend", { dependsOn: ["redis"], status: "progressing" }),
      release("default/redis", { dependsOn: ["backend"], status: "progressing" }),
      release("default/frontend", { dependsOn: ["backend"] }),
    );
    expect(gates.get("HelmRelease/default/backend")).toEqual({
      state: "blocked",
      reason: "Cycle",
      rootCause: "HelmRelease/default/backend",
      rootCauseMessage: cycleMessage(["HelmRelease/default/backend", "HelmRelease/default/redis", "HelmRelease/default/backend"]),
      via: "HelmRelease/default/redis",
      depth: 2,
      tail: ["HelmRelease/default/redis", "HelmRelease/default/backend"],
      onCycle: true,
    });
    // Every member names the one root cause, the smallest, and one message: the path goes to it, then once round.
    expect(gates.get("HelmRelease/default/redis")).toEqual({
      ...gates.get("HelmRelease/default/backend"),
      via: "HelmRelease/default/backend",
      depth: 3,
      tail: ["HelmRelease/default/backend", "HelmRelease/default/redis", "HelmRelease/default/backend"],
    });
    // A release waiting on a cycle member inherits the cycle as its root cause.
    expect(gates.get("HelmRelease/default/frontend")).toMatchObject({ reason: "Cycle", via: "HelmRelease/default/backend", depth: 3, tail: ["HelmRelease/default/backend", "HelmRelease/default/redis", "HelmRelease/default/backend"] });
    expect(gates.get("HelmRelease/default/frontend")).not.toHaveProperty("onCycle");
  });

  it("blocks on a missing dependency with Missing, before looking at readiness", () => {
    const gates = gatesOf(release("default/backend", { dependsOn: ["redis", "redsi"] }), release("default/redis", { status: "failed" }));
    expect(gates.get("HelmRelease/default/backend")).toEqual({
      state: "blocked",
      reason: "Missing",
      rootCause: "HelmRelease/default/redsi",
      rootCauseMessage: missingMessage("HelmRelease", "default/redsi"),
      via: "HelmRelease/default/redsi", depth: 1, tail: ["HelmRelease/default/redsi"],
    });
  });

  it("never lets a Ready dependency block, even when its own gate is blocked", () => {
    const gates = gatesOf(release("default/backend", { dependsOn: ["redis"] }), release("default/redis", { dependsOn: ["gone"] }));
    expect(gates.get("HelmRelease/default/redis")).toMatchObject({ reason: "Missing" });
    expect(gates.get("HelmRelease/default/backend")).toEqual({ state: "open" });
  });

  it("takes the highest reason across dependencies (Missing below beats Failed beside)", () => {
    const gates = gatesOf(
      release("default/app", { dependsOn: ["db", "cache"] }),
      release("default/db", { status: "failed" }),
      release("default/cache", { dependsOn: ["ghost"], status: "progressing" }),
    );
    expect(gates.get("HelmRelease/default/app")).toMatchObject({ reason: "Missing", rootCause: "HelmRelease/default/ghost", via: "HelmRelease/default/cache", depth: 2, tail: ["HelmRelease/default/cache", "HelmRelease/default/ghost"] });
  });

  it("judges a dependency by its readyExpr: true opens, false blocks, a compile error blocks and says so", () => {
    const redis = release("default/redis", { status: "progressing" });
    const withExpr = (readyExpr: string) => gatesOf(release("default/backend", { dependsOn: [{ name: "redis", readyExpr }] }), redis);
    expect(withExpr("dep.metadata.name == 'redis'").get("HelmRelease/default/backend")).toEqual({ state: "open" });
    expect(withExpr("false").get("HelmRelease/default/backend")).toMatchObject({ reason: "NotReady", rootCause: "HelmRelease/default/redis" });
    // helm-controller stalls the dependent itself (InvalidCELExpression): it is its own root cause.
    expect(withExpr("dep.metadata.name ==").get("HelmRelease/default/backend")).toMatchObject({
      reason: "Failed",
      rootCause: "HelmRelease/default/backend",
      via: "HelmRelease/default/backend",
      depth: 0,
      rootCauseMessage: expect.stringMatching(/^dependsOn\[0\]\.readyExpr does not compile: .*: fix the CEL expression$/),
    });
  });

  it("says 'not ready according to readyExpr' when a Ready dependency fails its readyExpr", () => {
    const gates = gatesOf(release("default/backend", { dependsOn: [{ name: "redis", readyExpr: "false" }] }), release("default/redis"));
    expect(gates.get("HelmRelease/default/backend")).toMatchObject({ reason: "NotReady", rootCauseMessage: "not ready according to readyExpr" });
  });
});

describe("GateTracker: seed transitions", () => {
  it("reports backend opening when redis recovers, and only the objects that changed", () => {
    // backend still shows Ready from its last release; frontend is therefore open throughout.
    const tracker = new GateTracker();
    tracker.upsert(release("default/frontend", { dependsOn: ["backend"] }));
    tracker.upsert(release("default/backend", { dependsOn: ["redis"] }));
    tracker.upsert(release("default/redis", { status: "failed" }));
    expect(tracker.state("HelmRelease/default/backend")).toMatchObject({ reason: "Failed" });
    const changes = tracker.upsert(release("default/redis"));
    expect(changes).toEqual([
      { key: "HelmRelease/default/backend", kind: "HelmRelease", before: expect.objectContaining({ reason: "Failed" }), after: { state: "open" }, object: tracker.graph.get("HelmRelease/default/backend") },
    ]);
  });

  it("reports a cycle when an edit closes one and clears it when the edit is undone", () => {
    const tracker = new GateTracker([release("default/backend", { dependsOn: ["redis"] }), release("default/redis")]);
    const closing = tracker.upsert(release("default/redis", { dependsOn: ["backend"] }));
    expect(closing.map((c) => [c.key, c.after?.state === "blocked" ? c.after.reason : "open"]).sort()).toEqual([
      ["HelmRelease/default/backend", "Cycle"],
      ["HelmRelease/default/redis", "Cycle"],
    ]);
    tracker.upsert(release("default/redis"));
    expect(tracker.state("HelmRelease/default/backend")).toEqual({ state: "open" });
  });

  it("re-evaluates a dependent whose readyExpr reads a field other than the status", () => {
    const tracker = new GateTracker([
      release("default/backend", { dependsOn: [{ name: "redis", readyExpr: "dep.metadata.labels.tier == 'ready'" }] }),
      release("default/redis", { labels: { tier: "warming" } }),
    ]);
    expect(tracker.state("HelmRelease/default/backend")).toMatchObject({ reason: "NotReady", rootCauseMessage: "not ready according to readyExpr" });
    const changes = tracker.upsert(release("default/redis", { labels: { tier: "ready" } }));
    expect(changes.map((c) => [c.key, c.after])).toEqual([["HelmRelease/default/backend", { state: "open" }]]);
  });

  it("updates the root cause message up the chain when only the failure message changes", () => {
    const tracker = new GateTracker([
      release("default/frontend", { dependsOn: ["backend"], status: "progressing" }),
      release("default/backend", { dependsOn: ["redis"], status: "progressing" }),
      release("default/redis", { status: "failed", message: "install retries exhausted" }),
    ]);
    tracker.upsert(release("default/redis", { status: "failed", message: "upgrade retries exhausted" }));
    expect(tracker.state("HelmRelease/default/frontend")).toMatchObject({ rootCause: "HelmRelease/default/redis", rootCauseMessage: "upgrade retries exhausted" });
  });

  it("turns dependents Missing when their dependency is deleted", () => {
    const tracker = new GateTracker([release("default/backend", { dependsOn: ["redis"] }), release("default/redis")]);
    const changes = tracker.remove("HelmRelease/default/redis");
    expect(changes).toContainEqual({ key: "HelmRelease/default/redis", kind: "HelmRelease", before: { state: "open" }, after: undefined });
    expect(tracker.state("HelmRelease/default/backend")).toMatchObject({ reason: "Missing", rootCause: "HelmRelease/default/redis" });
    expect(tracker.remove("HelmRelease/default/redis")).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Oracle: rules 1-3 implemented naively (reachability by DFS, memoised recursion over the rest).

const PRECEDENCE: Record<BlockedReason, number> = { Cycle: 5, Missing: 4, Failed: 3, NotReady: 2, Suspended: 1 };

function oracleGates(objects: Iterable<FluxObject>): Map<ObjectKey, OracleGate> {
  const byKey = new Map<ObjectKey, FluxObject>();
  for (const obj of objects) byKey.set(`${obj.kind}/${obj.namespace}/${obj.name}`, obj);
  const { depsOf, reachesItself, cycleGate } = oracleCycles(byKey);
  const memo = new Map<ObjectKey, OracleGate>();
  const gate = (k: ObjectKey): OracleGate => {
    const known = memo.get(k);
    if (known !== undefined) return known;
    let result: OracleGate;
    const obj = byKey.get(k)!;
    if (reachesItself(k)) {
      result = cycleGate(k);
    } else {
      const missing = depsOf(k).find((d) => !byKey.has(d));
      // The Flux Operator compiles a ResourceSet's expressions before reading its dependencies.
      const rsBadExpr = obj.kind === "ResourceSet" ? obj.dependsOn.findIndex((e) => readyExprCompileError(obj.kind, e) !== undefined) : -1;
      if (rsBadExpr >= 0) {
        result = { state: "blocked", reason: "Failed", rootCause: k, rootCauseMessage: readyExprMessage(rsBadExpr, readyExprCompileError(obj.kind, obj.dependsOn[rsBadExpr]!)!), path: [] };
      } else if (missing !== undefined) {
        result = { state: "blocked", reason: "Missing", rootCause: missing, rootCauseMessage: missingMessage(kindOfNode(missing), objectKeyOf(missing)), path: [missing] };
      } else {
        const candidates: { reason: BlockedReason; rootCause: ObjectKey; message: string; path: ObjectKey[]; d: ObjectKey }[] = [];
        const seenDeps = new Set<ObjectKey>();
        for (const entry of resolveDependencies(obj)) {
          // A ResourceSet asks only that a dependency exists unless the entry says ready: true.
          if (obj.kind === "ResourceSet" && entry.ready !== true) continue;
          const dep = byKey.get(entry.node)!;
          // helm-controller and kustomize-controller: an expression that does not compile stalls the dependent itself.
          const exprError = obj.kind === "ResourceSet" ? undefined : readyExprCompileError(obj.kind, entry);
          if (exprError !== undefined) {
            candidates.push({ reason: "Failed", rootCause: k, message: readyExprMessage(entry.index, exprError), path: [], d: k });
            continue;
          }
          if (isReady(dep, obj, entry) || seenDeps.has(entry.node)) continue;
          seenDeps.add(entry.node);
          const g = gate(entry.node);
          if (g.state === "blocked") {
            candidates.push({ reason: g.reason, rootCause: g.rootCause, message: g.rootCauseMessage, path: [entry.node, ...g.path], d: entry.node });
          } else {
            const h = healthOf(dep);
            const reason: BlockedReason = h === "failed" ? "Failed" : h === "suspended" ? "Suspended" : "NotReady";
            candidates.push({ reason, rootCause: entry.node, message: notReadyMessage(dep, entry, obj.kind, obj), path: [entry.node], d: entry.node });
          }
        }
        candidates.sort(
          (a, b) =>
            PRECEDENCE[b.reason] - PRECEDENCE[a.reason] ||
            a.path.length - b.path.length ||
            (a.rootCause < b.rootCause ? -1 : a.rootCause > b.rootCause ? 1 : 0) ||
            (a.d < b.d ? -1 : a.d > b.d ? 1 : 0),
        );
        const best = candidates[0];
        result =
          best === undefined
            ? { state: "open" }
            : { state: "blocked", reason: best.reason, rootCause: best.rootCause, rootCauseMessage: best.message, path: best.path };
      }
    }
    memo.set(k, result);
    return result;
  };
  const all = new Map<ObjectKey, OracleGate>();
  for (const k of [...byKey.keys()].sort()) all.set(k, gate(k));
  return all;
}

function oracleCyclic(objects: readonly FluxObject[], key: ObjectKey): boolean {
  const byKey = new Map(objects.map((obj) => [`${obj.kind}/${obj.namespace}/${obj.name}`, obj]));
  return oracleCycles(byKey).reachesItself(key);
}

function sorted<T>(states: ReadonlyMap<ObjectKey, T>): [ObjectKey, T][] {
  return [...states].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

describe("gate states against the naive oracle", () => {
  it("computeGateStates equals rules 1-3 applied naively", () => {
    fc.assert(
      fc.property(
        arbitraryUniverse(30).chain(({ universe, keys }) => fc.tuple(...keys.map((key) => arbitraryObject(key, universe)))),
        (objects) => {
          const states = computeGateStates(buildGraph(objects));
          const oracle = oracleGates(objects);
          expect(sorted(expandedGates(states))).toEqual(sorted(oracle));
          // On a cycle exactly when the object reaches itself.
          for (const [key, gate] of states) expect(gate.state === "blocked" && gate.onCycle === true).toBe(oracle.get(key)!.state === "blocked" && oracleCyclic(objects, key));
        },
      ),
      { numRuns: 400 },
    );
  });

  type Op = { op: "upsert"; obj: FluxObject } | { op: "remove"; key: ObjectKey };

  const arbitraryOps = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.subarray(["HelmRelease", "Kustomization", "ResourceSet"], { minLength: 1 })).chain(([nsCount, kinds]) => {
    const namespaces = ["default", "cache"].slice(0, nsCount);
    const universe = kinds.flatMap((kind) => namespaces.flatMap((ns) => ["a", "b", "c", "d", "e", "f", "g"].map((n) => `${kind}/${ns}/${n}`)));
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...universe).chain((key) => arbitraryObject(key, universe)).map((obj) => ({ op: "upsert" as const, obj })) },
      { weight: 1, arbitrary: fc.constantFrom(...universe).map((key) => ({ op: "remove" as const, key })) },
    );
    return fc.array(op, { minLength: 1, maxLength: 40 });
  });

  it("GateTracker equals computeGateStates after every step, and its changes are exactly the differences", () => {
    fc.assert(
      fc.property(arbitraryOps, (ops) => {
        const tracker = new GateTracker();
        let previous = new Map<ObjectKey, GateState>();
        for (const step of ops) {
          const changes = step.op === "upsert" ? tracker.upsert(step.obj) : tracker.remove(step.key);
          const full = computeGateStates(tracker.graph);
          expect(sorted(tracker.states())).toEqual(sorted(full));
          expect(tracker.cycleCount()).toBe(findCycles(tracker.graph).length);
          // Applying the reported changes to the previous states gives the new states...
          const replayed = new Map(previous);
          for (const change of changes) {
            expect(change.before).toEqual(previous.get(change.key));
            expect(change.object).toBe(tracker.graph.get(change.key));
            if (change.after === undefined) replayed.delete(change.key);
            else replayed.set(change.key, change.after);
          }
          expect(sorted(replayed)).toEqual(sorted(full));
          // ...and every reported change is a real one.
          for (const change of changes) {
            expect(change.before !== undefined && change.after !== undefined && sameGate(change.before, change.after)).toBe(false);
          }
          previous = new Map(full);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("GateTracker built from objects equals computeGateStates, and replaceAll reports the differences", () => {
    fc.assert(
      fc.property(
        arbitraryUniverse(30).chain(({ universe, keys }) => fc.tuple(...keys.map((key) => arbitraryObject(key, universe)))),
        arbitraryUniverse(30).chain(({ universe, keys }) => fc.tuple(...keys.map((key) => arbitraryObject(key, universe)))),
        (first, second) => {
          const tracker = new GateTracker(first);
          expect(sorted(tracker.states())).toEqual(sorted(computeGateStates(buildGraph(first))));
          const before = new Map(tracker.states());
          const graph = tracker.graph;
          const changes = tracker.replaceAll(second);
          expect(tracker.graph).toBe(graph);
          expect(graph.size).toBe(second.length);
          const after = computeGateStates(buildGraph(second));
          expect(sorted(tracker.states())).toEqual(sorted(after));
          const replayed = new Map(before);
          for (const c of changes) {
            if (c.after === undefined) replayed.delete(c.key);
            else replayed.set(c.key, c.after);
          }
          expect(sorted(replayed)).toEqual(sorted(after));
        },
      ),
      { numRuns: 100 },
    );
  });

  /** Two object lists over one universe (so the second's edges reach the first's objects), and a kind of it. */
  const arbitraryReload = arbitraryUniverse(30).chain(({ universe, keys }) =>
    fc.tuple(
      fc.tuple(...keys.map((key) => arbitraryObject(key, universe))),
      fc.uniqueArray(fc.constantFrom(...universe), { maxLength: 30 }).chain((second) => fc.tuple(...second.map((key) => arbitraryObject(key, universe)))),
      fc.constantFrom(...new Set(universe.map((node) => node.slice(0, node.indexOf("/"))))),
      fc.array(fc.constantFrom(...universe).chain((key) => arbitraryObject(key, universe)), { maxLength: 8 }),
    ),
  );

  it("a bulk load (replaceKind per kind, as each kind's store loads) gives the same gates as one-by-one upserts, and stays correct after", () => {
    fc.assert(
      fc.property(arbitraryReload, ([objects, , , events]) => {
        const bulk = new GateTracker();
        const kinds = [...new Set(objects.map((obj) => obj.kind))];
        for (const kind of kinds) bulk.replaceKind(kind, objects.filter((obj) => obj.kind === kind));
        const oneByOne = new GateTracker();
        for (const obj of objects) oneByOne.upsert(obj);
        expect(sorted(bulk.states())).toEqual(sorted(oneByOne.states()));
        expect(bulk.cycleCount()).toBe(oneByOne.cycleCount());
        // Ranks and cycle components left by the bulk path carry the incremental path on.
        for (const obj of events) {
          bulk.upsert(obj);
          expect(sorted(bulk.states())).toEqual(sorted(computeGateStates(bulk.graph)));
          expect(bulk.cycleCount()).toBe(findCycles(bulk.graph).length);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("loading kind after kind (each list new objects) equals a fresh computation after each, and each load reports exactly the differences", () => {
    fc.assert(
      fc.property(arbitraryReload, ([objects, , , events]) => {
        const tracker = new GateTracker();
        const kinds = [...new Set(objects.map((obj) => obj.kind))];
        const loaded: FluxObject[] = [];
        for (const kind of kinds) {
          const before = new Map(tracker.states());
          const list = objects.filter((obj) => obj.kind === kind);
          const changes = tracker.replaceKind(kind, list);
          loaded.push(...list);
          const after = computeGateStates(buildGraph(loaded));
          expect(sorted(tracker.states())).toEqual(sorted(after));
          expect(tracker.cycleCount()).toBe(findCycles(tracker.graph).length);
          const replayed = new Map(before);
          for (const change of changes) {
            expect(change.before).toEqual(before.get(change.key));
            expect(change.before !== undefined && change.after !== undefined && sameGate(change.before, change.after)).toBe(false);
            if (change.after === undefined) replayed.delete(change.key);
            else replayed.set(change.key, change.after);
          }
          expect(sorted(replayed)).toEqual(sorted(after));
        }
        for (const obj of events) {
          tracker.upsert(obj);
          expect(sorted(tracker.states())).toEqual(sorted(computeGateStates(tracker.graph)));
          expect(tracker.cycleCount()).toBe(findCycles(tracker.graph).length);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("replaceKind keeps the other kinds' objects, equals a fresh computation, and reports exactly the differences", () => {
    fc.assert(
      fc.property(arbitraryReload, ([first, second, kind]) => {
        const tracker = new GateTracker(first);
        const before = new Map(tracker.states());
        const list = second.filter((obj) => obj.kind === kind);
        const others = first.filter((obj) => obj.kind !== kind);
        const changes = tracker.replaceKind(kind, list);
        for (const obj of others) expect(tracker.graph.get(`${obj.kind}/${obj.namespace}/${obj.name}`)).toBe(obj);
        expect(tracker.graph.size).toBe(others.length + list.length);
        const after = computeGateStates(buildGraph([...others, ...list]));
        expect(sorted(tracker.states())).toEqual(sorted(after));
        expect(tracker.cycleCount()).toBe(findCycles(tracker.graph).length);
        const replayed = new Map(before);
        for (const change of changes) {
          expect(change.before).toEqual(before.get(change.key));
          expect(change.object).toBe(tracker.graph.get(change.key));
          expect(change.before !== undefined && change.after !== undefined && sameGate(change.before, change.after)).toBe(false);
          if (change.after === undefined) replayed.delete(change.key);
          else replayed.set(change.key, change.after);
        }
        expect(sorted(replayed)).toEqual(sorted(after));
        expect(new Set(changes.map((change) => change.key)).size).toBe(changes.length);
      }),
      { numRuns: 200 },
    );
  });

  it("a 5,000-object cycle: one root cause and one message for every member, each gate's state bounded", () => {
    const n = 5000;
    const objects = Array.from({ length: n }, (_, i) => release(`default/c${String(i).padStart(4, "0")}`, { dependsOn: [`c${String((i + 1) % n).padStart(4, "0")}`], status: "progressing" }));
    const states = computeGateStates(buildGraph(objects));
    const messages = new Set<string>();
    for (const gate of states.values()) {
      if (gate.state !== "blocked") throw new Error("every member is blocked");
      expect(gate).toMatchObject({ reason: "Cycle", rootCause: "HelmRelease/default/c0000", onCycle: true });
      expect(gate.tail.length).toBeLessThanOrEqual(PATH_TAIL);
      messages.add(gate.rootCauseMessage);
    }
    expect([...messages]).toEqual([expect.stringContaining("… 4988 more …")]);
    const c0001 = states.get("HelmRelease/default/c0001")!;
    expect(c0001.state === "blocked" && c0001.depth).toBe(4999 + 5000);
  });

  it("a deep chain (depth 3000) is computed without recursion", () => {
    const graph = new DependencyGraph();
    for (let i = 0; i < 3000; i++) graph.upsert(release(`default/r${i}`, { dependsOn: i > 0 ? [`r${i - 1}`] : [], status: i === 0 ? "failed" : "progressing" }));
    const top = computeGateStates(graph).get("HelmRelease/default/r2999");
    expect(top).toMatchObject({ reason: "Failed", rootCause: "HelmRelease/default/r0" });
    expect(top?.state === "blocked" && top.depth).toBe(2999);
  });
});
