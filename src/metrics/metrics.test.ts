import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";
import { startMetricsServer } from "./metrics-server.js";

describe("createMetrics", () => {
  it("defines every metric of docs/behaviour.md with its exact name, type and labels", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const got = (await metrics.registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }));
    expect(got).toEqual([
      { name: "releasegate_release_blocked", type: "gauge" },
      { name: "releasegate_releases", type: "gauge" },
      { name: "releasegate_release_blocked_seconds", type: "gauge" },
      { name: "releasegate_dependency_cycles", type: "gauge" },
      { name: "releasegate_reconcile_requests_total", type: "counter" },
      { name: "releasegate_gate_open_latency_seconds", type: "histogram" },
      { name: "releasegate_admission_requests_total", type: "counter" },
      { name: "releasegate_admission_duration_seconds", type: "histogram" },
      { name: "releasegate_cache_synced", type: "gauge" },
      { name: "releasegate_watch_restarts_total", type: "counter" },
      { name: "releasegate_cache_staleness_seconds", type: "gauge" },
      { name: "releasegate_events_dropped_total", type: "counter" },
      { name: "releasegate_leader", type: "gauge" },
      { name: "releasegate_certificate_expiry_timestamp_seconds", type: "gauge" },
      { name: "releasegate_kube_api_requests_total", type: "counter" },
      { name: "releasegate_kube_api_retries_total", type: "counter" },
      { name: "releasegate_kube_api_throttled_seconds_total", type: "counter" },
    ]);
    metrics.releaseBlocked.set({ kind: "HelmRelease", namespace: "default", name: "backend", reason: "Failed", root_cause: "default/redis" }, 1);
    metrics.admissionRequestsTotal.inc({ kind: "HelmRelease", operation: "CREATE", decision: "denied", reason: "cycle" });
    const text = await metrics.registry.metrics();
    expect(text).toContain('releasegate_release_blocked{kind="HelmRelease",namespace="default",name="backend",reason="Failed",root_cause="default/redis"} 1');
    expect(text).toContain('releasegate_admission_requests_total{kind="HelmRelease",operation="CREATE",decision="denied",reason="cycle"} 1');
  });

  it("has an admission latency bucket at the 2 ms p99 target, so the target is read off the histogram", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissionTally.record("HelmRelease", "CREATE", "allowed", "ok", 0.0015);
    metrics.admissionTally.record("HelmRelease", "CREATE", "allowed", "ok", 0.0022);
    const text = await metrics.registry.metrics();
    expect(text).toContain('releasegate_admission_duration_seconds_bucket{le="0.001",source="memory"} 0');
    expect(text).toContain('releasegate_admission_duration_seconds_bucket{le="0.002",source="memory"} 1');
    expect(text).toContain('releasegate_admission_duration_seconds_bucket{le="0.0025",source="memory"} 2');
  });

  it("includes prom-client's process metrics by default, in a registry of its own", async () => {
    const a = createMetrics();
    const b = createMetrics();
    expect(await a.registry.metrics()).toContain("process_cpu_user_seconds_total");
    a.leader.set(1);
    expect(await b.registry.metrics()).toContain("releasegate_leader 0");
  });

  it("serves GET /metrics over plain HTTP and 404 elsewhere", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const server = await startMetricsServer(metrics.registry, { port: 0, host: "127.0.0.1" });
    try {
      const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await ok.text()).toContain("# TYPE releasegate_admission_duration_seconds histogram");
      expect((await fetch(`http://127.0.0.1:${server.port}/validate`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
