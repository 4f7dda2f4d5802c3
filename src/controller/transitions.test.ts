import { describe, expect, it } from "vitest";
import { release } from "../graph/test-helpers.test-support.js";
import type { BlockedGate, FluxObject, GateState } from "../graph/types.js";
import { decideTransition, eventFor, mayRequestReconcile } from "./transitions.js";

const open: GateState = { state: "open" };
const failed: BlockedGate = {
  state: "blocked",
  reason: "Failed",
  rootCause: "default/redis",
  rootCauseMessage: "install retries exhausted",
  via: "default/redis",
  depth: 1,
  tail: ["default/redis"],
};
const cycle: GateState = {
  state: "blocked",
  reason: "Cycle",
  rootCause: "default/backend",
  rootCauseMessage: "dependency cycle default/backend → default/redis → default/backend",
  via: "default/redis",
  depth: 1,
  tail: ["default/redis"],
};
const missing: GateState = {
  state: "blocked",
  reason: "Missing",
  rootCause: "default/redsi",
  rootCauseMessage: "HelmRelease default/redsi does not exist",
  via: "default/redsi",
  depth: 1,
  tail: ["default/redsi"],
};

function waiting(extra: Partial<FluxObject> = {}): FluxObject {
  const obj = release("default/backend", { dependsOn: ["redis"], status: "none" });
  obj.status = {
    observedGeneration: 1,
    conditions: [{ type: "Ready", status: "False", reason: "DependencyNotReady", message: "dependency 'default/redis' is not ready" }],
  };
  return { ...obj, ...extra };
}

describe("decideTransition", () => {
  it("records no new Event when only an installing dependency's progress message changes, but does for a new failure message", () => {
    const installing: GateState = { ...failed, reason: "NotReady", rootCauseMessage: "Running 'install' action with timeout of 5m0s" };
    const stillInstalling: GateState = { ...installing, rootCauseMessage: "Helm install in progress" };
    expect(decideTransition({ before: installing, after: stillInstalling, object: waiting() }).event).toBeUndefined();
    const failedAgain: GateState = { ...failed, rootCauseMessage: "upgrade retries exhausted" };
    expect(decideTransition({ before: failed, after: failedAgain, object: waiting() }).event?.note).toContain("upgrade retries exhausted");
    expect(decideTransition({ before: installing, after: failed, object: waiting() }).event?.reason).toBe("DependencyBlocked");
  });

  it("records a new Event when releasegate comes to see a dependency it could not judge, or stops seeing it", () => {
    const listing: GateState = { ...failed, reason: "NotReady", rootCause: "ConfigMap/gates/switch", rootCauseMessage: "cannot judge yet: the watch on ConfigMap objects has not listed them yet" };
    const judged: GateState = { ...listing, rootCauseMessage: "not ready according to readyExpr" };
    expect(decideTransition({ before: listing, after: judged, object: waiting() }).event?.note).toBe("blocked by ConfigMap gates/switch: not ready according to readyExpr");
    const forbidden: GateState = { ...listing, rootCauseMessage: "cannot judge: releasegate may not list configmaps (RBAC get, list and watch on configmaps are missing): set the chart value externalKinds.rules (add configmaps)" };
    expect(decideTransition({ before: judged, after: forbidden, object: waiting() }).event?.note).toContain("may not list configmaps");
    expect(decideTransition({ before: forbidden, after: forbidden, object: waiting() }).event).toBeUndefined();
  });

  it("records no Event while releasegate's cache is still listing a kind; the opening after it is recorded and asks for the reconcile", () => {
    const listing: GateState = { ...failed, reason: "NotReady", rootCause: "ConfigMap/gates/switch", rootCauseMessage: "cannot judge yet: the watch on ConfigMap objects has not listed them yet" };
    expect(decideTransition({ before: undefined, after: listing, object: waiting() }).event).toBeUndefined();
    const opened = decideTransition({ before: listing, after: open, object: waiting(), dependencies: ["ConfigMap gates/switch"] });
    expect(opened).toMatchObject({ event: { reason: "GateOpened", note: "gate open: dependency ConfigMap gates/switch is Ready" }, opened: true, requestReconcile: true });
  });

  it("requests a reconcile when a waiting object's gate opens", () => {
    const actions = decideTransition({ before: failed, after: open, object: waiting(), dependencies: ["default/redis"] });
    expect(actions).toMatchObject({ opened: true, requestReconcile: true, skippedSuspended: false });
    expect(actions.event).toEqual({
      type: "Normal",
      reason: "GateOpened",
      action: "CheckDependencies",
      note: "gate open: dependency default/redis is Ready",
    });
  });

  it("records the opening but asks nothing of an object that is not waiting (already Ready)", () => {
    const actions = decideTransition({ before: failed, after: open, object: release("default/backend", { dependsOn: ["redis"] }) });
    expect(actions.opened).toBe(true);
    expect(actions.requestReconcile).toBe(false);
    expect(actions.event?.reason).toBe("GateOpened");
  });

  it("never asks a suspended object, and says it skipped it", () => {
    const actions = decideTransition({ before: failed, after: open, object: waiting({ suspend: true }) });
    expect(actions).toMatchObject({ requestReconcile: false, skippedSuspended: true });
  });

  it("never asks an object being deleted", () => {
    expect(decideTransition({ before: failed, after: open, object: waiting({ deleting: true }) }).requestReconcile).toBe(false);
  });

  it("does nothing for an object first seen open, or for an unchanged state", () => {
    expect(decideTransition({ before: undefined, after: open, object: waiting() })).toMatchObject({ event: undefined, requestReconcile: false });
    expect(decideTransition({ before: failed, after: { ...failed, tail: [...failed.tail] }, object: waiting() }).event).toBeUndefined();
  });

  it("names the root cause in the blocked Event", () => {
    const event = decideTransition({ before: open, after: failed, object: waiting() }).event;
    expect(event).toMatchObject({ type: "Warning", reason: "DependencyBlocked" });
    expect(event?.note).toContain("blocked by default/redis: install retries exhausted");
  });

  it("reports a blocked object first seen (a pre-existing problem)", () => {
    expect(decideTransition({ before: undefined, after: cycle, object: waiting() }).event?.reason).toBe("DependencyCycle");
    expect(decideTransition({ before: undefined, after: missing, object: waiting() }).event?.reason).toBe("DependencyMissing");
  });

  it("says nothing about an object that is gone", () => {
    expect(decideTransition({ before: failed, after: undefined, object: undefined }).event).toBeUndefined();
  });
});

describe("eventFor", () => {
  it("marks waiting on a progressing or suspended dependency as Normal, problems as Warning", () => {
    const notReady: GateState = { ...failed, reason: "NotReady", rootCauseMessage: "not ready yet" };
    const suspended: GateState = { ...failed, reason: "Suspended", rootCauseMessage: "suspended" };
    expect(eventFor(notReady).type).toBe("Normal");
    expect(eventFor(suspended).type).toBe("Normal");
    expect(eventFor(cycle).type).toBe("Warning");
    expect(eventFor(missing).note).toContain("default/redsi");
  });
});

describe("mayRequestReconcile", () => {
  it("is true only for an object waiting on dependencies, not suspended, not deleting", () => {
    expect(mayRequestReconcile(waiting())).toBe(true);
    expect(mayRequestReconcile(waiting({ suspend: true }))).toBe(false);
    expect(mayRequestReconcile(release("default/backend", { status: "failed" }))).toBe(false);
  });
});

describe("decideTransition for a ResourceSet", () => {
  const rsBlocked: GateState = {
    state: "blocked",
    reason: "Failed",
    rootCause: "HelmRelease/default/redis",
    rootCauseMessage: "install retries exhausted",
    via: "HelmRelease/default/redis",
  depth: 1,
  tail: ["HelmRelease/default/redis"],
  };
  const platform = (extra: Partial<FluxObject> = {}): FluxObject => ({
    kind: "ResourceSet",
    apiVersion: "fluxcd.controlplane.io/v1",
    namespace: "default",
    name: "platform",
    generation: 1,
    dependsOn: [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", ready: true }],
    // The operator's words while it waits: Ready=False, DependencyNotReady, "Retrying dependency check: ...".
    status: { observedGeneration: 1, conditions: [{ type: "Ready", status: "False", reason: "DependencyNotReady", message: "Retrying dependency check: dependency helm.toolkit.fluxcd.io/v2/HelmRelease/default/redis not ready" }] },
    ...extra,
  });

  it("names the root cause of another kind with its kind in the Event, and asks the operator to reconcile when the gate opens", () => {
    expect(decideTransition({ before: undefined, after: rsBlocked, object: platform() }).event).toEqual({
      type: "Warning",
      reason: "DependencyBlocked",
      action: "CheckDependencies",
      note: "blocked by HelmRelease default/redis: install retries exhausted",
    });
    expect(decideTransition({ before: rsBlocked, after: open, object: platform() })).toMatchObject({ opened: true, requestReconcile: true, skippedSuspended: false });
  });

  it("never asks a ResourceSet whose reconciliation is disabled (decoded as suspended)", () => {
    expect(decideTransition({ before: rsBlocked, after: open, object: platform({ suspend: true }) })).toMatchObject({ opened: true, requestReconcile: false, skippedSuspended: true });
  });
});
