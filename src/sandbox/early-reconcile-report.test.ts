import { describe, expect, it } from "vitest";
import { EarlyReconcileReport } from "./early-reconcile-report.js";
import type { ReconcileEvent } from "./simulated-flux.js";

const ev = (trigger: ReconcileEvent["trigger"], outcome: ReconcileEvent["outcome"], at: number): ReconcileEvent => ({
  kind: "HelmRelease",
  namespace: "default",
  name: "backend",
  trigger,
  outcome,
  at,
});

describe("EarlyReconcileReport", () => {
  it("reports an object reconciled on request after waiting, with the poll Flux alone would have made", () => {
    const report = new EarlyReconcileReport(30_000);
    expect(report.add(ev("changed", "waiting", 1000))).toBeUndefined();
    expect(report.add(ev("requested", "installing", 3500))).toBeUndefined();
    expect(report.add(ev("requested", "ready", 5500))).toBe(
      "HelmRelease default/backend waited 2.5 s for its dependencies; gate opened → reconcile requested → Ready 2.0 s later (Flux alone would have polled 27.5 s later)",
    );
  });

  it("counts Flux's next poll from its latest check, however long the object waited", () => {
    const report = new EarlyReconcileReport(30_000);
    expect(report.add(ev("changed", "waiting", 0))).toBeUndefined();
    expect(report.add(ev("poll", "waiting", 30_000))).toBeUndefined();
    expect(report.add(ev("poll", "waiting", 60_000))).toBeUndefined();
    expect(report.add(ev("requested", "installing", 72_000))).toBeUndefined();
    expect(report.add(ev("requested", "ready", 73_000))).toBe(
      "HelmRelease default/backend waited 72.0 s for its dependencies; gate opened → reconcile requested → Ready 1.0 s later (Flux alone would have polled 18.0 s later)",
    );
  });

  it("says nothing for an object that never waited, or that Flux's own poll reconciled", () => {
    const report = new EarlyReconcileReport(30_000);
    expect(report.add(ev("changed", "installing", 0))).toBeUndefined();
    expect(report.add(ev("changed", "ready", 10))).toBeUndefined();
    expect(report.add(ev("changed", "waiting", 20))).toBeUndefined();
    expect(report.add(ev("poll", "installing", 30_020))).toBeUndefined();
    expect(report.add(ev("poll", "ready", 30_030))).toBeUndefined();
  });
});
