// ResourceSet gates (docs/behaviour.md, Gate states; "Kinds outside Flux"): examples, and property tests
// of computeGateStates and GateTracker against a naive oracle over graphs whose ResourceSets also depend
// on Deployments and a custom kind that only an ExternalObjects view knows.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbitraryObject, buildGraph } from "./arbitraries.test-support.js";
import type { ExternalObject, ExternalObjects, ExternalState } from "./external-objects.js";
import { computeGateStates, GateTracker, sameGate } from "./gates.js";
import { externalNotWatchedMessage, missingMessage, readyExprMessage } from "./messages.js";
import { compileObjectReadyExpr } from "./ready-expr.js";
import { healthOf, resourceSetNotReadyMessage, resourceSetVerdict } from "./readiness.js";
import { resolveDependencies, splitNodeKey } from "./refs.js";
import { expandedGates, oracleCycles } from "./oracle-cycles.test-support.js";
import type { OracleGate } from "./oracle-cycles.test-support.js";
import { release } from "./test-helpers.test-support.js";
import type { StatusName } from "./test-helpers.test-support.js";
import type { BlockedReason, DependencyEntry, FluxObject, GateState, NodeKey } from "./types.js";

/** A ResourceSet; its entries name the ResourceSet's own namespace unless they say otherwise (the operator never defaults it). */
function rset(key: string, dependsOn: DependencyEntry[], status: StatusName = "progressing"): FluxObject {
  const namespace = key.slice(0, key.indexOf("/"));
  const entries = dependsOn.map((entry) => (entry.namespace === undefined ? { ...entry, namespace } : entry));
  return { ...release(key, { kind: "ResourceSet", dependsOn: entries, status }), apiVersion: "fluxcd.controlplane.io/v1" };
}

function deployment(namespace: string, name: string, available: boolean | "deadline"): ExternalObject {
  const conditions =
    available === "deadline"
      ? [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "ReplicaSet web has timed out progressing." }]
      : [
          { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: "" },
          { type: "Available", status: available ? "True" : "False", reason: "MinimumReplicasAvailable", message: "" },
        ];
  const replicas = available === true ? 1 : 0;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    namespace,
    name,
    generation: 1,
    spec: { replicas: 1, progressDeadlineSeconds: 600 },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: replicas, availableReplicas: replicas, conditions },
  };
}

class MapView implements ExternalObjects {
  readonly states = new Map<NodeKey, ExternalState>();
  stateOf(node: NodeKey): ExternalState {
    return this.states.get(node) ?? { known: false, why: externalNotWatchedMessage(splitNodeKey(node).kind) };
  }
}

describe("ResourceSet gates: examples", () => {
  it("blocks on a failed HelmRelease with reason Failed and names it as root cause when ready: true", () => {
    const objects = [
      release("apps/redis", { status: "failed", message: "install retries exhausted" }),
      rset("apps/platform", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", ready: true }]),
    ];
    expect(computeGateStates(buildGraph(objects)).get("ResourceSet/apps/platform")).toEqual({
      state: "blocked",
      reason: "Failed",
      rootCause: "HelmRelease/apps/redis",
      rootCauseMessage: "install retries exhausted",
      via: "HelmRelease/apps/redis", depth: 1, tail: ["HelmRelease/apps/redis"],
    });
  });

  it("asks only for existence without ready: true, even when the entry has a readyExpr", () => {
    const objects = [
      release("apps/redis", { status: "failed" }),
      rset("apps/platform", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", readyExpr: "false" }]),
    ];
    expect(computeGateStates(buildGraph(objects)).get("ResourceSet/apps/platform")).toEqual({ state: "open" });
  });

  it("judges ready: true by kstatus: Ready but still reconciling blocks, as the operator sees it", () => {
    const objects = [
      release("apps/redis", { status: "reconciling" }),
      rset("apps/platform", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", ready: true }]),
    ];
    expect(computeGateStates(buildGraph(objects)).get("ResourceSet/apps/platform")).toMatchObject({
      reason: "NotReady",
      rootCauseMessage: "status InProgress: Running 'upgrade' action",
    });
  });

  it("evaluates readyExpr over the dependency's own fields", () => {
    const entry = (readyExpr: string): DependencyEntry => ({ apiVersion: "apps/v1", kind: "Deployment", name: "web", ready: true, readyExpr });
    const view = new MapView();
    view.states.set("Deployment/apps/web", { known: true, object: deployment("apps", "web", false) });
    const gate = (readyExpr: string): GateState | undefined =>
      computeGateStates(buildGraph([rset("apps/platform", [entry(readyExpr)])]), undefined, view).get("ResourceSet/apps/platform");
    expect(gate("status.readyReplicas == 0 && metadata.name == 'web'")).toEqual({ state: "open" });
    expect(gate("status.availableReplicas >= 1")).toMatchObject({ reason: "NotReady", rootCauseMessage: "not ready according to readyExpr" });
    expect(gate("status.nope == 1")).toMatchObject({ reason: "NotReady", rootCause: "Deployment/apps/web" });
    expect(gate("dep.status.x")).toMatchObject({ rootCauseMessage: expect.stringContaining("readyExpr cannot be evaluated") });
    expect(gate("1 +")).toMatchObject({ rootCauseMessage: expect.stringContaining("dependsOn[0].readyExpr does not compile") });
  });

  it("opens on a Deployment once it is available, is Missing while it does not exist, and says why it cannot judge an unwatched kind", () => {
    const objects = [rset("apps/platform", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", ready: true }])];
    const view = new MapView();
    const tracker = new GateTracker(objects, view);
    expect(tracker.state("ResourceSet/apps/platform")).toMatchObject({ reason: "NotReady", rootCauseMessage: externalNotWatchedMessage("Deployment") });
    view.states.set("Deployment/apps/web", { known: true, object: undefined });
    expect(tracker.externalKindChanged("Deployment")).toHaveLength(1);
    expect(tracker.state("ResourceSet/apps/platform")).toMatchObject({ reason: "Missing", rootCauseMessage: missingMessage("Deployment", "apps/web") });
    view.states.set("Deployment/apps/web", { known: true, object: deployment("apps", "web", false) });
    tracker.externalChanged("Deployment/apps/web");
    expect(tracker.state("ResourceSet/apps/platform")).toMatchObject({ reason: "NotReady", rootCauseMessage: "status InProgress: Available: 0/1" });
    view.states.set("Deployment/apps/web", { known: true, object: deployment("apps", "web", "deadline") });
    tracker.externalChanged("Deployment/apps/web");
    expect(tracker.state("ResourceSet/apps/platform")).toMatchObject({ reason: "Failed", rootCauseMessage: "status Failed: Progress deadline exceeded" });
    view.states.set("Deployment/apps/web", { known: true, object: deployment("apps", "web", true) });
    const changes = tracker.externalChanged("Deployment/apps/web");
    expect(changes).toEqual([{ key: "ResourceSet/apps/platform", kind: "ResourceSet", before: expect.objectContaining({ reason: "Failed" }), after: { state: "open" }, object: expect.objectContaining({ name: "platform" }) }]);
    expect(tracker.externalKinds()).toEqual(new Map([["Deployment", new Map([["apps/v1", 1]])]]));
    // The namespaces the entries name (this helper gives each entry its ResourceSet's), counted per entry.
    expect(tracker.externalNamespaces()).toEqual(new Map([["Deployment", new Map([["apps", 1]])]]));
    const version = tracker.externalKindsVersion;
    tracker.upsert(rset("apps/two", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "team-a" }, { apiVersion: "apps/v1", kind: "Deployment", name: "api", namespace: "team-a" }]));
    expect(tracker.externalNamespaces()).toEqual(new Map([["Deployment", new Map([["apps", 1], ["team-a", 2]])]]));
    expect(tracker.externalKindsVersion).toBeGreaterThan(version);
    tracker.remove("ResourceSet/apps/two");
    expect(tracker.externalNamespaces()).toEqual(new Map([["Deployment", new Map([["apps", 1]])]]));
  });

  it("gives a ResourceSet's dependents its own readiness from its Ready condition", () => {
    const objects = [
      release("apps/redis", { status: "failed" }),
      rset("apps/infra", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", ready: true }], "progressing"),
      rset("apps/apps", [{ apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", name: "infra", ready: true }]),
    ];
    expect(computeGateStates(buildGraph(objects)).get("ResourceSet/apps/apps")).toMatchObject({
      reason: "Failed",
      rootCause: "HelmRelease/apps/redis",
      via: "ResourceSet/apps/infra", depth: 2, tail: ["ResourceSet/apps/infra", "HelmRelease/apps/redis"],
    });
    // The operator's check of its own kinds reads each Ready condition's observedGeneration, which it always writes.
    const infra = rset("apps/infra", [], "ready");
    infra.status!.conditions = infra.status!.conditions!.map((c) => ({ ...c, observedGeneration: infra.generation! }));
    const ready = [objects[0]!, infra, objects[2]!];
    expect(computeGateStates(buildGraph(ready)).get("ResourceSet/apps/apps")).toEqual({ state: "open" });
  });
});

// ---------------------------------------------------------------------------------------------
// Oracle: the gate rules applied naively, ResourceSet entries and outside kinds included. Readiness
// of an outside object is written out here for the shapes the generator makes.

const PRECEDENCE: Record<BlockedReason, number> = { Cycle: 5, Missing: 4, Failed: 3, NotReady: 2, Suspended: 1 };

/** The generator's outside objects and what the operator's check says of each (kstatus). */
const EXTERNAL_SHAPES: { make: (ns: string, name: string) => ExternalObject; kstatus: "Current" | "InProgress" | "Failed" }[] = [
  { make: (ns, name) => deployment(ns, name, true), kstatus: "Current" },
  { make: (ns, name) => deployment(ns, name, false), kstatus: "InProgress" },
  { make: (ns, name) => deployment(ns, name, "deadline"), kstatus: "Failed" },
  {
    make: (ns, name) => ({ apiVersion: "example.io/v1", kind: "Widget", namespace: ns, name, status: { conditions: [{ type: "Ready", status: "True" }] } }),
    kstatus: "Current",
  },
  {
    make: (ns, name) => ({ apiVersion: "example.io/v1", kind: "Widget", namespace: ns, name, status: { conditions: [{ type: "Ready", status: "False", message: "warming up" }] } }),
    kstatus: "InProgress",
  },
];

function oracleGates(objects: readonly FluxObject[], view: ExternalObjects): Map<NodeKey, OracleGate> {
  const byKey = new Map<NodeKey, FluxObject>();
  for (const obj of objects) byKey.set(`${obj.kind}/${obj.namespace}/${obj.name}`, obj);
  const isGraph = (node: NodeKey): boolean => ["HelmRelease", "Kustomization", "ResourceSet"].includes(splitNodeKey(node).kind);
  const { depsOf, reachesItself, cycleGate } = oracleCycles(byKey);

  const memo = new Map<NodeKey, OracleGate>();
  const gate = (k: NodeKey): OracleGate => {
    const known = memo.get(k);
    if (known !== undefined) return known;
    let result: OracleGate;
    const obj = byKey.get(k)!;
    if (reachesItself(k)) {
      result = cycleGate(k);
    } else if (obj.kind === "ResourceSet" && obj.dependsOn.some((e) => e.ready === true && e.readyExpr !== undefined && !compileObjectReadyExpr(e.readyExpr).ok)) {
      // The operator compiles the expressions before reading any dependency: the ResourceSet stalls itself.
      const index = obj.dependsOn.findIndex((e) => e.ready === true && e.readyExpr !== undefined && !compileObjectReadyExpr(e.readyExpr).ok);
      const compiled = compileObjectReadyExpr(obj.dependsOn[index]!.readyExpr!);
      result = { state: "blocked", reason: "Failed", rootCause: k, rootCauseMessage: readyExprMessage(index, compiled.ok ? "" : compiled.error), path: [] };
    } else {
      const missing = depsOf(k).find((d) => {
        if (byKey.has(d)) return false;
        if (isGraph(d)) return true;
        const s = view.stateOf(d);
        return s.known && s.object === undefined;
      });
      if (missing !== undefined) {
        const { kind, namespace, name } = splitNodeKey(missing);
        result = { state: "blocked", reason: "Missing", rootCause: missing, rootCauseMessage: missingMessage(kind, namespace === "" ? name : `${namespace}/${name}`), path: [missing] };
      } else {
        const candidates: { reason: BlockedReason; rootCause: NodeKey; message: string; path: NodeKey[]; d: NodeKey }[] = [];
        const seen = new Set<NodeKey>();
        for (const entry of resolveDependencies(obj)) {
          const dep = byKey.get(entry.node);
          if (dep === undefined) {
            const s = view.stateOf(entry.node);
            if (s.known) {
              if (obj.kind === "ResourceSet" && entry.ready !== true) continue;
              const verdict = resourceSetVerdict(s.object!, entry, obj.namespace);
              // Without a readyExpr the verdict is kstatus's: check it against what the generator made.
              if (entry.readyExpr === undefined) {
                const shape = EXTERNAL_SHAPES.find((x) => JSON.stringify(x.make(s.object!.namespace, s.object!.name)) === JSON.stringify(s.object));
                expect(verdict.ready ? "Current" : verdict.failed ? "Failed" : "InProgress").toBe(shape!.kstatus);
              }
              if (verdict.ready || seen.has(entry.node)) continue;
              seen.add(entry.node);
              candidates.push({ reason: verdict.failed ? "Failed" : "NotReady", rootCause: entry.node, message: verdict.message, path: [entry.node], d: entry.node });
            } else {
              if (seen.has(entry.node)) continue;
              seen.add(entry.node);
              candidates.push({ reason: "NotReady", rootCause: entry.node, message: s.why, path: [entry.node], d: entry.node });
            }
            continue;
          }
          if (obj.kind !== "ResourceSet") throw new Error("the generator makes only ResourceSets here");
          if (entry.ready !== true) continue;
          if (resourceSetVerdict(dep, entry, obj.namespace).ready || seen.has(entry.node)) continue;
          seen.add(entry.node);
          const g = gate(entry.node);
          if (g.state === "blocked") {
            candidates.push({ reason: g.reason, rootCause: g.rootCause, message: g.rootCauseMessage, path: [entry.node, ...g.path], d: entry.node });
          } else {
            const h = healthOf(dep);
            const reason: BlockedReason = h === "failed" ? "Failed" : h === "suspended" ? "Suspended" : "NotReady";
            candidates.push({ reason, rootCause: entry.node, message: resourceSetNotReadyMessage(dep, entry, obj.namespace), path: [entry.node], d: entry.node });
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
        result = best === undefined ? { state: "open" } : { state: "blocked", reason: best.reason, rootCause: best.rootCause, rootCauseMessage: best.message, path: best.path };
      }
    }
    memo.set(k, result);
    return result;
  };
  const all = new Map<NodeKey, OracleGate>();
  for (const k of [...byKey.keys()].sort()) all.set(k, gate(k));
  return all;
}

const NAMES = ["a", "b", "c", "d", "e"];
const RESOURCE_SETS = ["apps", "infra"].flatMap((ns) => NAMES.map((n) => `ResourceSet/${ns}/${n}`));
const OUTSIDE = ["apps", "infra"].flatMap((ns) => ["web", "db"].flatMap((n) => [`Deployment/${ns}/${n}`, `Widget/${ns}/${n}`]));
const UNIVERSE = [...RESOURCE_SETS, ...OUTSIDE, "HelmRelease/apps/a"];

/** What the view says of one outside node: absent, one of the shapes, or that it cannot tell. */
const arbitraryState = (node: NodeKey): fc.Arbitrary<ExternalState> => {
  const { kind, namespace, name } = splitNodeKey(node);
  const shapes = EXTERNAL_SHAPES.filter((shape) => shape.make(namespace, name).kind === kind);
  return fc.oneof(
    fc.constant<ExternalState>({ known: true, object: undefined }),
    fc.constantFrom(...shapes).map((shape): ExternalState => ({ known: true, object: shape.make(namespace, name) })),
    fc.constant<ExternalState>({ known: false, why: `cannot judge ${kind}` }),
  );
};

const arbitraryView = fc.tuple(...OUTSIDE.map(arbitraryState)).map((states) => {
  const view = new MapView();
  OUTSIDE.forEach((node, i) => view.states.set(node, states[i]!));
  return view;
});

const arbitraryResourceSets = fc.uniqueArray(fc.constantFrom(...RESOURCE_SETS), { maxLength: 10 }).chain((keys) => fc.tuple(...keys.map((key) => arbitraryObject(key, UNIVERSE))));

function sorted<T>(states: ReadonlyMap<NodeKey, T>): [NodeKey, T][] {
  return [...states].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

describe("ResourceSet gates against the naive oracle", () => {
  it("computeGateStates equals the rules applied naively, outside kinds included", () => {
    fc.assert(
      fc.property(arbitraryResourceSets, arbitraryView, (objects, view) => {
        expect(sorted(expandedGates(computeGateStates(buildGraph(objects), undefined, view)))).toEqual(sorted(oracleGates(objects, view)));
      }),
      { numRuns: 300 },
    );
  });

  type Op = { op: "upsert"; obj: FluxObject } | { op: "remove"; key: NodeKey } | { op: "external"; node: NodeKey; state: ExternalState } | { op: "kind"; kind: string; known: boolean };

  const arbitraryOps: fc.Arbitrary<Op[]> = fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...RESOURCE_SETS).chain((key) => arbitraryObject(key, UNIVERSE)).map((obj): Op => ({ op: "upsert", obj })) },
      { weight: 1, arbitrary: fc.constantFrom(...RESOURCE_SETS).map((key): Op => ({ op: "remove", key })) },
      { weight: 3, arbitrary: fc.constantFrom(...OUTSIDE).chain((node) => arbitraryState(node).map((state): Op => ({ op: "external", node, state }))) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("Deployment", "Widget"), known: fc.boolean() }).map((r): Op => ({ op: "kind", ...r })) },
    ),
    { minLength: 1, maxLength: 40 },
  );

  it("GateTracker equals computeGateStates after every step, external changes included, and reports exactly the differences", () => {
    fc.assert(
      fc.property(arbitraryOps, (ops) => {
        const view = new MapView();
        const tracker = new GateTracker([], view);
        let previous = new Map<NodeKey, GateState>();
        for (const step of ops) {
          let changes;
          if (step.op === "upsert") changes = tracker.upsert(step.obj);
          else if (step.op === "remove") changes = tracker.remove(step.key);
          else if (step.op === "external") {
            view.states.set(step.node, step.state);
            changes = tracker.externalChanged(step.node);
          } else {
            for (const node of OUTSIDE) {
              if (splitNodeKey(node).kind !== step.kind) continue;
              if (step.known) view.states.set(node, { known: true, object: undefined });
              else view.states.set(node, { known: false, why: `not watching ${step.kind}` });
            }
            changes = tracker.externalKindChanged(step.kind);
          }
          const full = computeGateStates(tracker.graph, undefined, view);
          expect(sorted(tracker.states())).toEqual(sorted(full));
          expect(sorted(expandedGates(full))).toEqual(sorted(oracleGates([...tracker.graph.values()], view)));
          const replayed = new Map(previous);
          for (const change of changes) {
            expect(change.before).toEqual(previous.get(change.key));
            expect(change.before !== undefined && change.after !== undefined && sameGate(change.before, change.after)).toBe(false);
            if (change.after === undefined) replayed.delete(change.key);
            else replayed.set(change.key, change.after);
          }
          expect(sorted(replayed)).toEqual(sorted(full));
          previous = new Map(full);
        }
      }),
      { numRuns: 200 },
    );
  });
});
