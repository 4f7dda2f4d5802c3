import { describe, expect, it } from "vitest";
import type { BlockedGate, GateState } from "../graph/types.js";
import type { ComputedSeries } from "../metrics/computed-gauge.js";
import { createMetrics } from "../metrics/metrics.js";
import { GateMetrics } from "./gate-metrics.js";

const failed: BlockedGate = { state: "blocked", reason: "Failed", rootCause: "default/redis", rootCauseMessage: "install retries exhausted", via: "default/redis", depth: 1, tail: ["default/redis"] };
const notReady: GateState = { ...failed, reason: "NotReady", rootCauseMessage: "not ready yet" };

async function series(metrics: ReturnType<typeof createMetrics>, name: string) {
  const all = await metrics.registry.getMetricsAsJSON();
  return all.find((m) => m.name === name)?.values ?? [];
}

describe("GateMetrics", () => {
  it("keeps one release_blocked series per blocked object, replaced when the reason changes and removed when open", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const gm = new GateMetrics(metrics, "HelmRelease");
    gm.apply("default/backend", undefined, failed, 0);
    expect(await series(metrics, "releasegate_release_blocked")).toEqual([
      { value: 1, labels: { kind: "HelmRelease", namespace: "default", name: "backend", reason: "Failed", root_cause: "default/redis" } },
    ]);
    gm.apply("default/backend", failed, notReady, 1000);
    expect((await series(metrics, "releasegate_release_blocked")).map((s) => s.labels.reason)).toEqual(["NotReady"]);
    gm.apply("default/backend", notReady, { state: "open" }, 2000);
    expect(await series(metrics, "releasegate_release_blocked")).toEqual([]);
    const left: ComputedSeries<"kind" | "namespace" | "name">[] = [];
    gm.blockedSeconds(3000, left);
    expect(left).toEqual([]);
  });

  it("counts objects by state, every state present from the start, written once per batch", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const gm = new GateMetrics(metrics, "HelmRelease");
    gm.apply("default/redis", undefined, { state: "open" }, 0);
    gm.apply("default/backend", undefined, failed, 0);
    gm.apply("default/api", undefined, failed, 0);
    gm.apply("default/api", failed, undefined, 0);
    expect(Object.fromEntries((await series(metrics, "releasegate_releases")).map((s) => [s.labels.state, s.value]))).toMatchObject({ open: 0, Failed: 0 });
    gm.publishCounts();
    const byState = Object.fromEntries((await series(metrics, "releasegate_releases")).map((s) => [s.labels.state, s.value]));
    expect(byState).toEqual({ open: 1, Cycle: 0, Missing: 0, Failed: 1, NotReady: 0, Suspended: 0 });
  });

  it("measures blocked seconds from the first blocked state, across reason changes", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const gm = new GateMetrics(metrics, "HelmRelease");
    gm.apply("default/backend", undefined, notReady, 10_000);
    gm.apply("default/backend", notReady, failed, 15_000);
    metrics.releaseBlockedSeconds.addSource((into) => gm.blockedSeconds(40_000, into));
    expect(await series(metrics, "releasegate_release_blocked_seconds")).toEqual([
      { value: 30, labels: { kind: "HelmRelease", namespace: "default", name: "backend" } },
    ]);
  });
});
