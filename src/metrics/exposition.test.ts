import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from "prom-client";
import { describe, expect, it } from "vitest";
import { prometheusText } from "./exposition.js";
import { createMetrics } from "./metrics.js";

describe("prometheusText", () => {
  it("writes what prom-client writes, for every metric type, escapes and odd values included", async () => {
    const registry = new Registry();
    const registers = [registry];
    const counter = new Counter({ name: "c_total", help: 'a help with a \\ backslash,\na newline and "quotes"', labelNames: ["a", "b"] as const, registers });
    counter.inc({ a: "x", b: 'quote " backslash \\ newline \n end' }, 3);
    counter.inc({ b: "only b" });
    new Counter({ name: "no_series_total", help: "none", labelNames: ["a"] as const, registers });
    new Counter({ name: "plain_total", help: "no labels", registers }).inc(0.1 + 0.2);
    const gauge = new Gauge({ name: "g", help: "gauge", labelNames: ["kind", "le"] as const, registers });
    gauge.set({ kind: "nan" }, NaN);
    gauge.set({ kind: "inf" }, Infinity);
    gauge.set({ kind: "-inf", le: "1" }, -Infinity);
    gauge.set({ kind: "big" }, 1e21);
    gauge.set({ kind: "small" }, -1.5e-7);
    gauge.set({ kind: "ünïcödé ✓ 🚀" }, 2);
    const histogram = new Histogram({ name: "h_seconds", help: "histogram", labelNames: ["source"] as const, buckets: [0.001, 0.5, 2], registers });
    histogram.observe({ source: "memory" }, 0.0004);
    histogram.observe({ source: "reads" }, 3);
    histogram.observe({ source: "memory" }, 0.7);
    new Histogram({ name: "h_empty", help: "no observations", buckets: [1], registers });
    new Histogram({ name: "h_unlabelled", help: "unlabelled", buckets: [1, 2], registers }).observe(1.5);
    const summary = new Summary({ name: "s", help: "summary", labelNames: ["x"] as const, percentiles: [0.5, 0.99], registers });
    for (let i = 0; i < 50; i++) summary.observe({ x: "1" }, i);

    expect((await prometheusText(registry)).toString()).toBe(await registry.metrics());
  });

  it("writes releasegate's own registry as prom-client does, with thousands of blocked releases", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 3000; i++) {
      metrics.releaseBlocked.set({ kind: "HelmRelease", namespace: "default", name: `app-${i}`, reason: "Failed", root_cause: "default/base" }, 1);
    }
    metrics.releaseBlockedSeconds.addSource((into) => {
      for (let i = 0; i < 3000; i++) into.push({ labels: { kind: "HelmRelease", namespace: "default", name: `app-${i}` }, value: i / 7 });
    });
    metrics.admissionDurationSeconds.observe({ source: "memory" }, 0.0003);
    metrics.gateOpenLatencySeconds.observe(0.02);
    metrics.reconcileRequestsTotal.inc({ kind: "HelmRelease", result: "requested" });
    const text = (await prometheusText(metrics.registry)).toString();
    expect(text).toBe(await metrics.registry.metrics());
    expect(text).toContain('releasegate_release_blocked{kind="HelmRelease",namespace="default",name="app-2999",reason="Failed",root_cause="default/base"} 1\n');
  });

  it("writes the same lines as prom-client for its default process metrics (values move between two reads)", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const shape = (text: string): string[] => text.split("\n").map((line) => (line.startsWith("#") ? line : line.replace(/ \S+$/, " N")));
    expect(shape((await prometheusText(registry)).toString())).toEqual(shape(await registry.metrics()));
  });

  it("leaves the OpenMetrics format to prom-client", async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: "om_total", help: "x", registers: [registry as unknown as Registry] }).inc();
    const text = (await prometheusText(registry as unknown as Registry)).toString();
    expect(text).toBe(await registry.metrics());
    expect(text).toContain("# EOF");
  });
});
